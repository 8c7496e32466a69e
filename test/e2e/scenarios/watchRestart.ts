// Scenario 10: "Start Watching" on a debugger query alerts a broken event; after "Restart Language
// Server" the watch carries on by itself (the CodeLens still says Stop Watching, the status bar
// still counts it), alerts the event that arrived meanwhile and does not alert the first one again.
import assert from 'node:assert/strict';
import { startFakePiwikWatch, WATCH_APP_ID, type FakePiwikWatch } from '../../fake-apis/fakePiwikWatch';
import { waitUntil } from '../driver';
import { answerCredentialPrompts } from './credentialPrompts';
import type { Scenario } from './scenario';

const CLIENT_ID = 'e2e-client';
const CLIENT_SECRET = 'e2e-client-secret-31';
const FIRST_ERROR = 'Invalid idsite first-4711';
const SECOND_ERROR = 'Missing url second-4712';

function recent(minutesAgo: number): string {
  return new Date(Date.now() - minutesAgo * 60_000).toISOString().slice(0, 19);
}

function brokenSession(id: string, eventId: string, errorMessage: string): Parameters<FakePiwikWatch['putSession']>[0] {
  return {
    id,
    entryUrl: 'https://shop.example/',
    events: [{ id: eventId, type: [17, 'Broken event'], time: recent(1), errorMessage, log: { idsite: WATCH_APP_ID, url: 'https://shop.example/' } }],
  };
}

export const watchRestart: Scenario = {
  id: 'watch-restart',
  title: 'Start Watching alerts a broken event once; after a server restart the watch goes on without repeating it',
  fixture: 'watch',
  async prepare() {
    const fake = await startFakePiwikWatch({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, now: Date.now });
    fake.putSession(brokenSession('9000000000000000001', '8000000000000000001', FIRST_ERROR));
    return { userSettings: { 'aq.baseUrlOverrides': { site: fake.url } }, state: { fake }, dispose: () => fake.close() };
  },
  async run({ workbench, prepared }) {
    const fake = prepared.state?.fake as FakePiwikWatch;
    await workbench.openFile('alerts.aq');
    await workbench.runCommand('aq: Set Credentials');
    await answerCredentialPrompts(workbench, { sourceName: 'site', username: CLIENT_ID, secret: CLIENT_SECRET });

    await workbench.clickCodeLens(/Start Watching/);
    await workbench.answerInput('Every 5 minutes');
    const first = workbench.notification(new RegExp(FIRST_ERROR));
    await first.waitFor({ state: 'visible', timeout: 30_000 });
    await waitUntil('the CodeLens to offer Stop Watching', async () => (await workbench.codeLensTexts()).some((text) => /Stop Watching/.test(text)));
    const watching = workbench.page.locator('.statusbar-item', { hasText: '1 watching' });
    await watching.waitFor({ state: 'visible' });

    // Clear the alert, let a second broken event arrive, and restart the server.
    await workbench.runCommand('Notifications: Clear All Notifications');
    await first.waitFor({ state: 'hidden' });
    const pollsBeforeRestart = fake.debuggerRequests().length;
    fake.putSession(brokenSession('9000000000000000002', '8000000000000000002', SECOND_ERROR));
    await workbench.runCommand('aq: Restart Language Server');

    await workbench.notification(new RegExp(SECOND_ERROR)).waitFor({ state: 'visible', timeout: 30_000 });
    assert.ok(fake.debuggerRequests().length > pollsBeforeRestart, 'the restored watch polled again');
    // Both events came back in the same poll; only the new one may be alerted.
    assert.equal(await workbench.notification(new RegExp(FIRST_ERROR)).isVisible(), false, 'the first event is not alerted again');
    assert.ok(
      (await workbench.codeLensTexts()).some((text) => /Stop Watching/.test(text)),
      'the CodeLens still shows the running watch',
    );

    assert.ok(await watching.isVisible(), 'the status bar still counts the watch');

    await workbench.clickCodeLens(/Stop Watching/);
    await waitUntil('the CodeLens to offer Start Watching', async () => (await workbench.codeLensTexts()).some((text) => /Start Watching/.test(text)));
    await watching.waitFor({ state: 'hidden' });
  },
};

// Scenario 14: "Pull Events to Local Source…" from the palette against the fake Raw Export API. With
// no secret stored the pull fails offering Set Credentials; after that, pulling three days writes a
// day file each and the manifest to data/shop/, and "Add Source and Use It" adds the local source
// to aq.json and switches the open file's `use` line to it.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeExport, type FakeExport } from '../../fake-apis/fakeMixpanelExport';
import { waitUntil, type Workbench } from '../driver';
import { answerCredentialPrompts } from './credentialPrompts';
import type { Scenario } from './scenario';

const USERNAME = 'e2e-pull-account';
const SECRET = 'pull-secret-4242';
const DAYS = ['2026-10-01', '2026-10-02', '2026-10-03'];

/** Runs the command and answers its prompts; the fixture has one Mixpanel source, so no source pick. */
async function pullThreeDays(workbench: Workbench): Promise<void> {
  const title = workbench.page.locator('.quick-input-widget .quick-input-title');
  await workbench.runCommand('aq: Pull Events to Local Source');
  await title.filter({ hasText: '(2/3)' }).waitFor({ state: 'visible' });
  await workbench.answerInput(`${DAYS[0]} to ${DAYS[2]}`);
  await title.filter({ hasText: '(3/3)' }).waitFor({ state: 'visible' });
  await workbench.answerInput('');
}

export const pullEvents: Scenario = {
  id: 'pull-events',
  title: 'Pull Events to Local Source: Set Credentials offered, three day files, then the local source added and used',
  fixture: 'mixpanel',
  async prepare() {
    const events = DAYS.map((day, i) => ({
      event: 'Sign Up',
      properties: { time: Date.parse(`${day}T09:00:00Z`) / 1000, distinct_id: `u${i}`, $insert_id: `e2e-${i}` },
    }));
    const fake = await startFakeExport({ projectId: 4242, username: USERNAME, secret: SECRET, events });
    return { userSettings: { 'aq.baseUrlOverrides': { shop: fake.url } }, state: { fake }, dispose: () => fake.close() };
  },
  async run({ workbench, workspaceDir, prepared }) {
    const fake = prepared.state?.fake as FakeExport;
    await workbench.openFile('signups.aq');

    await pullThreeDays(workbench);
    const failure = workbench.notificationWithAction('Set Credentials');
    await failure.waitFor({ state: 'visible' });
    assert.equal(fake.exportRequests().length, 0, 'nothing is exported without credentials');
    await workbench.clickNotificationAction(failure, 'Set Credentials');
    await answerCredentialPrompts(workbench, { sourceName: 'shop', username: USERNAME, secret: SECRET });

    await pullThreeDays(workbench);
    const done = workbench.notificationWithAction('Add Source and Use It');
    await done.waitFor({ state: 'visible', timeout: 60_000 });
    assert.match(await done.innerText(), /Pulled 3 days of "shop" \(3 events/);
    await workbench.notification(/pulling 'shop'/).waitFor({ state: 'hidden' });
    await workbench.clickNotificationAction(done, 'Add Source and Use It');
    await workbench.page.locator('.quick-input-widget .quick-input-title', { hasText: 'name of the local source' }).waitFor({ state: 'visible' });
    await workbench.answerInput('shop-local');

    const dataDir = join(workspaceDir, 'data', 'shop');
    assert.ok(existsSync(dataDir), 'data/shop/ exists');
    assert.deepEqual(readdirSync(dataDir).sort(), [...DAYS.map((day) => `${day}.ndjson.gz`), 'aq-pull.json']);
    const config = await waitUntil('the local source in aq.json', async () => {
      const sources = (JSON.parse(readFileSync(join(workspaceDir, 'aq.json'), 'utf8')) as { sources: Record<string, { kind: string; path?: string }> }).sources;
      return sources['shop-local'] && sources;
    });
    assert.equal(config['shop-local'].kind, 'local');
    assert.equal(config['shop-local'].path, 'data/shop');
    assert.equal(config.shop.kind, 'mixpanel', 'the Mixpanel source stays');
    await waitUntil('the use line switched in the editor', async () => (await workbench.editorText()).split('\n')[0] === 'use local "shop-local"');
    assert.deepEqual(
      fake.exportRequests().map((request) => [request.query.from_date, request.query.to_date]),
      DAYS.map((day) => [day, day]),
    );
  },
};

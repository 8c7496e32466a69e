// Scenario 5: a query against the (fake) Mixpanel API with a wrong secret fails with a notification
// offering Set Credentials; after entering the right secret the query succeeds. The API's base URL
// comes from the machine-scoped user setting `aq.baseUrlOverrides`, as a real user would point aq at
// a proxy.
import assert from 'node:assert/strict';
import { startFakeMixpanel, type FakeMixpanel } from '../../fake-apis/fakeMixpanel';
import { waitUntil } from '../driver';
import type { Scenario } from './scenario';
import { answerCredentialPrompts } from './credentialPrompts';
import { cellOf, isOctoberDay, readTable, resultsFrameShowing, runFromCodeLens, shownNumber } from './resultsPanel';

const USERNAME = 'e2e-service-account';
const RIGHT_SECRET = 'right-secret-4242';
const WRONG_SECRET = 'wrong-secret-0000';

/** Which secret each request carried (test secrets only), for a failure message. */
function describeRequests(fake: FakeMixpanel): string {
  return fake.store.requests
    .map((request) => {
      const auth = String(request.headers.authorization ?? '');
      const user = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : auth || 'no auth';
      return `${request.method} ${request.path} as ${user}`;
    })
    .join('; ');
}

export const mixpanelCredentials: Scenario = {
  id: 'mixpanel-credentials',
  title: 'wrong secret against the fake Mixpanel: Set Credentials offered, the right one succeeds',
  fixture: 'mixpanel',
  async prepare() {
    const fake = await startFakeMixpanel({
      projects: { 4242: { region: 'US', serviceAccounts: [{ username: USERNAME, secret: RIGHT_SECRET }] } },
    });
    return { userSettings: { 'aq.baseUrlOverrides': { shop: fake.url } }, state: { fake }, dispose: () => fake.close() };
  },
  async run({ workbench, prepared }) {
    const fake = prepared.state?.fake as FakeMixpanel;
    await workbench.openFile('signups.aq');

    await workbench.runCommand('aq: Set Credentials');
    await answerCredentialPrompts(workbench, { sourceName: 'shop', username: USERNAME, secret: WRONG_SECRET });

    await runFromCodeLens(workbench);
    const failure = workbench.notificationWithAction('Set Credentials');
    await failure.waitFor({ state: 'visible' });
    const failureText = await failure.innerText();
    assert.match(failureText, /credential|unauthori[sz]ed|401|secret|service account/i, 'the notification says what is wrong');
    assert.ok(!failureText.includes(WRONG_SECRET), 'the notification never shows the secret');
    assert.ok(
      fake.store.requests.some((request) => request.path.startsWith('/api/query/segmentation')),
      'the query reached the fake API',
    );

    await workbench.clickNotificationAction(failure, 'Set Credentials');
    await answerCredentialPrompts(workbench, { sourceName: 'shop', username: USERNAME, secret: RIGHT_SECRET });

    // Some flows re-run by themselves after new credentials; otherwise the user clicks Run again.
    const frame = await resultsFrameShowing(workbench, 'Chrome', 15_000)
      .catch(async () => {
        await runFromCodeLens(workbench);
        return resultsFrameShowing(workbench, 'Chrome');
      })
      .catch((error: Error) => {
        throw new Error(`${error.message}; requests at the fake: ${describeRequests(fake)}`);
      });
    const table = await readTable(frame);
    // The fake's fixture: Sign Up by u1 (Chrome) and u2 (Firefox) on 10-01, u3 (Chrome) on 10-02.
    assert.equal(shownNumber(cellOf(table, (cell) => isOctoberDay(cell, 1), 'Chrome')), 1, JSON.stringify(table));
    assert.equal(shownNumber(cellOf(table, (cell) => isOctoberDay(cell, 1), 'Firefox')), 1, JSON.stringify(table));
    assert.equal(shownNumber(cellOf(table, (cell) => isOctoberDay(cell, 2), 'Chrome')), 1, JSON.stringify(table));
    await waitUntil('a successful request with the right secret at the fake', async () =>
      fake.store.requests.some(
        (request) =>
          request.path.startsWith('/api/query/segmentation') &&
          String(request.headers.authorization ?? '').includes(Buffer.from(`${USERNAME}:${RIGHT_SECRET}`).toString('base64')),
      ),
    );
  },
};

// Scenario 9: "Send Events" on an mParticle batch file. With no key stored, the failure offers Set
// Credentials, which asks for the input's key and secret for the pod host (here the fake's, from
// the machine-scoped `aq.baseUrlOverrides`); sending again delivers both batches once.
import assert from 'node:assert/strict';
import { startFakeMparticle, type FakeMparticle } from '../../fake-apis/fakeMparticle';
import { waitUntil } from '../driver';
import { answerCredentialPrompts } from './credentialPrompts';
import type { Scenario } from './scenario';

const API_KEY = 'e2e-input-key';
const API_SECRET = 'e2e-input-secret-77';

export const sendMparticle: Scenario = {
  id: 'send-mparticle',
  title: 'Send Events on an mParticle file: Set Credentials offered, then both batches reach the fake once',
  fixture: 'ingest',
  async prepare() {
    const fake = await startFakeMparticle({ apiKey: API_KEY, apiSecret: API_SECRET });
    return { userSettings: { 'aq.baseUrlOverrides': { app: fake.url } }, state: { fake }, dispose: () => fake.close() };
  },
  async run({ workbench, prepared }) {
    const fake = prepared.state?.fake as FakeMparticle;
    await workbench.openFile('app.mparticle.json');

    await workbench.clickCodeLens(/Send Events/);
    const failure = workbench.notificationWithAction('Set Credentials');
    await failure.waitFor({ state: 'visible' });
    assert.match(await failure.innerText(), /API key and secret/);
    assert.equal(fake.requests(), 0, 'nothing is sent without credentials');

    await workbench.clickNotificationAction(failure, 'Set Credentials');
    const asked = await answerCredentialPrompts(workbench, { sourceName: 'app', username: API_KEY, secret: API_SECRET });
    assert.ok(
      asked.some((prompt) => /mParticle/.test(prompt)),
      asked.join('\n'),
    );

    await workbench.clickCodeLens(/Send Events/);
    const done = workbench.notification(/Sent 2 batches to "app"/);
    await done.waitFor({ state: 'visible', timeout: 30_000 });
    await waitUntil('both batches at the fake', async () => fake.batches.length === 2);
    assert.deepEqual(
      fake.batches.map((batch) => (batch.user_identities as { customer_id: string }).customer_id),
      ['e2e-u1', 'e2e-u2'],
    );
    assert.ok(!(await done.innerText()).includes(API_SECRET), 'the notification never shows the secret');
  },
};

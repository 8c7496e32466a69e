import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { CredentialStore } from '../../../client/src/credentials';

function makeStore(answers: boolean[] = []) {
  const secrets = new Map<string, string>();
  const memento = new Map<string, unknown>();
  const asked: string[] = [];
  const store = new CredentialStore(
    {
      get: async (key: string) => secrets.get(key),
      store: async (key: string, value: string) => void secrets.set(key, value),
      delete: async (key: string) => void secrets.delete(key),
    },
    {
      get: <T>(key: string) => memento.get(key) as T,
      update: async (key: string, value: unknown) => void memento.set(key, value),
    } as never,
    async (sourceName, host, storedHosts) => {
      asked.push(`${sourceName} → ${host} (stored for ${storedHosts.join(', ')})`);
      return answers.shift() ?? false;
    },
  );
  return { store, secrets, memento, asked };
}

test('a secret goes to the host it was entered for without asking', async () => {
  const { store, asked } = makeStore();
  await store.store('shop', 'acme.piwik.pro', { clientId: 'id', clientSecret: 's3cret' });
  const answer = await store.answer({ sourceName: 'shop', sourceKind: 'piwik', host: 'https://acme.piwik.pro/api' });
  assert.deepEqual(answer, { clientId: 'id', clientSecret: 's3cret' });
  assert.deepEqual(asked, []);
});

test('another host needs consent; a refusal sends nothing and says so', async () => {
  const { store, asked } = makeStore([false]);
  await store.store('shop', 'acme.piwik.pro', { clientId: 'id', clientSecret: 's3cret' });
  const answer = await store.answer({ sourceName: 'shop', sourceKind: 'piwik', host: '127.0.0.1:4010' });
  assert.deepEqual(answer, { hostMismatch: true });
  assert.deepEqual(asked, ['shop → 127.0.0.1:4010 (stored for acme.piwik.pro)']);
});

test('consent is remembered for that host only, and parallel requests ask once', async () => {
  const { store, asked } = makeStore([true]);
  await store.store('shop', 'acme.piwik.pro', { clientId: 'id', clientSecret: 's3cret' });
  const [first, second] = await Promise.all([
    store.answer({ sourceName: 'shop', sourceKind: 'piwik', host: '127.0.0.1:4010' }),
    store.answer({ sourceName: 'shop', sourceKind: 'piwik', host: '127.0.0.1:4010' }),
  ]);
  assert.equal(first?.clientSecret, 's3cret');
  assert.equal(second?.clientSecret, 's3cret');
  assert.equal((await store.answer({ sourceName: 'shop', sourceKind: 'piwik', host: '127.0.0.1:4010' }))?.clientSecret, 's3cret');
  assert.deepEqual(await store.answer({ sourceName: 'shop', sourceKind: 'piwik', host: 'evil.example' }), { hostMismatch: true });
  assert.equal(asked.length, 2, 'asked once for 127.0.0.1:4010 and once for evil.example');
  assert.deepEqual(store.hostsFor('shop'), ['acme.piwik.pro', '127.0.0.1:4010']);
});

test('Mixpanel regional hosts share a secret; nothing stored answers null; clear removes every host', async () => {
  const { store, secrets, asked } = makeStore();
  assert.equal(await store.answer({ sourceName: 'mp', sourceKind: 'mixpanel', host: 'mixpanel.com' }), null);
  await store.store('mp', 'mixpanel.com', { username: 'sa', secret: 'x' });
  assert.equal((await store.answer({ sourceName: 'mp', sourceKind: 'mixpanel', host: 'eu.mixpanel.com' }))?.secret, 'x');
  assert.deepEqual(asked, []);
  assert.equal(await store.clear('mp'), 1);
  assert.equal(secrets.size, 0);
  assert.equal(await store.answer({ sourceName: 'mp', sourceKind: 'mixpanel', host: 'mixpanel.com' }), null);
});

test('an mParticle key and secret are answered for the pod host they were stored for, and nothing else stored is', async () => {
  const { store, secrets, asked } = makeStore();
  await store.store('app', 's2s.eu1.mparticle.com', { apiKey: 'key-1', apiSecret: 'secret-1' });
  const [key] = [...secrets.keys()];
  secrets.set(key, JSON.stringify({ apiKey: 'key-1', apiSecret: 'secret-1', note: 'pasted by hand' }));
  assert.deepEqual(await store.answer({ sourceName: 'app', sourceKind: 'mparticle', host: 's2s.eu1.mparticle.com' }), {
    apiKey: 'key-1',
    apiSecret: 'secret-1',
  });
  assert.deepEqual(asked, []);
});

test('the shared host rule: plain http to the host a secret was entered for is asked about (once), a machine override is not', async () => {
  const concerns: Array<string | undefined> = [];
  const secrets = new Map<string, string>();
  const memento = new Map<string, unknown>();
  const store = new CredentialStore(
    {
      get: async (key: string) => secrets.get(key),
      store: async (key: string, value: string) => void secrets.set(key, value),
      delete: async (key: string) => void secrets.delete(key),
    },
    { get: <T>(key: string) => memento.get(key) as T, update: async (key: string, value: unknown) => void memento.set(key, value) } as never,
    async (_sourceName, _host, _stored, concern) => {
      concerns.push(concern);
      return true;
    },
  );
  await store.store('shop', 'acme.example', { clientId: 'id', clientSecret: 's3cret' });
  const https = await store.answer({ sourceName: 'shop', sourceKind: 'piwik', host: 'acme.example', url: 'https://acme.example', fromUserOverride: false });
  assert.equal(https?.clientSecret, 's3cret');
  assert.deepEqual(concerns, [], 'https to the host the user entered the secret for is vouched for');
  const plain = await store.answer({ sourceName: 'shop', sourceKind: 'piwik', host: 'acme.example', url: 'http://acme.example', fromUserOverride: false });
  assert.equal(plain?.clientSecret, 's3cret');
  assert.equal(concerns.length, 1);
  assert.match(concerns[0] ?? '', /plain http/);
  await store.answer({ sourceName: 'shop', sourceKind: 'piwik', host: 'acme.example', url: 'http://acme.example', fromUserOverride: false });
  assert.equal(concerns.length, 1, 'asked once per session for that origin');
  await store.store('dev', '127.0.0.1:4010', { clientId: 'id', clientSecret: 'dev-secret' });
  const override = await store.answer({ sourceName: 'dev', sourceKind: 'piwik', host: '127.0.0.1:4010', url: 'http://127.0.0.1:4010', fromUserOverride: true });
  assert.equal(override?.clientSecret, 'dev-secret');
  assert.equal(concerns.length, 1, "the user's own aq.baseUrlOverrides is vouched for");
});

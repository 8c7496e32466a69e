/**
 * Lookups nobody explicitly asked for leave the end of Mixpanel's hourly budget to queries: value
 * completion stops asking, and a background drift check sends nothing, once only 10 of the 60
 * requests are left, while an explicit `aq schema pull` still may. Over real HTTP to the fake.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createQueryEngine } from '../../../server/src/queryEngine/queryEngine';
import type { QueryEngine } from '../../../server/src/queryEngine/queryEngineTypes';
import { startFakeMixpanel, type FakeMixpanel } from '../../fake-apis/fakeMixpanel';

let fake: FakeMixpanel;
let root: string;
let engine: QueryEngine;
const credentials = async () => ({ username: 'sa.user', secret: 'sa-secret-4242' });
const options = () => ({ signal: new AbortController().signal, getCredentials: credentials });

before(async () => {
  fake = await startFakeMixpanel({ projects: { 77: { region: 'US', serviceAccounts: [{ username: 'sa.user', secret: 'sa-secret-4242' }] } } });
  root = mkdtempSync(join(tmpdir(), 'aq-budget-'));
  writeFileSync(join(root, 'aq.json'), JSON.stringify({ sources: { prod: { kind: 'mixpanel', projectId: 77, region: 'US' } } }));
  engine = createQueryEngine({ cacheDir: join(root, '.cache') });
  engine.configure(root, { trusted: true, baseUrlOverrides: { prod: fake.url } });
});

after(async () => {
  engine.dispose();
  await fake.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the background share of the hourly budget', () => {
  it('value lookups spend the budget down to a reserve of 10, then ask nothing', async () => {
    const ref = { kind: 'mixpanel' as const, name: 'prod' };
    for (let i = 0; i < 50; i++) {
      assert.deepEqual(await engine.propertyValues(ref, undefined, 'Sign Up', `property ${i}`, options()), []);
    }
    assert.equal(fake.store.requestsTo('/api/query/events/properties/values').length, 50);
    assert.equal(await engine.propertyValues(ref, undefined, 'Sign Up', 'plan', options()), undefined);
    assert.equal(fake.store.requestsTo('/api/query/events/properties/values').length, 50);
  });

  it('a background drift check sends nothing then; an explicit pull still fetches Lexicon', async () => {
    const before = fake.store.requests.length;
    await assert.rejects(
      engine.liveSchema('prod', undefined, { ...options(), background: true }),
      /The last 10 requests of the hourly budget of "prod" are kept for queries/,
    );
    assert.equal(fake.store.requests.length, before);
    const live = await engine.liveSchema('prod', undefined, options());
    assert.deepEqual(Object.keys(live.events).sort(), ['Purchase', 'Sign Up']);
    assert.deepEqual(
      fake.store.requests.slice(before).map((request) => request.path),
      ['/api/app/projects/77/schemas'],
    );
  });
});

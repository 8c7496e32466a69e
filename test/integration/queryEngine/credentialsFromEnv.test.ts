/**
 * The CLI's environment contract: AQ_<NAME>_* variables per source (docs/workflows.md and README.md).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { credentialsFromEnv, credentialWarningsFromEnv, engineSettingsFromEnv, envPrefixFor } from '../../../server/src/queryEngine/credentialsFromEnv';

describe('credentialsFromEnv', () => {
  it('names the variables after the source: upper case, other characters → _', () => {
    assert.equal(envPrefixFor('shop'), 'AQ_SHOP_');
    assert.equal(envPrefixFor('my-shop.eu 2'), 'AQ_MY_SHOP_EU_2_');
  });

  it('reads a Mixpanel service account', () => {
    const env = { AQ_MY_SHOP_USERNAME: 'svc.1', AQ_MY_SHOP_SECRET: 'abc', AQ_OTHER_SECRET: 'zzz' };
    assert.deepEqual(credentialsFromEnv('my-shop', env), { username: 'svc.1', secret: 'abc' });
    assert.deepEqual(credentialWarningsFromEnv({ name: 'my-shop', kind: 'mixpanel' }, env), []);
  });

  it('a secret alone is a legacy project secret, with the retirement warning', () => {
    const env = { AQ_SHOP_SECRET: 'legacy-9f8e7d' };
    assert.deepEqual(credentialsFromEnv('shop', env), { secret: 'legacy-9f8e7d' });
    const [warning] = credentialWarningsFromEnv({ name: 'shop', kind: 'mixpanel' }, env);
    assert.match(warning, /retires project secrets on 2027-03-03/);
    assert.ok(!warning.includes('legacy-9f8e7d'));
  });

  it('reads Piwik PRO client credentials, and nothing when one half is missing', () => {
    assert.deepEqual(credentialsFromEnv('site', { AQ_SITE_CLIENT_ID: 'id', AQ_SITE_CLIENT_SECRET: 'sec' }), { clientId: 'id', clientSecret: 'sec' });
    assert.equal(credentialsFromEnv('site', { AQ_SITE_CLIENT_ID: 'id' }), undefined);
    assert.match(credentialWarningsFromEnv({ name: 'site', kind: 'piwik' }, { AQ_SITE_CLIENT_ID: 'id' })[0], /AQ_SITE_CLIENT_SECRET/);
  });

  it('engine settings take AQ_<NAME>_BASE_URL for the sources in aq.json', () => {
    const root = mkdtempSync(join(tmpdir(), 'aq-env-'));
    try {
      writeFileSync(
        join(root, 'aq.json'),
        JSON.stringify({ sources: { shop: { kind: 'mixpanel', projectId: 1, region: 'US' }, site: { kind: 'piwik', url: 'https://x.piwik.pro' } } }),
      );
      const settings = engineSettingsFromEnv(root, {
        AQ_SHOP_BASE_URL: 'http://127.0.0.1:4010',
        AQ_NOPE_BASE_URL: 'http://127.0.0.1:1',
        AQ_CACHE_TTL_MS: '5000',
      });
      assert.deepEqual(settings.baseUrlOverrides, { shop: 'http://127.0.0.1:4010' });
      assert.equal(settings.cacheTtlMs, 5000);
      assert.equal(settings.trusted, true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

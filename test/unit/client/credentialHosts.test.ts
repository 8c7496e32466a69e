import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { checkCredentialDestination } from '../../../server/src/protocol/credentialHostRule';
import { credentialSecretKey, hostOfSourceSetting, isSameCredentialHost, mixpanelHost, normalizeHost } from '../../../client/src/credentialHosts';

test('hosts are normalised from URLs and bare names, ports kept', () => {
  assert.equal(normalizeHost('https://Shop.piwik.pro/analytics/'), 'shop.piwik.pro');
  assert.equal(normalizeHost('shop.piwik.pro'), 'shop.piwik.pro');
  assert.equal(normalizeHost('http://127.0.0.1:4010'), '127.0.0.1:4010');
  assert.equal(normalizeHost('127.0.0.1:4010'), '127.0.0.1:4010');
  assert.equal(normalizeHost('https://shop.piwik.pro:443'), 'shop.piwik.pro');
  assert.equal(normalizeHost('  '), undefined);
  assert.equal(normalizeHost('http://'), undefined);
});

test('a secret may go to its own host, or between Mixpanel hosts, and nowhere else without asking', () => {
  assert.equal(isSameCredentialHost('shop.piwik.pro', 'shop.piwik.pro'), true);
  assert.equal(isSameCredentialHost('mixpanel.com', 'eu.mixpanel.com'), true);
  assert.equal(isSameCredentialHost('eu.mixpanel.com', 'data-eu.mixpanel.com'), true);
  assert.equal(isSameCredentialHost('shop.piwik.pro', '127.0.0.1:4010'), false);
  assert.equal(isSameCredentialHost('mixpanel.com', 'mixpanel.com.evil.example'), false);
  assert.equal(isSameCredentialHost('mixpanel.com', 'evilmixpanel.com'), false);
  assert.equal(isSameCredentialHost('shop.piwik.pro', 'other.piwik.pro'), false);
});

test('hosts of configured sources', () => {
  assert.equal(hostOfSourceSetting({ kind: 'mixpanel', projectId: 1, region: 'EU' }), 'eu.mixpanel.com');
  assert.equal(hostOfSourceSetting({ kind: 'mixpanel', projectId: 1 }), 'mixpanel.com');
  assert.equal(hostOfSourceSetting({ kind: 'piwik', url: 'https://acme.piwik.pro' }), 'acme.piwik.pro');
  assert.equal(hostOfSourceSetting({ kind: 'local', path: 'x' }), undefined);
  assert.equal(hostOfSourceSetting('nonsense'), undefined);
  assert.equal(mixpanelHost('in'), 'in.mixpanel.com');
});

test('secret keys separate sources and hosts, even with @ or / in a name', () => {
  assert.equal(credentialSecretKey('shop', 'acme.piwik.pro'), 'aq.credentials/shop@acme.piwik.pro');
  assert.notEqual(credentialSecretKey('a@b', 'c'), credentialSecretKey('a', 'b@c'));
});

test('the shared host rule (editor and CLI): vendor hosts, https Piwik PRO cloud accounts, user overrides and allowed hosts only', () => {
  const piwik = (url: string, fromUserOverride = false) => ({ sourceName: 'site', kind: 'piwik' as const, url, fromUserOverride });
  assert.deepEqual(checkCredentialDestination(piwik('https://acme.piwik.pro')), { allowed: true });
  assert.equal(checkCredentialDestination(piwik('http://acme.piwik.pro')).allowed, false, 'plain http even on a cloud host');
  assert.equal(checkCredentialDestination(piwik('https://acme.piwik.pro.evil.example')).allowed, false);
  assert.equal(checkCredentialDestination(piwik('https://evilpiwik.pro')).allowed, false);
  assert.equal(checkCredentialDestination(piwik('https://127.0.0.1:4010')).allowed, false, 'loopback is no exception');
  assert.deepEqual(checkCredentialDestination(piwik('http://127.0.0.1:4010', true)), { allowed: true }, 'the user named it as a base-URL override');
  assert.deepEqual(checkCredentialDestination(piwik('https://analytics.corp.example'), ['analytics.corp.example']), { allowed: true });
  assert.equal(checkCredentialDestination(piwik('http://analytics.corp.example'), ['analytics.corp.example']).allowed, false, 'a bare host allows https only');
  assert.deepEqual(checkCredentialDestination(piwik('http://127.0.0.1:4010'), ['http://127.0.0.1:4010']), { allowed: true });
  const mixpanel = (url: string) => ({ sourceName: 'prod', kind: 'mixpanel' as const, url, fromUserOverride: false });
  assert.deepEqual(checkCredentialDestination(mixpanel('https://eu.mixpanel.com')), { allowed: true });
  assert.equal(checkCredentialDestination(mixpanel('https://mixpanel.com.evil.example')).allowed, false);
  const refused = checkCredentialDestination(piwik('http://evil.example:8080'));
  assert.ok(!refused.allowed && /plain http/.test(refused.reason));
});

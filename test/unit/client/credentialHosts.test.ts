import { strict as assert } from 'node:assert';
import { test } from 'node:test';
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

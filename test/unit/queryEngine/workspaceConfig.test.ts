import { strict as assert } from 'node:assert';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findWorkspaceRoot, parseWorkspaceConfig, readWorkspaceConfig } from '../../../server/src/queryEngine/workspaceConfig';

test('reads the three source kinds and the default from aq.json', () => {
  const config = parseWorkspaceConfig(
    {
      sources: {
        shop: { kind: 'mixpanel', projectId: 123, region: 'eu', schemaFile: 'schema/shop.json' },
        site: { kind: 'piwik', url: 'https://example.piwik.pro/', appId: 'abc' },
        sample: { kind: 'local', path: 'data/shop.ndjson' },
      },
      default: 'sample',
    },
    '/ws',
  );
  assert.deepEqual(config.problems, []);
  assert.deepEqual(config.sources.shop, {
    kind: 'mixpanel',
    name: 'shop',
    projectId: 123,
    region: 'EU',
    workspaceId: undefined,
    schemaFile: 'schema/shop.json',
    timezone: undefined,
  });
  assert.equal(config.sources.site.kind === 'piwik' && config.sources.site.url, 'https://example.piwik.pro');
  assert.equal(config.defaultSource, 'sample');
});

test('a workspace file cannot carry secrets or base URLs: they are ignored and reported', () => {
  const config = parseWorkspaceConfig({ sources: { shop: { kind: 'mixpanel', projectId: 1, secret: 's3cr3t', baseUrl: 'http://evil.example' } } }, '/ws');
  assert.ok(config.sources.shop);
  assert.equal(JSON.stringify(config.sources.shop).includes('s3cr3t'), false);
  assert.equal(JSON.stringify(config.sources.shop).includes('evil'), false);
  assert.equal(config.problems.length, 2);
  assert.match(config.problems.join('\n'), /"secret" is ignored/);
  assert.match(config.problems.join('\n'), /"baseUrl" is ignored/);
  assert.equal(config.problems.join('\n').includes('s3cr3t'), false, 'the problem text must not echo the secret');
});

test('bad sources are reported with what to fix and left out', () => {
  const config = parseWorkspaceConfig(
    {
      sources: {
        a: { kind: 'mixpanel' },
        b: { kind: 'mixpanel', projectId: 5, region: 'APAC' },
        c: { kind: 'piwik', url: 'example.piwik.pro' },
        d: { kind: 'bigquery' },
        e: 'x',
      },
      default: 'zz',
    },
    '/ws',
  );
  assert.deepEqual(Object.keys(config.sources), []);
  assert.equal(config.problems.length, 6);
  assert.match(config.problems[0], /source "a" needs a numeric "projectId"/);
  assert.match(config.problems[1], /"region" must be one of US, EU, IN/);
  assert.match(config.problems[2], /needs a "url"/);
  assert.match(config.problems[3], /"kind" must be/);
  assert.match(config.problems[5], /"default" names "zz"/);
});

test('finds aq.json in a parent folder and survives invalid JSON', () => {
  const root = mkdtempSync(join(tmpdir(), 'aq-ws-'));
  mkdirSync(join(root, 'queries', 'deep'), { recursive: true });
  writeFileSync(join(root, 'aq.json'), '{ "sources": ');
  assert.equal(findWorkspaceRoot(join(root, 'queries', 'deep')), root);
  const config = readWorkspaceConfig(root);
  assert.equal(Object.keys(config.sources).length, 0);
  assert.match(config.problems[0], /aq.json is not valid JSON/);
  assert.deepEqual(readWorkspaceConfig(join(root, 'queries')).problems, []);
});

test('mParticle inputs are read apart from the query sources, with their pod; a bad pod or a key in the file is reported', () => {
  const config = parseWorkspaceConfig(
    {
      sources: {
        shop: { kind: 'mixpanel', projectId: 1 },
        app: { kind: 'mparticle', pod: 'eu1' },
        web: { kind: 'mparticle' },
        bad: { kind: 'mparticle', pod: 'EU9' },
        leaky: { kind: 'mparticle', pod: 'US2', apiKey: 'k-123' },
      },
      default: 'app',
    },
    '/ws',
  );
  assert.deepEqual(Object.keys(config.sources), ['shop']);
  assert.deepEqual(config.ingestionSources.app, { kind: 'mparticle', name: 'app', pod: 'EU1' });
  assert.equal(config.ingestionSources.web.pod, 'US1');
  assert.equal(config.ingestionSources.bad, undefined);
  assert.equal(JSON.stringify(config.ingestionSources.leaky).includes('k-123'), false);
  assert.ok(
    config.problems.some((problem) => /source "bad": "pod" must be one of US1, US2, EU1, AU1/.test(problem)),
    config.problems.join('\n'),
  );
  assert.ok(
    config.problems.some((problem) => /source "leaky": "apiKey" is ignored/.test(problem)),
    config.problems.join('\n'),
  );
  assert.ok(
    config.problems.some((problem) => /"default" names "app", which only receives events and runs no queries/.test(problem)),
    config.problems.join('\n'),
  );
  assert.equal(config.defaultSource, undefined);
});

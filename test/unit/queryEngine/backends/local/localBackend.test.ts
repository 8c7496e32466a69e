import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { RunContext } from '../../../../../server/src/queryEngine/analyticsBackend';
import { BackendError } from '../../../../../server/src/queryEngine/backendErrors';
import { LocalBackend } from '../../../../../server/src/queryEngine/backends/local/localBackend';
import { expr, funnel, retention, segmentation } from './localFixtures';

const root = mkdtempSync(join(tmpdir(), 'aq-local-backend-'));
after(() => rmSync(root, { recursive: true, force: true }));

const event = (name: string, user: string, iso: string, insertId: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ event: name, properties: { time: Date.parse(`${iso}Z`) / 1000, distinct_id: user, $insert_id: insertId, ...extra } });

writeFileSync(
  join(root, 'shop.ndjson'),
  [
    event('Purchase', 'u1', '2026-10-01T10:00:00', 'a', { $browser: 'Chrome', revenue: 10 }),
    'not json',
    event('Purchase', 'u2', '2026-10-01T11:00:00', 'b', { $browser: 'Safari', revenue: 20 }),
    '{"event": 3}',
    event('Purchase', 'u2', '2026-10-01T11:00:00', 'b', { $browser: 'Safari', revenue: 20 }),
    event('Purchase', 'u3', '2026-10-02T09:00:00', 'c', { $browser: '', revenue: 5 }),
    event('Sign Up', 'u3', '2026-10-02T08:00:00', 'd', { plan: 'free' }),
  ].join('\n'),
);
writeFileSync(join(root, 'shop.people.ndjson'), JSON.stringify({ $distinct_id: 'u1', $properties: { plan: 'team', $email: 'u1@example.com' } }) + '\n');

const backend = new LocalBackend({ kind: 'local', name: 'shop', path: 'shop.ndjson' }, { rootDir: root });
const context = (signal = new AbortController().signal): RunContext => ({
  signal,
  now: () => new Date('2026-11-01T12:00:00Z'),
  readTextFile: (path) => readFile(join(root, path), 'utf8'),
});
const range = { from: '2026-10-01', to: '2026-10-02' };

test('a segmentation becomes a full QueryResult with skipped lines and duplicates as warnings', async () => {
  const result = await backend.runQuery(
    segmentation({ title: 'By browser', event: 'Purchase', range, on: expr('properties["$browser"]'), chart: 'bar' }),
    context(),
  );
  assert.equal(result.title, 'By browser');
  assert.equal(result.queryKind, 'segmentation');
  assert.deepEqual(result.source, { kind: 'local', name: 'shop' });
  assert.deepEqual(result.range, range);
  assert.equal(result.chart, 'bar');
  assert.equal(result.cleaned, false);
  assert.deepEqual(result.data, {
    kind: 'series',
    unit: 'day',
    dates: ['2026-10-01', '2026-10-02'],
    series: [
      { segment: '', values: [0, 1], total: 1 },
      { segment: 'Chrome', values: [1, 0], total: 1 },
      { segment: 'Safari', values: [1, 0], total: 1 },
    ],
    measure: 'general',
  });
  assert.equal(result.meta.computedAt, '2026-11-01T12:00:00.000Z');
  assert.equal(result.meta.rowCount, 2);
  assert.equal(result.meta.seriesCount, 3);
  assert.deepEqual(
    result.meta.warnings.map((w) => w.code),
    ['skippedLines', 'duplicates'],
  );
  assert.match(result.meta.warnings[0].message, /^skipped 2 malformed lines \(2, 4\); line 2: not valid JSON$/);
  assert.match(result.meta.warnings[1].message, /dropped 1 duplicate event/);
  assert.equal(JSON.parse(result.raw!).kind, 'series');
  assert.equal(result.rawTruncated, false);
});

test('clean drops the "" segment and marks the result cleaned', async () => {
  const result = await backend.runQuery(segmentation({ event: 'Purchase', range, on: expr('properties["$browser"]'), clean: true }), context());
  assert.equal(result.cleaned, true);
  assert.deepEqual(result.data.kind === 'series' && result.data.series.map((s) => s.segment), ['Chrome', 'Safari']);
});

test('funnel and retention run; where on user[...] reads the profiles file', async () => {
  const funnelResult = await backend.runQuery(funnel({ steps: ['Sign Up', 'Purchase'], range }), context());
  assert.deepEqual(funnelResult.data.kind === 'funnel' && funnelResult.data.segments[0].counts, [1, 1]);
  const retentionResult = await backend.runQuery(retention({ bornEvent: 'Sign Up', returnEvent: 'Purchase', range }), context());
  assert.deepEqual(retentionResult.data.kind === 'retention' && retentionResult.data.cohorts, [
    { date: '2026-10-02', size: 1, retained: [1, 0], segment: null },
  ]);
  const teamOnly = await backend.runQuery(segmentation({ event: 'Purchase', range, where: expr('user["plan"] == "team"') }), context());
  assert.deepEqual(teamOnly.data.kind === 'series' && teamOnly.data.series[0].values, [1, 0]);
});

test('a range outside the data says where the data is', async () => {
  const result = await backend.runQuery(segmentation({ event: 'Purchase', range: { from: '2025-01-01', to: '2025-01-02' } }), context());
  const warning = result.meta.warnings.find((w) => w.code === 'outsideData');
  assert.equal(warning?.message, 'the range 2025-01-01 to 2025-01-02 has no events: the data covers 2026-10-01 to 2026-10-02 (UTC)');
});

test('insights, debugger and saved funnels need a remote source and say so', async () => {
  const base = { index: 0, source: undefined, chart: undefined, clean: false } as const;
  await assert.rejects(
    backend.runQuery({ ...base, kind: 'insights', title: 'Saved', bookmarkId: 44012, range: undefined }, context()),
    (error: unknown) => error instanceof BackendError && error.kind === 'config' && /Mixpanel/.test(error.message),
  );
  await assert.rejects(
    backend.runQuery({ ...base, kind: 'debugger', title: 'Broken', appId: 'x', eventTypes: [], lookupWindow: 30, limit: 100, logs: false }, context()),
    (error: unknown) => error instanceof BackendError && error.kind === 'config' && /Piwik PRO/.test(error.message),
  );
  await assert.rejects(
    backend.runQuery(funnel({ steps: [], savedId: 7, range }), context()),
    (error: unknown) => error instanceof BackendError && error.kind === 'config',
  );
});

test('a cancelled run rejects with kind cancelled', async () => {
  const controller = new AbortController();
  controller.abort();
  const fresh = new LocalBackend({ kind: 'local', name: 'shop', path: join(root, 'shop.ndjson') }, { rootDir: '/elsewhere' });
  await assert.rejects(
    fresh.runQuery(segmentation({ event: 'Purchase', range }), context(controller.signal)),
    (error: unknown) => error instanceof BackendError && error.kind === 'cancelled',
  );
});

test('without a schema file the schema is derived from the data: names, volumes, types, top values, profiles', async () => {
  const schema = await backend.fetchSchema(context());
  assert.deepEqual(Object.keys(schema.events), ['Purchase', 'Sign Up']);
  assert.equal(schema.events.Purchase.volume, 3);
  assert.deepEqual(schema.events.Purchase.properties.$browser, { name: '$browser', type: 'string', examples: ['', 'Chrome', 'Safari'] });
  assert.equal(schema.events.Purchase.properties.revenue.type, 'number');
  assert.equal(schema.userProperties.plan.type, 'string');
  assert.equal(schema.origin?.kind, 'derived');
  assert.equal(schema.origin?.fetchedAt, '2026-11-01T12:00:00.000Z');
});

test('with a schema file the Lexicon schema is used', async () => {
  writeFileSync(
    join(root, 'lexicon.json'),
    JSON.stringify({
      status: 'ok',
      results: [{ entityType: 'event', name: 'Purchase', schemaJson: { description: 'Paid.', properties: { revenue: { type: 'number' } } } }],
    }),
  );
  const withFile = new LocalBackend({ kind: 'local', name: 'shop', path: 'shop.ndjson', schemaFile: 'lexicon.json' }, { rootDir: root });
  const schema = await withFile.fetchSchema(context());
  assert.equal(schema.origin?.kind, 'file');
  assert.equal(schema.events.Purchase.description, 'Paid.');
  assert.equal(schema.events.Purchase.properties.revenue.type, 'number');
});

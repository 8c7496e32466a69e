/**
 * `report` queries over real HTTP against the fake Analytics Query API
 * (test/fake-apis/fakePiwikAnalytics.ts): the request body, enum labels sent as ids, paging,
 * gzip, the time series of `unit`, errors named with their clause, and the column listing.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseAqDocument } from '../../../../../server/src/languageService/parser/queryParser';
import { buildQuerySpec } from '../../../../../server/src/queryContract/buildQuerySpec';
import type { ReportSpec } from '../../../../../server/src/queryContract/querySpec';
import type { RowsData, SeriesData } from '../../../../../server/src/protocol/resultModel';
import type { PiwikSourceConfig } from '../../../../../server/src/queryEngine/analyticsBackend';
import { createPiwikProBackend, type PiwikProBackendOptions } from '../../../../../server/src/queryEngine/backends/piwikPro/piwikProBackend';
import { createHttpClient, type HttpClient } from '../../../../../server/src/queryEngine/httpClient';
import { RequestQueue } from '../../../../../server/src/queryEngine/requestQueue';
import { ResultCache } from '../../../../../server/src/queryEngine/resultCache';
import { FAKE_PIWIK_FACTS, PIWIK_UNLICENSED_WEBSITE_ID, PIWIK_WEBSITE_ID } from '../../../../fake-apis/fakePiwikAnalytics';
import { startFakePiwikPro, type FakePiwikPro } from '../../../../fake-apis/fakePiwikPro';
import { backendErrorOf, context } from '../backendTestKit';

const CLIENT_ID = 'aq-report-client';
const CLIENT_SECRET = 'pp-report-secret-8d2b';
const GOOD = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
const SOURCE: PiwikSourceConfig = { kind: 'piwik', name: 'site', url: 'https://example.piwik.pro' };

let fake: FakePiwikPro;
let http: HttpClient;

before(async () => {
  fake = await startFakePiwikPro({ clients: [GOOD] });
  http = createHttpClient();
});

after(async () => {
  await http.close();
  await fake.close();
});

beforeEach(() => {
  fake.clearFaults();
  fake.store.requests.length = 0;
});

function backend(overrides: Partial<PiwikProBackendOptions> = {}, source: PiwikSourceConfig = SOURCE) {
  return createPiwikProBackend(source, {
    baseUrlOverride: fake.url,
    queue: new RequestQueue({ hourlyBudget: Infinity, baseBackoffMs: 5 }),
    cache: new ResultCache(),
    timeoutMs: 5000,
    http,
    ...overrides,
  });
}

/** The spec of a report written in aq, so the spans of its clauses are real. */
function report(clauses: string, websiteId = PIWIK_WEBSITE_ID, now = new Date('2026-12-01T12:00:00Z')): { spec: ReportSpec; text: string } {
  const text = `use piwik "site"\nreport "${websiteId}"\n${clauses
    .trim()
    .split('\n')
    .map((line) => `  ${line.trim()}`)
    .join('\n')}\n`;
  const built = buildQuerySpec(parseAqDocument(text).queries[0], { now });
  assert.ok(built.ok, JSON.stringify(!built.ok && built.errors));
  assert.equal(built.spec.kind, 'report');
  return { spec: built.spec as ReportSpec, text };
}

function queryBodies(): Array<Record<string, unknown>> {
  return fake.store.requestsTo('/api/analytics/v1/query/').map((request) => JSON.parse(request.body) as Record<string, unknown>);
}

const NOVEMBER = FAKE_PIWIK_FACTS.filter((fact) => fact.date >= '2026-11-01' && fact.date <= '2026-11-30');

describe('Piwik PRO report', () => {
  it('sends the documented body and shows enum names while keeping their ids', async () => {
    const { spec } = report(`
      dimensions source_medium, device_type
      metrics sessions, visitors, bounce_rate
      where device_type == "desktop"
      having sessions > 10
      order sessions desc
      limit 100
      from 2026-11-01 to 2026-11-30`);
    const result = await backend().runQuery(spec, context(GOOD));

    const [body] = queryBodies();
    assert.deepEqual(body, {
      website_id: PIWIK_WEBSITE_ID,
      columns: [
        { column_id: 'source_medium' },
        { column_id: 'device_type' },
        { column_id: 'sessions' },
        { column_id: 'visitors' },
        { column_id: 'bounce_rate' },
      ],
      date_from: '2026-11-01',
      date_to: '2026-11-30',
      // "desktop" is device type 0: the API filters enumerated dimensions by id.
      filters: { operator: 'and', conditions: [{ column_id: 'device_type', condition: { operator: 'eq', value: 0 } }] },
      metric_filters: { operator: 'and', conditions: [{ column_id: 'sessions', condition: { operator: 'gt', value: 10 } }] },
      order_by: [[2, 'desc']],
      limit: 100,
    });
    const request = fake.store.requestsTo('/api/analytics/v1/query/')[0];
    assert.match(String(request.headers.authorization), /^Bearer fake-token-/);
    assert.match(String(request.headers['accept-encoding']), /gzip/);

    assert.equal(result.queryKind, 'report');
    const data = result.data as RowsData;
    assert.deepEqual(
      data.columns.map((column) => column.name),
      ['source_medium', 'device_type', 'sessions', 'visitors', 'bounce_rate'],
    );
    // The expected rows, counted straight from the fake's sessions.
    const bySource = new Map<string, number>();
    for (const fact of NOVEMBER.filter((f) => f.device_type === 0)) bySource.set(fact.source_medium, (bySource.get(fact.source_medium) ?? 0) + 1);
    const expected = [...bySource].filter(([, sessions]) => sessions > 10).sort((a, b) => b[1] - a[1]);
    assert.ok(expected.length > 0, 'the fixture has desktop sources with more than 10 sessions');
    assert.deepEqual(
      data.rows.map((row) => [row[0], row[1], row[2]]),
      expected.map(([source, sessions]) => [source, 'Desktop', sessions]),
    );
    assert.deepEqual(
      data.cellIds?.map((ids) => ids[1]),
      expected.map(() => 0),
    );
    assert.equal(result.meta.rowCount, expected.length);
  });

  it('writes a dimension turned into a metric as a transformation', async () => {
    const { spec } = report(`
      metrics sum(revenue), sessions
      from 2026-11-01 to 2026-11-10`);
    const result = await backend().runQuery(spec, context(GOOD));
    assert.deepEqual(queryBodies()[0].columns, [{ column_id: 'revenue', transformation_id: 'sum' }, { column_id: 'sessions' }]);
    const tenDays = NOVEMBER.filter((fact) => fact.date <= '2026-11-10');
    const data = result.data as RowsData;
    assert.deepEqual(
      data.columns.map((column) => column.name),
      ['sum(revenue)', 'sessions'],
    );
    assert.deepEqual(data.rows, [[tenDays.reduce((sum, fact) => sum + fact.revenue, 0), tenDays.length]]);
  });

  it('puts the time dimension first with unit and answers a time series', async () => {
    const { spec } = report(`
      dimensions device_type
      metrics sessions
      unit week
      from 2026-11-01 to 2026-11-30`);
    const result = await backend().runQuery(spec, context(GOOD));
    const body = queryBodies()[0];
    assert.deepEqual(body.columns, [
      { column_id: 'timestamp', transformation_id: 'to_start_of_week' },
      { column_id: 'device_type' },
      { column_id: 'sessions' },
    ]);
    const data = result.data as SeriesData;
    assert.equal(data.kind, 'series');
    // November 2026 starts on a Sunday: its weeks start on Mondays from Oct 26 to Nov 30.
    assert.deepEqual(data.dates, ['2026-10-26', '2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23', '2026-11-30']);
    assert.deepEqual(data.series.map((series) => series.segment).sort(), ['Desktop', 'Smartphone', 'Tablet']);
    const desktop = data.series.find((series) => series.segment === 'Desktop')!;
    assert.equal(desktop.total, NOVEMBER.filter((fact) => fact.device_type === 0).length);
    assert.equal(
      data.series.reduce((sum, series) => sum + series.total, 0),
      NOVEMBER.length,
    );
  });

  it('shows the days of the range without data as 0', async () => {
    const { spec } = report(`
      metrics sessions
      unit day
      from 2026-10-30 to 2026-11-02`);
    const data = (await backend().runQuery(spec, context(GOOD))).data as SeriesData;
    assert.deepEqual(data.dates, ['2026-10-30', '2026-10-31', '2026-11-01', '2026-11-02']);
    assert.deepEqual(
      data.series.map((series) => [series.segment, series.values]),
      [['sessions', [0, 0, 4, 4]]],
    );
  });

  it('buckets by quarter from the first day of each quarter', async () => {
    const { spec } = report(`
      metrics sessions
      unit quarter
      from 2026-09-15 to 2026-11-30`);
    const data = (await backend().runQuery(spec, context(GOOD))).data as SeriesData;
    assert.deepEqual(queryBodies()[0].columns, [{ column_id: 'timestamp', transformation_id: 'to_start_of_quarter' }, { column_id: 'sessions' }]);
    assert.deepEqual(data.dates, ['2026-07-01', '2026-10-01']);
    assert.deepEqual(data.series[0].values, [0, NOVEMBER.length]);
  });

  it("resolves today and last N days in the website's time zone, read once from the Apps API", async () => {
    // 12:00 UTC on Dec 6 is already Dec 7 on Kiritimati (UTC+14), the fake website's zone.
    const now = () => new Date('2026-12-06T12:00:00Z');
    const { spec } = report(
      `
      metrics sessions
      today`,
      PIWIK_WEBSITE_ID,
      now(),
    );
    assert.deepEqual(spec.range, { from: '2026-12-06', to: '2026-12-06' }, 'built in UTC');
    const site = backend();
    const result = await site.runQuery(spec, context(GOOD, { now }));
    assert.deepEqual([queryBodies()[0].date_from, queryBodies()[0].date_to], ['2026-12-07', '2026-12-07']);
    assert.deepEqual(result.meta.warnings, []);
    const { spec: week } = report(
      `
      metrics sessions
      last 7 days`,
      PIWIK_WEBSITE_ID,
      now(),
    );
    await site.runQuery(week, context(GOOD, { now }));
    assert.deepEqual([queryBodies()[1].date_from, queryBodies()[1].date_to], ['2026-12-01', '2026-12-07']);
    assert.equal(fake.store.requestsTo(`/api/apps/v2/${PIWIK_WEBSITE_ID}`).length, 1, 'the time zone is read once');
  });

  it('keeps the time zone of the source when it sets one, and the built range when the website has none to read', async () => {
    const now = () => new Date('2026-12-06T12:00:00Z');
    const { spec } = report(
      `
      metrics sessions
      yesterday`,
      PIWIK_WEBSITE_ID,
      now(),
    );
    await backend({}, { ...SOURCE, timezone: 'UTC' }).runQuery(spec, context(GOOD, { now }));
    assert.equal(queryBodies()[0].date_from, '2026-12-05');
    assert.equal(fake.store.requestsTo(/^\/api\/apps\//).length, 0);

    // The Apps API refuses (these credentials may not read app settings): the range stays as built, and a warning says so.
    fake.setFault({ kind: 'status', status: 403, body: '{"errors":[{"status":"403","detail":"Forbidden"}]}' }, { path: /^\/api\/apps\//, times: 1 });
    const result = await backend().runQuery(spec, context(GOOD, { now }));
    assert.equal(queryBodies()[1].date_from, '2026-12-05');
    assert.deepEqual(
      result.meta.warnings.map((w) => w.code),
      ['timezone-unknown'],
    );
    assert.match(result.meta.warnings[0].message, /set "timezone" on source "site" in aq\.json/);
  });

  it('fetches more rows than one page with offset, up to the limit', async () => {
    const { spec } = report(`
      dimensions source_medium
      metrics sessions
      unit day
      limit 25
      from 2026-11-01 to 2026-11-30`);
    const result = await backend({ reportPageSize: 10 }).runQuery(spec, context(GOOD));
    assert.deepEqual(
      queryBodies().map((body) => [body.limit, body.offset]),
      [
        [10, undefined],
        [10, 10],
        [5, 20],
      ],
    );
    assert.equal(result.meta.rowCount, 25);
    // 30 days × 4 sources: the answer says 120 rows exist; the warning says how to see them.
    assert.match(result.meta.warnings.map((w) => w.message).join('\n'), /120 rows; 25 are shown/);
  });

  it('stops paging at a short page', async () => {
    const { spec } = report(`
      dimensions device_type
      metrics sessions
      limit 50
      from 2026-11-01 to 2026-11-30`);
    const result = await backend({ reportPageSize: 10 }).runQuery(spec, context(GOOD));
    assert.equal(queryBodies().length, 1);
    assert.equal(result.meta.rowCount, 3);
    assert.deepEqual(result.meta.warnings, []);
  });

  it('names the clause of an unknown column in the 400 it answers', async () => {
    const { spec, text } = report(`
      dimensions source_medium
      metrics sesions
      from 2026-11-01 to 2026-11-30`);
    const error = await backendErrorOf(backend().runQuery(spec, context(GOOD)));
    assert.equal(error.kind, 'badRequest');
    assert.equal(error.message, `Piwik PRO rejected the report: Dimension "sesions" does not exist. (in 'metrics')`);
    assert.equal(error.details.at?.clause, 'metrics');
    assert.equal(text.slice(error.details.at!.span.start, error.details.at!.span.end), 'sesions');
    assert.ok(!error.message.includes(CLIENT_SECRET));
  });

  it('names the clause of a transformation the column does not support', async () => {
    const { spec } = report(`
      metrics median(source_medium)
      from 2026-11-01 to 2026-11-30`);
    const error = await backendErrorOf(backend().runQuery(spec, context(GOOD)));
    assert.match(error.message, /Transformation "median" is not supported by column "source_medium"\. \(in 'metrics'\)/);
    assert.equal(error.details.at?.clause, 'metrics');
  });

  it("names the where clause when a filter value is not one of the dimension's values", async () => {
    const { spec, text } = report(`
      dimensions device_type
      metrics sessions
      where device_type == "fridge"
      from 2026-11-01 to 2026-11-30`);
    const error = await backendErrorOf(backend().runQuery(spec, context(GOOD)));
    assert.match(error.message, /Invalid value "fridge" for dimension "device_type"\. \(in 'where'\)/);
    assert.equal(text.slice(error.details.at!.span.start, error.details.at!.span.end), 'device_type');
  });

  it('reports a website without a license', async () => {
    const { spec } = report(
      `
      metrics sessions
      from 2026-11-01 to 2026-11-30`,
      PIWIK_UNLICENSED_WEBSITE_ID,
    );
    const error = await backendErrorOf(backend().runQuery(spec, context(GOOD)));
    assert.equal(error.details.status, 403);
    assert.match(error.message, /No valid license found/);
  });

  it('fails with an auth error on bad credentials, without the secret', async () => {
    const { spec } = report(`
      metrics sessions
      from 2026-11-01 to 2026-11-30`);
    const error = await backendErrorOf(backend().runQuery(spec, context({ clientId: CLIENT_ID, clientSecret: 'wrong-secret-value' })));
    assert.equal(error.kind, 'auth');
    assert.ok(!error.message.includes('wrong-secret-value'));
  });

  it('describes the request as curl without the token', () => {
    const { spec } = report(`
      metrics sessions
      limit 20
      from 2026-11-01 to 2026-11-30`);
    const described = backend({ reportPageSize: 10 }).describeRequest(spec);
    assert.ok(described.curl);
    assert.equal(described.curl.split('\n').filter((line) => line.includes('/api/analytics/v1/query/')).length, 2);
    assert.ok(!described.curl.includes('fake-token'));
  });
});

describe('Piwik PRO column listing', () => {
  it("reads the website's dimensions and metrics, with enum values and transformations", async () => {
    const schema = await backend({}, { ...SOURCE, appId: PIWIK_WEBSITE_ID }).fetchSchema(context(GOOD));
    const columns = schema.piwikColumns!;
    assert.equal(columns.origin, 'listing');
    assert.equal(columns.columns.event_custom_dimension_1.name, 'Plan');
    assert.equal(columns.columns.sessions.kind, 'metric');
    assert.deepEqual(columns.columns.device_type.enumValues?.[0], [0, 'Desktop']);
    assert.deepEqual(columns.columns.revenue.toMetric, ['sum', 'average', 'min', 'max']);
    assert.deepEqual(
      fake.store.requests.filter((r) => r.path !== '/auth/token').map((r) => [r.path, r.query.website_id]),
      [
        ['/analytics/api/engine/dimensions/', PIWIK_WEBSITE_ID],
        ['/analytics/api/engine/metrics/', PIWIK_WEBSITE_ID],
      ],
    );
  });

  it('falls back to the standard columns when the listing is refused', async () => {
    fake.setFault({ kind: 'status', status: 404, body: '404 page not found' }, { path: /^\/analytics\/api\/engine\// });
    const schema = await backend({}, { ...SOURCE, appId: PIWIK_WEBSITE_ID }).fetchSchema(context(GOOD));
    assert.equal(schema.piwikColumns?.origin, 'bundled');
    assert.match(schema.origin?.label ?? '', /the listing of .* failed/);
  });

  it('uses the bundled catalogue of standard columns without a website id', async () => {
    const schema = await backend().fetchSchema(context(GOOD));
    assert.equal(schema.piwikColumns?.origin, 'bundled');
    assert.equal(schema.piwikColumns?.columns.source_medium.kind, 'dimension');
    assert.equal(fake.store.requests.length, 0);
  });
});

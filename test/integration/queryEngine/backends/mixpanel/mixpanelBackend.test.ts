/**
 * The Mixpanel backend over real HTTP against the fake Mixpanel (test/fake-apis/fakeMixpanel.ts).
 * Expected numbers are counted by hand from MIXPANEL_FIXTURE_EVENTS:
 *   Sign Up:   u1 10-01 Chrome/free, u2 10-01 Firefox/pro, u3 10-02 Chrome/free
 *   Page View: u2 10-01, u2 10-02, u1 10-02
 *   Purchase:  u1 10-02 12:00 (30), u1 10-03 08:00 (20), u3 10-03 10:00 (50)
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { FunnelData, QueryResult, RetentionData, RowsData, SeriesData } from '../../../../../server/src/protocol/resultModel';
import type { MixpanelSourceConfig } from '../../../../../server/src/queryEngine/analyticsBackend';
import { createMixpanelBackend, type MixpanelBackendOptions } from '../../../../../server/src/queryEngine/backends/mixpanel/mixpanelBackend';
import { disposeJqlWorkers } from '../../../../../server/src/queryEngine/backends/local/jql/jqlRuntime';
import { createHttpClient, type HttpClient } from '../../../../../server/src/queryEngine/httpClient';
import { RequestQueue } from '../../../../../server/src/queryEngine/requestQueue';
import { ResultCache } from '../../../../../server/src/queryEngine/resultCache';
import { startFakeMixpanel, type FakeMixpanel } from '../../../../fake-apis/fakeMixpanel';
import { backendErrorOf, context, equals, funnel, insights, jql, property, retention, segmentation, until } from '../backendTestKit';

const USER = 'aq-test.1234.mp-service-account';
const SECRET = 'sa-secret-5f2d8c1e9a';
const LEGACY = 'legacy-secret-77b1c0de';
const GOOD = { username: USER, secret: SECRET };
const SOURCE: MixpanelSourceConfig = { kind: 'mixpanel', name: 'shop', projectId: 123, region: 'US' };

let fake: FakeMixpanel;
let http: HttpClient;
let clock = Date.parse('2026-10-04T12:00:00Z');
/** Every message, hint, curl and serialized result the tests see, for the secret-leak check. */
const seenText: string[] = [];

before(async () => {
  fake = await startFakeMixpanel({
    projects: {
      123: {
        region: 'US',
        serviceAccounts: [{ username: USER, secret: SECRET }],
        legacySecret: LEGACY,
        funnels: { 7: { steps: ['Sign Up', 'Purchase'], lengthDays: 30 } },
        bookmarks: { 44: { event: 'Sign Up' } },
      },
      456: { region: 'EU', serviceAccounts: [{ username: USER, secret: SECRET }] },
      789: { region: 'US', serviceAccounts: [{ username: USER, secret: SECRET }], overPlan: true },
      321: { region: 'US', serviceAccounts: [{ username: USER, secret: SECRET }], lexiconForbidden: true },
    },
  });
  http = createHttpClient();
});

after(async () => {
  await disposeJqlWorkers();
  await http.close();
  await fake.close();
});

beforeEach(() => {
  fake.clearFaults();
  fake.store.requests.length = 0;
});

function backend(overrides: Partial<MixpanelBackendOptions> = {}, source: MixpanelSourceConfig = SOURCE) {
  return createMixpanelBackend(source, {
    baseUrlOverride: fake.url,
    queue: new RequestQueue({ baseBackoffMs: 5 }),
    cache: new ResultCache({ now: () => clock }),
    timeoutMs: 5000,
    http,
    ...overrides,
  });
}

function remember(result: QueryResult): QueryResult {
  seenText.push(JSON.stringify(result));
  return result;
}

function series(result: QueryResult): SeriesData {
  assert.equal(result.data.kind, 'series');
  return result.data as SeriesData;
}

describe('Mixpanel queries return the numbers counted from the fixture', () => {
  it('segmentation by day, with the unsorted series put in date order', async () => {
    const result = remember(await backend().runQuery(segmentation(), context(GOOD)));
    const data = series(result);
    assert.deepEqual(data.dates, ['2026-10-01', '2026-10-02', '2026-10-03']);
    assert.deepEqual(data.series, [{ segment: null, values: [2, 1, 0], total: 3 }]);
    assert.equal(data.measure, 'general');
    const [request] = fake.store.requestsTo('/api/query/segmentation');
    assert.equal(request.query.project_id, '123');
    assert.equal(request.query.event, 'Sign Up');
    assert.equal(request.headers.authorization, `Basic ${Buffer.from(`${USER}:${SECRET}`).toString('base64')}`);
  });

  it('segmentation on a property: one series per value, largest first', async () => {
    const data = series(remember(await backend().runQuery(segmentation({ on: property('browser') }), context(GOOD))));
    assert.deepEqual(data.series, [
      { segment: 'Chrome', values: [1, 1, 0], total: 2 },
      { segment: 'Firefox', values: [1, 0, 0], total: 1 },
    ]);
    assert.equal(fake.store.requestsTo('/api/query/segmentation')[0].query.on, 'properties["browser"]');
  });

  it('unique users and a where filter', async () => {
    const unique = series(await backend().runQuery(segmentation({ event: 'Purchase', type: 'unique' }), context(GOOD)));
    assert.deepEqual(unique.series[0].values, [0, 1, 2]);
    assert.equal(unique.measure, 'unique');
    const filtered = series(await backend().runQuery(segmentation({ where: equals('plan', 'pro') }), context(GOOD)));
    assert.deepEqual(filtered.series[0].values, [1, 0, 0]);
  });

  it('weekly segmentation is summed from days (Mixpanel has no week unit)', async () => {
    const data = series(await backend().runQuery(segmentation({ unit: 'week' }), context(GOOD)));
    // 2026-10-01 is a Thursday: all three days fall in the week starting Monday 2026-09-28.
    assert.deepEqual(data.dates, ['2026-09-28']);
    assert.deepEqual(data.series[0].values, [3]);
    assert.equal(fake.store.requestsTo('/api/query/segmentation')[0].query.unit, 'day');
  });

  it('sum and average of a numeric property', async () => {
    const sum = series(await backend().runQuery(segmentation({ event: 'Purchase', on: property('amount'), measure: 'sum' }), context(GOOD)));
    assert.deepEqual(sum.series, [{ segment: null, values: [0, 30, 70], total: 100 }]);
    assert.equal(sum.measure, 'sum');
    const average = series(await backend().runQuery(segmentation({ event: 'Purchase', on: property('amount'), measure: 'average' }), context(GOOD)));
    assert.deepEqual(average.series[0].values, [0, 30, 35]);
  });

  it('a saved funnel sums its per-day answers over the range', async () => {
    const result = remember(await backend().runQuery(funnel(), context(GOOD)));
    const data = result.data as FunnelData;
    assert.equal(data.kind, 'funnel');
    assert.deepEqual(data.steps, ['Sign Up', 'Purchase']);
    const overall = data.segments[0];
    assert.equal(overall.segment, null);
    assert.deepEqual(overall.counts, [3, 2]);
    assert.deepEqual(overall.overallConversion, [1, 2 / 3]);
    // u1 bought 26 h after signing up (93,600 s), u3 25 h after (90,000 s).
    assert.deepEqual(overall.avgTimeSeconds, [null, 91_800]);
    assert.equal(fake.store.requestsTo('/api/query/funnels')[0].query.funnel_id, '7');
  });

  it("a saved funnel with `unit` sends it and keeps each date's funnel", async () => {
    const data = (await backend().runQuery(funnel({ unit: 'day' }), context(GOOD))).data as FunnelData;
    assert.equal(fake.store.requestsTo('/api/query/funnels')[0].query.unit, 'day');
    assert.equal(data.unit, 'day');
    // u1 signed up on 10-01 and bought on 10-02; u2 on 10-01 and never bought; u3 on 10-02 and bought on 10-03.
    assert.deepEqual(
      data.byDate?.map((day) => [day.date, day.segments[0].counts]),
      [
        ['2026-10-01', [2, 1]],
        ['2026-10-02', [1, 1]],
        ['2026-10-03', [0, 0]],
      ],
    );
    assert.deepEqual(data.segments[0].counts, [3, 2]);
  });

  it('a saved funnel segmented by a property', async () => {
    const data = (await backend().runQuery(funnel({ on: property('browser') }), context(GOOD))).data as FunnelData;
    assert.deepEqual(
      data.segments.map((segment) => [segment.segment, segment.counts]),
      [
        [null, [3, 2]],
        ['Chrome', [2, 2]],
        ['Firefox', [1, 0]],
      ],
    );
  });

  it('retention cohorts with their retained counts', async () => {
    const data = remember(await backend().runQuery(retention(), context(GOOD))).data as RetentionData;
    assert.equal(data.kind, 'retention');
    // Rolling days: u1 (born 10-01 10:00) buys 26 and 46 hours later, both in day 1; u3 (born
    // 10-02 09:00) buys 25 hours later.
    assert.deepEqual(data.cohorts, [
      { date: '2026-10-01', size: 2, retained: [0, 1, 0], segment: null },
      { date: '2026-10-02', size: 1, retained: [0, 1, 0], segment: null },
    ]);
    const request = fake.store.requestsTo('/api/query/retention')[0];
    assert.equal(request.query.retention_type, 'birth');
    assert.equal(request.query.born_event, 'Sign Up');
    assert.equal(request.query.event, 'Purchase');
    assert.equal(request.query.interval_count, '2');
    assert.equal(request.query.unbounded_retention, undefined, "Mixpanel's default (false) is left to Mixpanel");
  });

  it('unbounded_retention reaches Mixpanel as unbounded_retention=true', async () => {
    const data = remember(await backend().runQuery(retention({ unbounded: true }), context(GOOD))).data as RetentionData;
    assert.equal(fake.store.requestsTo('/api/query/retention')[0].query.unbounded_retention, 'true');
    // u1 and u3 came back in day 1, so they also count in day 0 ("day 1 or any day after").
    assert.deepEqual(
      data.cohorts.map((cohort) => cohort.retained),
      [
        [1, 1, 0],
        [1, 1, 0],
      ],
    );
  });

  it('compounded retention sends no born_event or born_where: Mixpanel ignores them', async () => {
    const data = remember(await backend().runQuery(retention({ retentionType: 'compounded', bornWhere: equals('plan', 'free') }), context(GOOD)))
      .data as RetentionData;
    const request = fake.store.requestsTo('/api/query/retention')[0];
    assert.equal(request.query.retention_type, 'compounded');
    assert.equal(request.query.born_event, undefined);
    assert.equal(request.query.born_where, undefined);
    assert.equal(request.query.event, 'Purchase');
    // Purchases in the range: u1 on 10-02 (again 20 hours later, day 0); u1 and u3 on 10-03.
    assert.deepEqual(
      data.cohorts.map((cohort) => [cohort.date, cohort.size, cohort.retained]),
      [
        ['2026-10-02', 1, [1, 0, 0]],
        ['2026-10-03', 2, [0, 0, 0]],
      ],
    );
  });

  it('weekly unique users: daily uniques summed, and the result says so', async () => {
    const result = remember(await backend().runQuery(segmentation({ event: 'Purchase', type: 'unique', unit: 'week' }), context(GOOD)));
    const request = fake.store.requestsTo('/api/query/segmentation')[0];
    assert.equal(request.query.unit, 'day');
    assert.equal(request.query.type, 'unique');
    // Daily unique buyers: 10-02 u1, 10-03 u1 and u3. The week of Monday 09-28 sums them to 3,
    // though only 2 users bought that week.
    assert.deepEqual(
      series(result).series.map((entry) => [entry.values, entry.total]),
      [[[3], 3]],
    );
    const warning = result.meta.warnings.find((entry) => entry.code === 'approximate-weeks');
    assert.match(warning?.message ?? '', /no week unit.*sums of Mixpanel's daily unique users.*once per day/);
  });

  it("monthly unique users are Mixpanel's own monthly uniques, with no warning", async () => {
    const result = remember(await backend().runQuery(segmentation({ event: 'Purchase', type: 'unique', unit: 'month' }), context(GOOD)));
    assert.equal(fake.store.requestsTo('/api/query/segmentation')[0].query.unit, 'month');
    assert.deepEqual(
      series(result).series.map((entry) => entry.values),
      [[2]],
    );
    assert.equal(
      result.meta.warnings.some((entry) => entry.code === 'approximate-weeks'),
      false,
    );
  });

  it('calendar_windows cannot run on Mixpanel and says why, without a request', async () => {
    const error = await backendErrorOf(backend().runQuery(retention({ windows: 'calendar' }), context(GOOD)));
    assert.equal(error.kind, 'config');
    assert.match(error.message, /no parameter for calendar windows.*calendar_windows/);
    assert.equal(fake.store.requestsTo('/api/query/retention').length, 0);
  });

  it('a saved Insights report, narrowed to the query range', async () => {
    const whole = series(remember(await backend().runQuery(insights(), context(GOOD))));
    assert.deepEqual(whole.dates, ['2026-10-01', '2026-10-02', '2026-10-03']);
    assert.deepEqual(whole.series, [{ segment: 'Sign Up', values: [2, 1, 0], total: 3 }]);
    const narrowed = series(await backend().runQuery(insights({ range: { from: '2026-10-02', to: '2026-10-03' } }), context(GOOD)));
    assert.deepEqual(narrowed.series[0].values, [1, 0]);
  });

  it('a JQL script is POSTed with its params and its output becomes rows', async () => {
    const script =
      'function main() { return Events({ from_date: params.from_date, to_date: params.to_date }).filter(function (e) { return e.distinct_id === params.user; }).groupBy(["name"], mixpanel.reducer.count()); }';
    const result = remember(
      await backend().runQuery(
        jql({ params: { from_date: '2026-10-01', to_date: '2026-10-03', user: 'u1' } }),
        context(GOOD, { files: { 'queries/by-name.js': script } }),
      ),
    );
    const data = result.data as RowsData;
    assert.equal(data.kind, 'rows');
    // u1: one Sign Up, one Page View, two Purchases.
    const counts = Object.fromEntries(data.rows.map((row) => [row[0], row[row.length - 1]]));
    assert.deepEqual(counts, { 'Page View': 1, Purchase: 2, 'Sign Up': 1 });
    const [request] = fake.store.requestsTo('/api/query/jql');
    assert.equal(request.method, 'POST');
    const form = new URLSearchParams(request.body);
    assert.equal(form.get('script'), script);
    assert.deepEqual(JSON.parse(form.get('params') ?? '{}'), { from_date: '2026-10-01', to_date: '2026-10-03', user: 'u1' });
  });

  it('an ad-hoc funnel runs as generated JQL and counts like the saved one', async () => {
    const spec = funnel({ savedId: undefined, steps: ['Sign Up', 'Purchase'], on: property('browser') });
    const result = remember(await backend().runQuery(spec, context(GOOD)));
    const data = result.data as FunnelData;
    assert.deepEqual(data.steps, ['Sign Up', 'Purchase']);
    assert.deepEqual(
      data.segments.map((segment) => [segment.segment, segment.counts]),
      [
        [null, [3, 2]],
        ['Chrome', [2, 2]],
        ['Firefox', [1, 0]],
      ],
    );
    assert.equal(data.segments[0].avgTimeSeconds[1], 91_800);
    assert.ok(result.meta.warnings.some((warning) => warning.code === 'funnel-via-jql'));
    const [request] = fake.store.requestsTo('/api/query/jql');
    const described = await backend().describeRequest(spec);
    assert.equal(new URLSearchParams(request.body).get('script'), described.jql);
    assert.match(described.jql ?? '', /Events\(/);
  });

  it('a JQL script that fails in Mixpanel → script error with its message', async () => {
    const error = await backendErrorOf(
      backend().runQuery(
        jql(),
        context(GOOD, {
          files: {
            'queries/by-name.js':
              'function main() { return Events({ from_date: params.from_date, to_date: params.to_date }).map(function () { throw new Error("kaboom"); }); }',
          },
        }),
      ),
    );
    assert.equal(error.kind, 'script');
    assert.match(error.message, /kaboom/);
  });

  it('counts above 2^53 in the answer are shown rounded, with a warning that says so', async () => {
    const script = 'function main() { return [{ key: ["huge"], value: 18446744073709551615 }, { key: ["small"], value: 3 }]; }';
    const result = await backend().runQuery(jql(), context(GOOD, { files: { 'queries/by-name.js': script } }));
    const warning = result.meta.warnings.find((entry) => entry.code === 'precision');
    assert.ok(warning, JSON.stringify(result.meta.warnings));
    assert.match(
      warning.message,
      /^a number in Mixpanel's answer is above 2\^53 \(9,007,199,254,740,991\) and shown rounded: 18446744073709552000 became 18,446,744,073,709,552,000$/,
    );
    const ordinary = await backend().runQuery(segmentation(), context(GOOD));
    assert.equal(
      ordinary.meta.warnings.some((entry) => entry.code === 'precision'),
      false,
    );
  });

  it('the raw response is kept for "show raw"', async () => {
    const result = await backend().runQuery(segmentation(), context(GOOD));
    assert.match(result.raw ?? '', /"legend_size"/);
  });
});

describe('Mixpanel schema, cohorts and profiles', () => {
  it('reads Lexicon when the service account may', async () => {
    const schema = await backend().fetchSchema(context(GOOD));
    assert.deepEqual(Object.keys(schema.events).sort(), ['Purchase', 'Sign Up']);
    assert.equal(schema.events.Purchase.properties.amount.type, 'number');
    assert.ok(schema.userProperties.$email);
    assert.equal(schema.origin?.kind, 'lexicon');
  });

  it('falls back to the event listing when Lexicon answers 403', async () => {
    const schema = await backend({}, { ...SOURCE, projectId: 321 }).fetchSchema(context(GOOD));
    assert.equal(schema.origin?.kind, 'listing');
    assert.deepEqual(Object.keys(schema.events).sort(), ['Page View', 'Purchase', 'Sign Up']);
    assert.deepEqual(Object.keys(schema.events.Purchase.properties).sort(), ['amount', 'browser']);
  });

  it('looks up the values of a property', async () => {
    assert.deepEqual(await backend().propertyValues('Sign Up', 'plan', context(GOOD)), ['free', 'pro']);
    const [request] = fake.store.requestsTo('/api/query/events/properties/values');
    assert.deepEqual(request.query, { project_id: '123', event: 'Sign Up', name: 'plan', limit: '50' });
  });

  it('lists cohorts and queries profiles', async () => {
    const mixpanel = backend();
    assert.deepEqual(await mixpanel.listCohorts(context(GOOD)), [{ id: 1000, name: 'Buyers', count: 2, description: 'Bought something' }]);
    const page = await mixpanel.queryProfiles({ where: 'user["plan"] == "free"' }, context(GOOD));
    assert.deepEqual(
      page.profiles.map((profile) => profile.distinctId),
      ['u1', 'u3'],
    );
    assert.equal(page.total, 2);
    assert.equal(fake.store.requestsTo('/api/query/engage')[0].method, 'POST');
  });
});

describe('Mixpanel errors the user can act on', () => {
  it('wrong credentials → auth, with what to check', async () => {
    const error = await backendErrorOf(backend().runQuery(segmentation(), context({ username: USER, secret: 'wrong-secret-1234' })));
    assert.equal(error.kind, 'auth');
    assert.equal(error.details.status, 401);
    assert.match(error.message, /service account username and secret/);
    assert.match(error.message, /project 123/);
    assert.match(error.details.hint ?? '', /AQ_SHOP_USERNAME/);
    seenText.push(error.message, error.details.hint ?? '');
  });

  it('no credentials at all → auth without a request', async () => {
    const error = await backendErrorOf(backend().runQuery(segmentation(), context(undefined)));
    assert.equal(error.kind, 'auth');
    assert.equal(fake.store.requests.length, 0);
  });

  it('a project in another region → the residency hint', async () => {
    const error = await backendErrorOf(backend({}, { ...SOURCE, projectId: 456 }).runQuery(segmentation(), context(GOOD)));
    assert.equal(error.kind, 'region');
    assert.match(error.message, /may live in the EU or IN region/);
    assert.match(error.message, /"region"/);
    seenText.push(error.message);
  });

  it('402 → plan', async () => {
    const error = await backendErrorOf(backend({}, { ...SOURCE, projectId: 789 }).runQuery(segmentation(), context(GOOD)));
    assert.equal(error.kind, 'plan');
    assert.match(error.message, /plan/);
  });

  it('unknown project → notFound', async () => {
    const error = await backendErrorOf(backend({}, { ...SOURCE, projectId: 999 }).runQuery(segmentation(), context(GOOD)));
    assert.equal(error.kind, 'notFound');
    assert.match(error.message, /project 999/);
  });

  it("400 carries Mixpanel's error text", async () => {
    const error = await backendErrorOf(
      backend().runQuery(segmentation({ where: { type: 'boolean', span: { start: 0, end: 0 }, value: true } }), context(GOOD)),
    );
    assert.equal(error.kind, 'badRequest');
    assert.match(error.message, /the fake cannot evaluate where=true/);
  });

  it('the fake answers 400 with Mixpanel’s error body when project_id is missing', async () => {
    const response = await fetch(`${fake.url}/api/query/segmentation?event=x`, {
      headers: { authorization: `Basic ${Buffer.from(`${USER}:${SECRET}`).toString('base64')}` },
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: string; status: string };
    assert.equal(body.status, 'error');
    assert.match(body.error, /project_id/);
  });

  it('a legacy project secret works and warns about its retirement', async () => {
    const result = remember(await backend().runQuery(segmentation(), context({ secret: LEGACY })));
    assert.deepEqual(series(result).series[0].values, [2, 1, 0]);
    assert.ok(result.meta.warnings.some((warning) => warning.code === 'legacy-project-secret' && warning.message.includes('2027-03-03')));
    assert.equal(fake.store.requests[0].headers.authorization, `Basic ${Buffer.from(`${LEGACY}:`).toString('base64')}`);
  });
});

describe('Mixpanel under load and faults', () => {
  it('429 with Retry-After: waits that long, then succeeds', async () => {
    fake.setFault({ kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: '{"error":"Query rate limit exceeded"}' }, { times: 1 });
    const result = await backend().runQuery(segmentation(), context(GOOD));
    assert.deepEqual(series(result).series[0].values, [2, 1, 0]);
    const attempts = fake.store.requestsTo('/api/query/segmentation');
    assert.equal(attempts.length, 2);
    // A lower bound only: the retry may not come before the second Mixpanel asked for.
    assert.ok(attempts[1].receivedAt - attempts[0].receivedAt >= 950, 'the retry waited for Retry-After');
  });

  it('429 with a Retry-After longer than worth waiting → rateLimited with the wait', async () => {
    fake.setFault({ kind: 'status', status: 429, headers: { 'retry-after': '3600' }, body: '{"error":"Query rate limit exceeded"}' }, { times: 1 });
    const error = await backendErrorOf(backend().runQuery(segmentation(), context(GOOD)));
    assert.equal(error.kind, 'rateLimited');
    assert.equal(error.details.retryAfterMs, 3_600_000);
    assert.match(error.message, /asks to wait 60 min/);
    assert.equal(fake.store.requests.length, 1);
  });

  it('5xx: backs off and retries a GET up to 3 times', async () => {
    fake.setFault({ kind: 'status', status: 503, body: 'unavailable' }, { times: 2 });
    const result = await backend().runQuery(segmentation(), context(GOOD));
    assert.deepEqual(series(result).series[0].values, [2, 1, 0]);
    assert.equal(fake.store.requests.length, 3);
    fake.store.requests.length = 0;
    fake.setFault({ kind: 'status', status: 500, body: 'boom' }, { times: 3 });
    const error = await backendErrorOf(backend().runQuery(segmentation(), context(GOOD)));
    assert.equal(error.kind, 'server');
    assert.equal(fake.store.requests.length, 3);
  });

  it('a dropped connection is retried like a network error', async () => {
    fake.setFault({ kind: 'drop' }, { times: 1 });
    const result = await backend().runQuery(segmentation(), context(GOOD));
    assert.deepEqual(series(result).series[0].values, [2, 1, 0]);
    assert.equal(fake.store.requests.length, 2);
  });

  it('a slow answer → timeout', async () => {
    fake.setFault({ kind: 'slow', delayMs: 3000 }, { times: 1 });
    const error = await backendErrorOf(backend({ timeoutMs: 150 }).runQuery(segmentation(), context(GOOD)));
    assert.equal(error.kind, 'timeout');
  });

  it('cancelling stops the HTTP request (the fake sees the socket close)', async () => {
    fake.setFault({ kind: 'slow', delayMs: 3000 }, { times: 1 });
    const controller = new AbortController();
    const running = backend().runQuery(segmentation(), context(GOOD, { signal: controller.signal }));
    await until(() => fake.store.requests.length === 1, 'the request reaches the fake');
    controller.abort();
    const error = await backendErrorOf(running);
    assert.equal(error.kind, 'cancelled');
    await until(() => fake.store.requests[0].closedEarly, 'the fake sees the client hang up');
  });

  it('a truncated body → badResponse', async () => {
    fake.setFault({ kind: 'truncate' }, { times: 1 });
    const cut = await backendErrorOf(backend().runQuery(segmentation(), context(GOOD)));
    assert.equal(cut.kind, 'badResponse');
    fake.setFault({ kind: 'halfBody' }, { times: 1 });
    const malformed = await backendErrorOf(backend().runQuery(segmentation(), context(GOOD)));
    assert.equal(malformed.kind, 'badResponse');
    assert.match(malformed.message, /not valid JSON/);
  });

  it('a huge response is cut off at the byte cap → tooLarge, and the download stops', async () => {
    fake.setFault({ kind: 'huge', bytes: 50 * 1024 * 1024 }, { times: 1 });
    const error = await backendErrorOf(backend({ maxResponseBytes: 256 * 1024 }).runQuery(segmentation(), context(GOOD)));
    assert.equal(error.kind, 'tooLarge');
    await until(() => fake.store.requests[0]?.closedEarly === true, 'the fake sees the client stop reading');
  });

  it('identical queries in flight share one request', async () => {
    fake.setFault({ kind: 'slow', delayMs: 200 }, { times: 1 });
    const mixpanel = backend();
    const [a, b] = await Promise.all([mixpanel.runQuery(segmentation(), context(GOOD)), mixpanel.runQuery(segmentation(), context(GOOD))]);
    assert.deepEqual(series(a).series, series(b).series);
    assert.equal(fake.store.requests.length, 1);
  });

  it('one of two sharing callers cancelling does not cancel the other', async () => {
    fake.setFault({ kind: 'slow', delayMs: 200 }, { times: 1 });
    const mixpanel = backend();
    const controller = new AbortController();
    const cancelled = mixpanel.runQuery(segmentation(), context(GOOD, { signal: controller.signal }));
    const kept = mixpanel.runQuery(segmentation(), context(GOOD));
    controller.abort();
    assert.equal((await backendErrorOf(cancelled)).kind, 'cancelled');
    assert.deepEqual(series(await kept).series[0].values, [2, 1, 0]);
    assert.equal(fake.store.requests.length, 1);
  });

  it('a repeated query within the TTL comes from the cache, with its age', async () => {
    const mixpanel = backend();
    const first = await mixpanel.runQuery(segmentation(), context(GOOD));
    assert.equal(first.meta.cachedAgeMs, undefined);
    clock += 90_000;
    const second = await mixpanel.runQuery(segmentation(), context(GOOD));
    assert.equal(second.meta.cachedAgeMs, 90_000);
    assert.deepEqual(second.data, first.data);
    assert.equal(fake.store.requests.length, 1);
    clock += 11 * 60_000;
    const third = await mixpanel.runQuery(segmentation(), context(GOOD));
    assert.equal(third.meta.cachedAgeMs, undefined);
    assert.equal(fake.store.requests.length, 2);
    const bypassed = await mixpanel.runQuery(segmentation(), context(GOOD), { bypassCache: true });
    assert.equal(bypassed.meta.cachedAgeMs, undefined);
    assert.equal(fake.store.requests.length, 3);
  });

  it('the request budget counts down and runs out before Mixpanel’s limit is hit', async () => {
    const queue = new RequestQueue({ hourlyBudget: 2 });
    const mixpanel = backend({ queue });
    await mixpanel.runQuery(segmentation(), context(GOOD));
    assert.equal(queue.remaining(), 1);
    await mixpanel.runQuery(segmentation({ event: 'Purchase' }), context(GOOD));
    assert.equal(queue.remaining(), 0);
    const error = await backendErrorOf(mixpanel.runQuery(segmentation({ event: 'Page View' }), context(GOOD)));
    assert.equal(error.kind, 'rateLimited');
    assert.equal(fake.store.requests.length, 2);
  });
});

describe('Mixpanel generated request', () => {
  it('shows the request as curl with the secret masked', async () => {
    const described = await backend().describeRequest(segmentation({ on: property('browser') }));
    assert.match(described.curl ?? '', /^curl '.*\/api\/query\/segmentation\?project_id=123&event=Sign\+Up/);
    assert.match(described.curl ?? '', /-u '<service-account-username>:\*\*\*\*'/);
    seenText.push(described.curl ?? '');
  });
});

describe('secrets', () => {
  it('never appear in any message, hint, curl or result seen above', () => {
    assert.ok(seenText.length >= 8, 'the other tests ran first and recorded what they saw');
    const all = seenText.join('\n');
    for (const secret of [SECRET, LEGACY, Buffer.from(`${USER}:${SECRET}`).toString('base64')]) assert.ok(!all.includes(secret), 'a secret leaked');
  });
});

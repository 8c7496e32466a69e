/**
 * The local JQL runtime against Mixpanel's published JQL reference: one tiny dataset per documented
 * behaviour, each test naming the page and quoting the sentence it rests on. Expected values come
 * from those sentences, not from running aq. The last test holds the fake Mixpanel's /jql to the
 * same contract: the same script over the same events answers the same there.
 *
 * Pages:
 *   JQL_GUIDE      https://docs.mixpanel.com/docs/reports/apps/jql ("JQL: Create custom queries using Javascript code")
 *   JQL_REFERENCE  https://mixpanel.com/help/reference/jql/api-reference ("JQL: API reference")
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { disposeJqlWorkers, runJql } from '../../server/src/queryEngine/backends/local/jql/jqlRuntime';
import { MIXPANEL_FIXTURE_EVENTS, startFakeMixpanel, type FakeMixpanel } from '../fake-apis/fakeMixpanel';

let dir: string;
let fileNumber = 0;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'aq-jql-conformance-'));
});

after(async () => {
  await disposeJqlWorkers();
  rmSync(dir, { recursive: true, force: true });
});

/** Export lines as Mixpanel's raw export writes them: `time` (seconds) and `distinct_id` inside `properties`. */
interface ExportLine {
  event: string;
  properties: Record<string, unknown>;
}

const at = (day: number, hour: number): number => Date.UTC(2026, 9, day, hour) / 1000;

/** Runs `main()` over `events` (and `profiles`, as a `.people.ndjson` beside them); the error's message when it fails. */
async function runOn(
  events: ExportLine[],
  script: string,
  profiles: Array<{ $distinct_id: string; $properties: Record<string, unknown> }> = [],
): Promise<{ output?: unknown[]; error?: string }> {
  const base = join(dir, `data-${++fileNumber}`);
  writeFileSync(`${base}.ndjson`, `${events.map((event) => JSON.stringify(event)).join('\n')}\n`);
  if (profiles.length > 0) writeFileSync(`${base}.people.ndjson`, `${profiles.map((profile) => JSON.stringify(profile)).join('\n')}\n`);
  try {
    const { output } = await runJql({ script, params: {}, dataPath: `${base}.ndjson` });
    return { output };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

const OCTOBER = 'Events({from_date: "2026-10-01", to_date: "2026-10-03"})';

describe('the event object (JQL_GUIDE, "Event Object Specification")', () => {
  test('"If distinct_id was not sent with the event, this will be undefined."', async () => {
    const events = [
      { event: 'Sign Up', properties: { time: at(1, 9), distinct_id: 'u1' } },
      { event: 'Sign Up', properties: { time: at(1, 10) } },
    ];
    const { output, error } = await runOn(
      events,
      `function main() { return ${OCTOBER}.map(function (e) { return [e.distinct_id === undefined, typeof e.distinct_id]; }); }`,
    );
    assert.equal(error, undefined);
    assert.deepEqual(output, [
      [false, 'string'],
      [true, 'undefined'],
    ]);
  });

  test('attributes are name, distinct_id, time ("milliseconds since January 1, 1970"), sampling_factor ("If you are not using sampling, this will always be 1.0") and properties', async () => {
    const events = [{ event: 'Purchase', properties: { time: at(2, 12), distinct_id: 'u7', plan: 'team', amount: 30 } }];
    const { output, error } = await runOn(events, `function main() { return ${OCTOBER}; }`);
    assert.equal(error, undefined);
    const [event] = output as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(event).sort(), ['distinct_id', 'name', 'properties', 'sampling_factor', 'time']);
    assert.equal(event.name, 'Purchase');
    assert.equal(event.distinct_id, 'u7');
    assert.equal(event.time, at(2, 12) * 1000);
    assert.equal(event.sampling_factor, 1);
  });

  test('"properties: An object containing all of the properties of the event." — time and distinct_id are attributes of their own, not copied into properties', async () => {
    const events = [{ event: 'Purchase', properties: { time: at(2, 12), distinct_id: 'u7', plan: 'team', amount: 30 } }];
    const { output, error } = await runOn(events, `function main() { return ${OCTOBER}.map(function (e) { return e.properties; }); }`);
    assert.equal(error, undefined);
    assert.deepEqual(output, [{ plan: 'team', amount: 30 }]);
  });
});

describe('Events() (JQL_REFERENCE, "Querying events")', () => {
  const events = [
    { event: 'Purchase', properties: { time: at(1, 9), distinct_id: 'u1', amount: 30 } },
    { event: 'Purchase', properties: { time: at(2, 9), distinct_id: 'u2', amount: 5 } },
    { event: 'Sign Up', properties: { time: at(3, 9), distinct_id: 'u3' } },
  ];
  const profiles = [
    { $distinct_id: 'u1', $properties: { plan: 'team' } },
    { $distinct_id: 'u2', $properties: { plan: 'free' } },
  ];

  test('to_date: "The end of the date range to query events for (inclusive)."', async () => {
    const { output } = await runOn(
      events,
      'function main() { return Events({from_date: "2026-10-02", to_date: "2026-10-03"}).reduce(mixpanel.reducer.count()); }',
    );
    assert.deepEqual(output, [2]);
  });

  test('from_date "Format: \\"YYYY-MM-DD\\"": a day that is not in the calendar is an error, not the next month', async () => {
    const day32 = await runOn(events, 'function main() { return Events({from_date: "2026-08-32", to_date: "2026-10-03"}).reduce(mixpanel.reducer.count()); }');
    assert.equal(day32.output, undefined);
    assert.match(day32.error ?? '', /from_date "2026-08-32" is not a date in the calendar/);
    // 2026 is not a leap year.
    const february29 = await runOn(
      events,
      'function main() { return Events({from_date: "2026-01-01", to_date: "2026-02-29"}).reduce(mixpanel.reducer.count()); }',
    );
    assert.match(february29.error ?? '', /to_date "2026-02-29" is not a date in the calendar/);
  });

  test('event_selectors: "Segmentation expressions in event selectors can only access event properties, not user properties."', async () => {
    const byEventProperty = await runOn(
      events,
      `function main() { return Events({from_date: "2026-10-01", to_date: "2026-10-03", event_selectors: [{event: "Purchase", selector: 'properties["amount"] > 10'}]}).map(function (e) { return e.distinct_id; }); }`,
      profiles,
    );
    assert.deepEqual(byEventProperty.output, ['u1']);
    const byUserProperty = await runOn(
      events,
      `function main() { return Events({from_date: "2026-10-01", to_date: "2026-10-03", event_selectors: [{event: "Purchase", selector: 'user["plan"] == "team"'}]}).reduce(mixpanel.reducer.count()); }`,
      profiles,
    );
    assert.equal(byUserProperty.output, undefined);
    assert.match(
      byUserProperty.error ?? '',
      /event_selectors: the selector 'user\["plan"\] == "team"' reads user\["plan"\], but event selectors can only read event properties/,
    );
  });

  test('"Segmentation expressions in join() selectors can access both events and user properties." (JQL_GUIDE, "Combining Events and Profiles")', async () => {
    const { output, error } = await runOn(
      events,
      `function main() { return join(Events({from_date: "2026-10-01", to_date: "2026-10-03"}), People(), {type: "inner", selectors: [{selector: 'user["plan"] == "team" and properties["amount"] > 10'}]}).map(function (t) { return t.distinct_id; }); }`,
      profiles,
    );
    assert.equal(error, undefined);
    assert.deepEqual(output, ['u1']);
  });
});

describe('join() (JQL_GUIDE, "Joined Object Specification")', () => {
  test('user: "For events without distinct id or when there\'s no matching user record, this property is undefined."', async () => {
    const events = [
      { event: 'Landed', properties: { time: at(1, 9), distinct_id: 'u1' } },
      { event: 'Landed', properties: { time: at(1, 10) } },
      { event: 'Landed', properties: { time: at(1, 11), distinct_id: 'nobody' } },
    ];
    const profiles = [{ $distinct_id: 'u1', $properties: { plan: 'team' } }];
    const { output, error } = await runOn(
      events,
      `function main() { return join(${OCTOBER}, People(), {type: "left"}).map(function (t) { return [t.event.distinct_id === undefined ? "(none)" : t.event.distinct_id, t.user === undefined ? "(no user)" : t.user.properties.plan]; }); }`,
      profiles,
    );
    assert.equal(error, undefined);
    assert.deepEqual(output, [
      ['u1', 'team'],
      ['(none)', '(no user)'],
      ['nobody', '(no user)'],
    ]);
  });
});

describe('reduce() and groupBy() (JQL_GUIDE, "Transformations" and "JQL Builtins")', () => {
  const events = [
    { event: 'Purchase', properties: { time: at(1, 9), distinct_id: 'u1', country: 'US', amount: 30 } },
    { event: 'Purchase', properties: { time: at(1, 10), distinct_id: 'u2', country: 'US', amount: 20 } },
    { event: 'Purchase', properties: { time: at(2, 9), distinct_id: 'u3', country: 'DE', amount: 5 } },
  ];

  test('"reduce() turns the input collection into just a single value." — count() answers [3], as the documented "[15834]"', async () => {
    const { output } = await runOn(events, `function main() { return ${OCTOBER}.reduce(mixpanel.reducer.count()); }`);
    assert.deepEqual(output, [3]);
  });

  test('"When a list of reducer functions is provided, the value for each group key will be a list of the results from each function."', async () => {
    const { output } = await runOn(
      events,
      `function main() { return ${OCTOBER}.groupBy(["properties.country"], [mixpanel.reducer.count(), mixpanel.reducer.sum("properties.amount")]); }`,
    );
    // The reference promises no order of groups.
    const groups = (output as Array<{ key: string[] }>).slice().sort((a, b) => a.key[0].localeCompare(b.key[0]));
    assert.deepEqual(groups, [
      { key: ['DE'], value: [1, 5] },
      { key: ['US'], value: [2, 50] },
    ]);
  });
});

describe('builtins (JQL_GUIDE, "JQL Builtins")', () => {
  const loads = [1, 2, 3].map((ms, index) => ({
    event: 'pageview',
    properties: { time: at(1, 9 + index), distinct_id: `u${index}`, load_time_ms: ms, country: index === 2 ? 'MX' : 'US' },
  }));

  test('min_by: "Find the element in a collection that gives the minimum (or maximum) value" — the documented result is a whole event whose properties hold neither time nor distinct_id', async () => {
    const { output } = await runOn(loads, `function main() { return ${OCTOBER}.reduce(mixpanel.reducer.min_by("properties.load_time_ms")); }`);
    assert.deepEqual(output, [
      { name: 'pageview', distinct_id: 'u0', time: at(1, 9) * 1000, sampling_factor: 1, properties: { load_time_ms: 1, country: 'US' } },
    ]);
  });

  test('numeric_summary: "Returns the count, sum, sum of squares, average and standard deviation" — the documented example (221, 32624, 9199564 → stddev 140.838023) is the population deviation', async () => {
    const { output } = await runOn(loads, `function main() { return ${OCTOBER}.reduce(mixpanel.reducer.numeric_summary("properties.load_time_ms")); }`);
    const [summary] = output as Array<Record<string, number>>;
    assert.deepEqual(Object.keys(summary).sort(), ['avg', 'count', 'stddev', 'sum', 'sum_squares']);
    assert.deepEqual([summary.count, summary.sum, summary.sum_squares, summary.avg], [3, 6, 14, 2]);
    assert.ok(Math.abs(summary.stddev - Math.sqrt(14 / 3 - 4)) < 1e-9, String(summary.stddev));
  });

  test('numeric_percentiles: one percentile answers "[118]", a list answers "[[{percentile, value}, …]]"', async () => {
    const same = [5, 5, 5].map((ms, index) => ({ event: 'pageview', properties: { time: at(1, 9 + index), distinct_id: 'u1', load_time_ms: ms } }));
    assert.deepEqual(
      (await runOn(same, `function main() { return ${OCTOBER}.reduce(mixpanel.reducer.numeric_percentiles("properties.load_time_ms", 50)); }`)).output,
      [5],
    );
    assert.deepEqual(
      (await runOn(same, `function main() { return ${OCTOBER}.reduce(mixpanel.reducer.numeric_percentiles("properties.load_time_ms", [50, 90])); }`)).output,
      [
        [
          { percentile: 50, value: 5 },
          { percentile: 90, value: 5 },
        ],
      ],
    );
  });

  test('top: "The output of this function is a collection containing a single item, the list of the top N items."', async () => {
    const { output } = await runOn(
      loads,
      `function main() { return ${OCTOBER}.groupBy(["properties.country"], mixpanel.reducer.count()).reduce(mixpanel.reducer.top(1)); }`,
    );
    assert.deepEqual(output, [[{ key: ['US'], value: 2 }]]);
  });

  test('object_merge: "Merge a collection of JavaScript objects into a single object. Numeric leaf values are summed."', async () => {
    const { output } = await runOn(
      loads,
      `function main() { return ${OCTOBER}.map(function (e) { return {count: 1, sum: e.properties.load_time_ms}; }).reduce(mixpanel.reducer.object_merge()); }`,
    );
    assert.deepEqual(output, [{ count: 3, sum: 6 }]);
  });

  test('null: "Always return null."', async () => {
    const { output } = await runOn(loads, `function main() { return ${OCTOBER}.reduce(mixpanel.reducer.null()); }`);
    assert.deepEqual(output, [null]);
  });

  test('numeric_bucket: "normalizing it to the lower boundary of the bucket it falls into", with a list of boundaries or {bucket_size, offset}', async () => {
    const byList = await runOn(
      loads,
      `function main() { return ${OCTOBER}.groupBy([mixpanel.numeric_bucket("properties.load_time_ms", [0, 2, 10])], mixpanel.reducer.count()); }`,
    );
    assert.deepEqual(sortedByKey(byList.output), [
      { key: [0], value: 1 },
      { key: [2], value: 2 },
    ]);
    const bySize = await runOn(
      loads,
      `function main() { return ${OCTOBER}.groupBy([mixpanel.numeric_bucket("properties.load_time_ms", {bucket_size: 2, offset: 1})], mixpanel.reducer.count()); }`,
    );
    assert.deepEqual(sortedByKey(bySize.output), [
      { key: [1], value: 2 },
      { key: [3], value: 1 },
    ]);
  });

  test('to_number: "When unable to interpret input as a number, return undefined." — numeric reducers then skip it', async () => {
    const mixed = [
      { event: 'pageview', properties: { time: at(1, 9), distinct_id: 'u1', load_time_ms: '12' } },
      { event: 'pageview', properties: { time: at(1, 10), distinct_id: 'u1', load_time_ms: 'slow' } },
    ];
    const { output } = await runOn(
      mixed,
      `function main() { return ${OCTOBER}.map(function (e) { return mixpanel.to_number("properties.load_time_ms")(e) === undefined; }); }`,
    );
    assert.deepEqual(output, [false, true]);
  });

  test('weekly_time_buckets: "buckets for calendar weeks, starting on Monday"', async () => {
    // 2026-10-01 is a Thursday; 2026-10-05 a Monday.
    const days = [1, 4, 5].map((day) => ({ event: 'pageview', properties: { time: at(day, 12), distinct_id: 'u1' } }));
    const { output } = await runOn(
      days,
      `function main() { return Events({from_date: "2026-10-01", to_date: "2026-10-05"}).groupBy([mixpanel.numeric_bucket("time", mixpanel.weekly_time_buckets)], mixpanel.reducer.count()); }`,
    );
    assert.deepEqual(sortedByKey(output), [
      { key: [Date.UTC(2026, 8, 28)], value: 2 },
      { key: [Date.UTC(2026, 9, 5)], value: 1 },
    ]);
  });
});

describe('groupByUser() and join() rules (JQL_GUIDE, "Transformations" and "join() Operation Details")', () => {
  const events = [
    { event: 'login', properties: { time: at(1, 12), distinct_id: 'u1' } },
    { event: 'view', properties: { time: at(1, 9), distinct_id: 'u1' } },
    { event: 'buy', properties: { time: at(2, 9), distinct_id: 'u1' } },
  ];

  test('"guarantees that the reduce function(s) will process all events of a single user in temporal order", with "an initial value of Undefined"', async () => {
    const { output } = await runOn(
      events,
      `function main() { return ${OCTOBER}.groupByUser(function (state, events) { state = state === undefined ? [] : state; return state.concat(events.map(function (e) { return e.name; })); }); }`,
    );
    assert.deepEqual(output, [{ key: ['u1'], value: ['view', 'login', 'buy'] }]);
  });

  test('"You cannot apply any transformations to the collections inside join()."', async () => {
    const { output, error } = await runOn(events, `function main() { return join(${OCTOBER}.filter(function () { return true; }), People()); }`);
    assert.equal(output, undefined);
    assert.match(error ?? '', /join\(\)/);
  });
});

function sortedByKey(output: unknown[] | undefined): unknown[] {
  return ((output ?? []) as Array<{ key: number[] }>).slice().sort((a, b) => a.key[0] - b.key[0]);
}

describe('the fake Mixpanel /jql hands scripts what Mixpanel does', () => {
  let fake: FakeMixpanel;

  before(async () => {
    fake = await startFakeMixpanel({ projects: { 77: { region: 'US', serviceAccounts: [{ username: 'sa.user', secret: 'sa-secret-4242' }] } } });
  });

  after(() => fake.close());

  test("the same script over the fake's fixture answers the same on /jql as locally", async () => {
    const script = `function main() {
      return Events({from_date: "2026-10-01", to_date: "2026-10-03", event_selectors: [{event: "Purchase"}]})
        .map(function (e) { return {name: e.name, distinct_id: e.distinct_id, time: e.time, sampling_factor: e.sampling_factor, amount: e.properties.amount, copies: ("time" in e.properties) || ("distinct_id" in e.properties)}; });
    }`;
    const response = await fetch(`${fake.url}/api/query/jql?project_id=77`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('sa.user:sa-secret-4242').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ script }).toString(),
    });
    assert.equal(response.status, 200);
    const remote = (await response.json()) as unknown[];
    const local = await runOn(
      MIXPANEL_FIXTURE_EVENTS.map((event) => ({
        event: event.event,
        properties: { time: Date.parse(event.time) / 1000, distinct_id: event.distinctId, ...event.properties },
      })),
      script,
    );
    // Purchases of the fixture: u1 30 on 10-02, u1 20 and u3 50 on 10-03.
    const expected = [
      { name: 'Purchase', distinct_id: 'u1', time: Date.parse('2026-10-02T12:00:00Z'), sampling_factor: 1, amount: 30, copies: false },
      { name: 'Purchase', distinct_id: 'u1', time: Date.parse('2026-10-03T08:00:00Z'), sampling_factor: 1, amount: 20, copies: false },
      { name: 'Purchase', distinct_id: 'u3', time: Date.parse('2026-10-03T10:00:00Z'), sampling_factor: 1, amount: 50, copies: false },
    ];
    assert.deepEqual(remote, expected);
    assert.deepEqual(local.output, expected);
  });
});

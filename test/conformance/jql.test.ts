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
async function runOn(events: ExportLine[], script: string, profiles: Array<{ $distinct_id: string; $properties: Record<string, unknown> }> = []): Promise<{ output?: unknown[]; error?: string }> {
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
    const { output, error } = await runOn(events, `function main() { return ${OCTOBER}.map(function (e) { return [e.distinct_id === undefined, typeof e.distinct_id]; }); }`);
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
    const { output } = await runOn(events, 'function main() { return Events({from_date: "2026-10-02", to_date: "2026-10-03"}).reduce(mixpanel.reducer.count()); }');
    assert.deepEqual(output, [2]);
  });

  test('from_date "Format: \\"YYYY-MM-DD\\"": a day that is not in the calendar is an error, not the next month', async () => {
    const day32 = await runOn(events, 'function main() { return Events({from_date: "2026-08-32", to_date: "2026-10-03"}).reduce(mixpanel.reducer.count()); }');
    assert.equal(day32.output, undefined);
    assert.match(day32.error ?? '', /from_date "2026-08-32" is not a date in the calendar/);
    // 2026 is not a leap year.
    const february29 = await runOn(events, 'function main() { return Events({from_date: "2026-01-01", to_date: "2026-02-29"}).reduce(mixpanel.reducer.count()); }');
    assert.match(february29.error ?? '', /to_date "2026-02-29" is not a date in the calendar/);
  });

  test('event_selectors: "Segmentation expressions in event selectors can only access event properties, not user properties."', async () => {
    const byEventProperty = await runOn(events, `function main() { return Events({from_date: "2026-10-01", to_date: "2026-10-03", event_selectors: [{event: "Purchase", selector: 'properties["amount"] > 10'}]}).map(function (e) { return e.distinct_id; }); }`, profiles);
    assert.deepEqual(byEventProperty.output, ['u1']);
    const byUserProperty = await runOn(events, `function main() { return Events({from_date: "2026-10-01", to_date: "2026-10-03", event_selectors: [{event: "Purchase", selector: 'user["plan"] == "team"'}]}).reduce(mixpanel.reducer.count()); }`, profiles);
    assert.equal(byUserProperty.output, undefined);
    assert.match(byUserProperty.error ?? '', /event_selectors: the selector 'user\["plan"\] == "team"' reads user\["plan"\], but event selectors can only read event properties/);
  });

  test('"Segmentation expressions in join() selectors can access both events and user properties." (JQL_GUIDE, "Combining Events and Profiles")', async () => {
    const { output, error } = await runOn(events, `function main() { return join(Events({from_date: "2026-10-01", to_date: "2026-10-03"}), People(), {type: "inner", selectors: [{selector: 'user["plan"] == "team" and properties["amount"] > 10'}]}).map(function (t) { return t.distinct_id; }); }`, profiles);
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
    const { output, error } = await runOn(events, `function main() { return join(${OCTOBER}, People(), {type: "left"}).map(function (t) { return [t.event.distinct_id === undefined ? "(none)" : t.event.distinct_id, t.user === undefined ? "(no user)" : t.user.properties.plan]; }); }`, profiles);
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
    const { output } = await runOn(events, `function main() { return ${OCTOBER}.groupBy(["properties.country"], [mixpanel.reducer.count(), mixpanel.reducer.sum("properties.amount")]); }`);
    // The reference promises no order of groups.
    const groups = (output as Array<{ key: string[] }>).slice().sort((a, b) => a.key[0].localeCompare(b.key[0]));
    assert.deepEqual(groups, [
      { key: ['DE'], value: [1, 5] },
      { key: ['US'], value: [2, 50] },
    ]);
  });
});

describe('the fake Mixpanel /jql hands scripts what Mixpanel does', () => {
  let fake: FakeMixpanel;

  before(async () => {
    fake = await startFakeMixpanel({ projects: { 77: { region: 'US', serviceAccounts: [{ username: 'sa.user', secret: 'sa-secret-4242' }] } } });
  });

  after(() => fake.close());

  test('the same script over the fake\'s fixture answers the same on /jql as locally', async () => {
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
      MIXPANEL_FIXTURE_EVENTS.map((event) => ({ event: event.event, properties: { time: Date.parse(event.time) / 1000, distinct_id: event.distinctId, ...event.properties } })),
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

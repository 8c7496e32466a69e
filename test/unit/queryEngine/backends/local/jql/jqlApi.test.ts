/**
 * The JQL API over a hand-written fixture (test/fixtures/jql/events.ndjson + events.people.ndjson),
 * run through the real worker and sandbox. Events 2026-10-01..03 (UTC), after de-duplication:
 *   1 u1 Landed   10-01 09:00  US Chrome plan free
 *   2 u1 Sign Up  10-01 09:05  US Chrome plan free
 *   3 u1 Purchase 10-01 10:00  US Chrome price 30 tags [a,b]   (its duplicate is dropped)
 *   4 u2 Landed   10-01 12:00  DE Firefox
 *   5 u2 Sign Up  10-02 08:00  DE Firefox plan premium
 *   6 u3 Landed   10-02 23:30  US Chrome                        (10-03 01:30 in Europe/Berlin)
 *   7 u2 Purchase 10-03 07:00  DE Firefox price 50 tags [b]
 *   8 u3 Purchase 10-03 09:00  US Chrome price "12" (a string)
 *   9 u4 Landed   10-03 10:00  Safari, no country
 *  (u1 Purchase 10-04, price 20: outside the range; one malformed line is skipped.)
 * Profiles: u1 {age 34, plan free}, u2 {age 27, plan premium}, u5 {age 50, plan free}.
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { disposeJqlWorkers, runJql } from '../../../../../../server/src/queryEngine/backends/local/jql/jqlRuntime';

const dataPath = join(__dirname, '../../../../../fixtures/jql/events.ndjson');
const EVENTS = 'Events({from_date: "2026-10-01", to_date: "2026-10-03"})';
const PURCHASES = 'Events({from_date: "2026-10-01", to_date: "2026-10-03", event_selectors: [{event: "Purchase"}]})';

async function run(body: string, options: { params?: Record<string, unknown>; timezone?: string } = {}): Promise<unknown[]> {
  const result = await runJql({ script: `function main() {\n  return ${body};\n}`, params: options.params ?? {}, dataPath, timezone: options.timezone });
  return result.output;
}

after(() => disposeJqlWorkers());

describe('data sources', () => {
  test('Events() counts the events of an inclusive date range, duplicates and malformed lines excluded, and warns about them', async () => {
    const result = await runJql({ script: `function main() { return ${EVENTS}.reduce(mixpanel.reducer.count()); }`, params: {}, dataPath });
    assert.deepEqual(result.output, [9]);
    // Worded as for every other query on the data, so aq run says them once.
    assert.deepEqual(result.warnings, [
      'skipped 1 malformed line (6); line 6: not valid JSON',
      'dropped 1 duplicate event (same $insert_id, event, distinct_id and time)',
    ]);
  });

  test('event objects have name, distinct_id, time in ms, sampling_factor 1 and properties', async () => {
    const [first] = (await run(`${EVENTS}.reduce(mixpanel.reducer.any())`)) as Array<Record<string, unknown>>;
    assert.equal(first.name, 'Landed');
    assert.equal(first.distinct_id, 'u1');
    assert.equal(first.time, Date.UTC(2026, 9, 1, 9));
    assert.equal(first.sampling_factor, 1);
    assert.equal((first.properties as Record<string, unknown>).$browser, 'Chrome');
  });

  test('dates and event times follow the project time zone (Europe/Berlin is UTC+2 in October)', async () => {
    assert.deepEqual(await run('Events({from_date: "2026-10-01", to_date: "2026-10-02"}).reduce(mixpanel.reducer.count())'), [6]);
    const berlin = { timezone: 'Europe/Berlin' };
    // u3's Landed at 23:30 UTC on the 2nd is 01:30 on the 3rd in Berlin.
    assert.deepEqual(await run('Events({from_date: "2026-10-01", to_date: "2026-10-02"}).reduce(mixpanel.reducer.count())', berlin), [5]);
    const [first] = (await run(`${EVENTS}.reduce(mixpanel.reducer.any())`, berlin)) as Array<{ time: number }>;
    assert.equal(first.time, Date.UTC(2026, 9, 1, 11));
  });

  test('event_selectors filter by event name and segmentation expression (any selector matches)', async () => {
    const script = `Events({from_date: "2026-10-01", to_date: "2026-10-03", event_selectors: [
      {event: "Purchase", selector: 'properties["price"] > 20'},
      {event: "Sign Up", selector: 'properties["plan"] == "premium"'}]}).map(function (e) { return e.name + ":" + e.distinct_id; })`;
    // u3's price "12" is a string: comparing it with a number is undefined, so it does not match.
    assert.deepEqual(await run(script), ['Purchase:u1', 'Sign Up:u2', 'Purchase:u2']);
  });

  test('params is a global holding the params object', async () => {
    const output = await run(
      'Events({from_date: params.from, to_date: params.to}).filter(function (e) { return e.name == params.event; }).reduce(mixpanel.reducer.count())',
      {
        params: { from: '2026-10-01', to: '2026-10-03', event: 'Sign Up' },
      },
    );
    assert.deepEqual(output, [2]);
  });

  test('People() returns profiles, filtered by user_selectors', async () => {
    assert.deepEqual(await run('People().map(function (u) { return u.distinct_id; })'), ['u1', 'u2', 'u5']);
    assert.deepEqual(await run('People({user_selectors: [{selector: \'user["age"] > 30\'}]}).map(function (u) { return u.distinct_id; })'), ['u1', 'u5']);
    assert.deepEqual(await run('People().groupBy(["properties.plan"], mixpanel.reducer.count())'), [
      { key: ['free'], value: 2 },
      { key: ['premium'], value: 1 },
    ]);
  });

  test('join() pairs events with profiles: full, left, right and inner', async () => {
    const count = (type: string) => run(`join(${EVENTS}, People(), {type: "${type}"}).reduce(mixpanel.reducer.count())`);
    // 9 events: 6 by users with a profile (u1, u2), 3 without (u3, u4); u5 has a profile and no events.
    assert.deepEqual(await count('inner'), [6]);
    assert.deepEqual(await count('left'), [9]);
    assert.deepEqual(await count('right'), [7]);
    assert.deepEqual(await count('full'), [10]);
    assert.deepEqual(await run(`join(${EVENTS}, People()).reduce(mixpanel.reducer.count())`), [10]);
    const pairs = await run(
      `join(${EVENTS}, People(), {type: "right"}).filter(function (t) { return !t.event; }).map(function (t) { return [t.distinct_id, t.user.properties.age]; })`,
    );
    assert.deepEqual(pairs, [['u5', 50]]);
  });

  test('join() selectors read event and user properties', async () => {
    const output = await run(
      `join(${EVENTS}, People(), {type: "inner", selectors: [{selector: 'user["age"] > 30 and properties["mp_country_code"] == "US"'}]}).map(function (t) { return t.event.name; })`,
    );
    assert.deepEqual(output, ['Landed', 'Sign Up', 'Purchase']);
  });
});

describe('transformations', () => {
  test('filter and map', async () => {
    assert.deepEqual(await run(`${EVENTS}.filter(function (e) { return e.properties.$browser == "Firefox"; }).map(function (e) { return e.name; })`), [
      'Landed',
      'Sign Up',
      'Purchase',
    ]);
  });

  test('groupBy a property path gives [{key, value}] sorted by key, a missing value as null', async () => {
    assert.deepEqual(await run(`${EVENTS}.groupBy(["properties.mp_country_code"], mixpanel.reducer.count())`), [
      { key: [null], value: 1 },
      { key: ['DE'], value: 3 },
      { key: ['US'], value: 5 },
    ]);
  });

  test('groupBy with several keys, a function key and several reducers', async () => {
    const output = await run(
      `${PURCHASES}.groupBy(["properties.$browser", function (e) { return new Date(e.time).getUTCDate(); }], [mixpanel.reducer.count(), mixpanel.reducer.sum("properties.price")])`,
    );
    assert.deepEqual(output, [
      { key: ['Chrome', 1], value: [1, 30] },
      { key: ['Chrome', 3], value: [1, 0] },
      { key: ['Firefox', 3], value: [1, 50] },
    ]);
  });

  test('groupBy inlines list values by default; mixpanel.multiple_keys makes one group per element', async () => {
    assert.deepEqual(await run(`${PURCHASES}.groupBy(["properties.tags"], mixpanel.reducer.count())`), [
      { key: [null], value: 1 },
      { key: ['a', 'b'], value: 1 },
      { key: ['b'], value: 1 },
    ]);
    assert.deepEqual(await run(`${PURCHASES}.groupBy(mixpanel.multiple_keys(["properties.tags"]), mixpanel.reducer.count())`), [
      { key: [null], value: 1 },
      { key: ['a'], value: 1 },
      { key: ['b'], value: 2 },
    ]);
  });

  test("groupByUser gives each user's events in time order to function(state, events)", async () => {
    const output = await run(`${EVENTS}.groupByUser(function (state, events) {
      state = state || [];
      for (var i = 0; i < events.length; i++) state.push(events[i].name);
      return state;
    })`);
    assert.deepEqual(output, [
      { key: ['u1'], value: ['Landed', 'Sign Up', 'Purchase'] },
      { key: ['u2'], value: ['Landed', 'Sign Up', 'Purchase'] },
      { key: ['u3'], value: ['Landed', 'Purchase'] },
      { key: ['u4'], value: ['Landed'] },
    ]);
  });

  test('groupByUser with extra keys, then groupBy(mixpanel.slice("key", 1)) counts unique users per country', async () => {
    const output = await run(
      `${EVENTS}.groupByUser(["properties.mp_country_code"], mixpanel.reducer.null()).groupBy([mixpanel.slice("key", 1)], mixpanel.reducer.count())`,
    );
    assert.deepEqual(output, [
      { key: [null], value: 1 },
      { key: ['DE'], value: 1 },
      { key: ['US'], value: 2 },
    ]);
  });

  test("groupByUser over join() and after one filter() gets each user's tuples in event time order", async () => {
    const output = await run(`join(${EVENTS}, People(), {type: "full"}).filter(function (t) { return t.user; }).groupByUser(function (state, tuples) {
      state = state || [];
      for (var i = 0; i < tuples.length; i++) state.push(tuples[i].event ? tuples[i].event.name : "(no events)");
      return state;
    })`);
    assert.deepEqual(output, [
      { key: ['u1'], value: ['Landed', 'Sign Up', 'Purchase'] },
      { key: ['u2'], value: ['Landed', 'Sign Up', 'Purchase'] },
      { key: ['u5'], value: ['(no events)'] },
    ]);
  });

  test('groupByUser is refused after a map()', async () => {
    await assert.rejects(run(`${EVENTS}.map(function (e) { return e; }).groupByUser(mixpanel.reducer.count())`), (error: Error) => {
      assert.match(error.message, /groupByUser\(\) can only be applied to Events\(\), People\(\) or join\(\)/);
      assert.match(error.message, /line 2/);
      return true;
    });
  });

  test('join() refuses transformed collections', async () => {
    await assert.rejects(
      run(`join(${EVENTS}.filter(function () { return true; }), People())`),
      /no transformations are allowed on the collections inside join\(\)/,
    );
  });

  test('reduce with a custom reducer gets accumulators from earlier batches', async () => {
    const countReducer =
      'function (accumulators, items) { var n = items.length; for (var i = 0; i < accumulators.length; i++) n += accumulators[i]; return n; }';
    // 12 000 items reach the reducer in batches; only a reducer that adds its accumulators counts them all.
    const many = `${EVENTS}.reduce(function () { return _.range(12000); }).flatten()`;
    assert.deepEqual(await run(`${many}.reduce(${countReducer})`), [12000]);
    assert.deepEqual(await run(`${EVENTS}.reduce(${countReducer})`), [9]);
  });

  test('reduce with an array of reducers gives one list', async () => {
    assert.deepEqual(await run(`${EVENTS}.reduce([mixpanel.reducer.count(), mixpanel.reducer.null()])`), [[9, null]]);
  });

  test('sortAsc and sortDesc by a path or a function', async () => {
    const byName = `${EVENTS}.groupBy(["name"], mixpanel.reducer.count())`;
    assert.deepEqual(
      (await run(`${byName}.sortAsc("value")`)).map((item) => (item as { key: string[] }).key[0]),
      ['Sign Up', 'Purchase', 'Landed'],
    );
    assert.deepEqual(
      (await run(`${byName}.sortDesc(function (g) { return g.value; })`)).map((item) => (item as { key: string[] }).key[0]),
      ['Landed', 'Purchase', 'Sign Up'],
    );
  });

  test('flatten inlines arrays and keeps other items', async () => {
    assert.deepEqual(await run(`${EVENTS}.reduce(function () { return [[1, 2], 3, [4]]; }).flatten().flatten()`), [1, 2, 3, 4]);
  });

  test('applyGroupLimits keeps the top key values per level by total, then the global top N, in input order', async () => {
    const items = `${EVENTS}.reduce(function () { return [
      {key: ["A", "x"], value: 5}, {key: ["A", "y"], value: 3}, {key: ["A", "z"], value: 1},
      {key: ["B", "x"], value: 4}, {key: ["B", "y"], value: 2}, {key: ["C", "x"], value: 10}]; }).flatten()`;
    // Totals per first key: A 9, B 6, C 10 -> keep C and A; within A keep x (5) and y (3).
    assert.deepEqual(await run(`${items}.applyGroupLimits([2, 2])`), [
      { key: ['A', 'x'], value: 5 },
      { key: ['A', 'y'], value: 3 },
      { key: ['C', 'x'], value: 10 },
    ]);
    assert.deepEqual(await run(`${items}.applyGroupLimits([2, 2], 2)`), [
      { key: ['A', 'x'], value: 5 },
      { key: ['C', 'x'], value: 10 },
    ]);
    assert.deepEqual(await run(`${items}.reduce(mixpanel.reducer.applyGroupLimits([1]))`), [[{ key: ['C', 'x'], value: 10 }]]);
  });
});

describe('builtin reducers and helpers', () => {
  test('count, sum, avg, min, max over a path accessor (non-numbers ignored)', async () => {
    const reducers = ['count()', 'sum("properties.price")', 'avg("properties.price")', 'min("properties.price")', 'max("properties.price")'];
    assert.deepEqual(await run(`${PURCHASES}.reduce([${reducers.map((r) => `mixpanel.reducer.${r}`).join(', ')}])`), [[3, 80, 40, 30, 50]]);
  });

  test('mixpanel.to_number turns numeric strings into numbers', async () => {
    assert.deepEqual(
      await run(
        `${PURCHASES}.reduce([mixpanel.reducer.sum(mixpanel.to_number("properties.price")), mixpanel.reducer.min(mixpanel.to_number("properties.price"))])`,
      ),
      [[92, 12]],
    );
    assert.deepEqual(await run(`${EVENTS}.reduce(function () { return ["7", "", "x", true, null, 2.5]; }).flatten().map(mixpanel.to_number())`), [
      7,
      null,
      null,
      1,
      null,
      2.5,
    ]);
  });

  test('min_by and max_by return the whole item', async () => {
    const [[cheapest, dearest]] = (await run(
      `${PURCHASES}.reduce([mixpanel.reducer.min_by("properties.price"), mixpanel.reducer.max_by("properties.price")])`,
    )) as Array<Array<{ distinct_id: string }>>;
    assert.equal(cheapest.distinct_id, 'u1');
    assert.equal(dearest.distinct_id, 'u2');
  });

  test('numeric_summary gives count, sum, sum_squares, avg and population stddev', async () => {
    // Prices 30 and 50: squares 900 + 2500; variance 3400/2 - 40^2 = 100.
    assert.deepEqual(await run(`${PURCHASES}.reduce(mixpanel.reducer.numeric_summary("properties.price"))`), [
      { count: 2, sum: 80, sum_squares: 3400, avg: 40, stddev: 10 },
    ]);
  });

  test('numeric_percentiles: one percentile gives a number, a list gives [{percentile, value}]', async () => {
    const price = 'mixpanel.to_number("properties.price")';
    // Prices 12, 30, 50: the median is 30; p25 lies halfway between 12 and 30.
    assert.deepEqual(await run(`${PURCHASES}.reduce(mixpanel.reducer.numeric_percentiles(${price}, 50))`), [30]);
    assert.deepEqual(await run(`${PURCHASES}.reduce(mixpanel.reducer.numeric_percentiles(${price}, [25, 50])).flatten()`), [
      { percentile: 25, value: 21 },
      { percentile: 50, value: 30 },
    ]);
  });

  test('top(n) gives one nested list of the n largest groups', async () => {
    assert.deepEqual(await run(`${EVENTS}.groupBy(["name"], mixpanel.reducer.count()).reduce(mixpanel.reducer.top(2))`), [
      [
        { key: ['Landed'], value: 4 },
        { key: ['Purchase'], value: 3 },
      ],
    ]);
  });

  test('object_merge sums numeric leaves', async () => {
    const output = await run(
      `${EVENTS}.map(function (e) { var o = {count: 1, names: {}}; o.names[e.name] = 1; return o; }).reduce(mixpanel.reducer.object_merge())`,
    );
    assert.deepEqual(output, [{ count: 9, names: { Landed: 4, 'Sign Up': 2, Purchase: 3 } }]);
  });

  test('numeric_bucket with a list of bounds or {bucket_size, offset}', async () => {
    // Events per user: u1 3, u2 3, u3 2, u4 1.
    const perUser = `${EVENTS}.groupByUser(mixpanel.reducer.count())`;
    assert.deepEqual(await run(`${perUser}.groupBy([mixpanel.numeric_bucket("value", {bucket_size: 2, offset: 1})], mixpanel.reducer.count())`), [
      { key: [1], value: 2 },
      { key: [3], value: 2 },
    ]);
    assert.deepEqual(await run(`${perUser}.groupBy([mixpanel.numeric_bucket("value", [0, 2, 3])], mixpanel.reducer.count())`), [
      { key: [0], value: 1 },
      { key: [2], value: 1 },
      { key: [3], value: 2 },
    ]);
  });

  test('time bucket constants: daily, weekly (from Monday), monthly, quarterly, annual', async () => {
    const bucket = (constant: string) => run(`${EVENTS}.groupBy([mixpanel.numeric_bucket("time", mixpanel.${constant})], mixpanel.reducer.count())`);
    assert.deepEqual(await bucket('daily_time_buckets'), [
      { key: [Date.UTC(2026, 9, 1)], value: 4 },
      { key: [Date.UTC(2026, 9, 2)], value: 2 },
      { key: [Date.UTC(2026, 9, 3)], value: 3 },
    ]);
    // 2026-10-01 is a Thursday; its week starts on Monday 2026-09-28.
    assert.deepEqual(await bucket('weekly_time_buckets'), [{ key: [Date.UTC(2026, 8, 28)], value: 9 }]);
    assert.deepEqual(await bucket('monthly_time_buckets'), [{ key: [Date.UTC(2026, 9, 1)], value: 9 }]);
    assert.deepEqual(await bucket('quarterly_time_buckets'), [{ key: [Date.UTC(2026, 9, 1)], value: 9 }]);
    assert.deepEqual(await bucket('annual_time_buckets'), [{ key: [Date.UTC(2026, 0, 1)], value: 9 }]);
  });

  test('the _ helpers', async () => {
    const output = await run(`[_.map([1, 2], function (x) { return x * 2; }), _.filter([1, 2, 3], function (x) { return x > 1; }),
      _.reduce([1, 2, 3], function (a, b) { return a + b; }, 0), _.keys({a: 1, b: 2}), _.values({a: 1}), _.pluck([{n: "x"}, {n: "y"}], "n"),
      _.sortBy([3, 1, 2], function (x) { return x; }), _.groupBy(["ab", "ac", "b"], function (s) { return s[0]; }), _.uniq([1, 1, 2]),
      _.flatten([1, [2, [3]]]), _.contains([1, 2], 2), _.max([1, 5, 3]), _.min([4, 2, 8]), _.sum([1, 2, 3]), _.countBy(["a", "b", "a"])]`);
    assert.deepEqual(output, [
      [2, 4],
      [2, 3],
      6,
      ['a', 'b'],
      [1],
      ['x', 'y'],
      [1, 2, 3],
      { a: ['ab', 'ac'], b: ['b'] },
      [1, 2],
      [1, 2, 3],
      true,
      5,
      2,
      6,
      { a: 2, b: 1 },
    ]);
  });
});

describe('script errors', () => {
  test('a thrown error keeps its message and line', async () => {
    await assert.rejects(
      runJql({ script: 'function main() {\n  throw new Error("no data for " + params.x);\n}', params: { x: 'today' }, dataPath }),
      (error: Error & { kind?: string }) => {
        assert.equal(error.kind, 'script');
        assert.equal(error.message, 'Error: no data for today (line 2, column 9)');
        return true;
      },
    );
  });

  test('Events() without dates, and a broken selector, say what is wrong', async () => {
    await assert.rejects(run('Events({})'), /Events\(\) needs from_date and to_date/);
    await assert.rejects(
      run('Events({from_date: "2026-10-01", to_date: "2026-10-03", event_selectors: [{selector: \'properties["x" ==\'}]})'),
      /not a valid segmentation expression/,
    );
  });
});

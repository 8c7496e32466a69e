import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { runLocalFunnel, runLocalFunnelBy } from '../../../../../server/src/queryEngine/backends/local/localFunnel';
import { datasetOf, expr, funnel, type EventRow } from './localFixtures';

const chrome = { $browser: 'Chrome' };
const firefox = { $browser: 'Firefox' };
const rows: EventRow[] = [
  // u1 finishes exactly at the 1-hour window.
  ['A', 'u1', '2026-10-01T10:00:00.000', chrome],
  ['B', 'u1', '2026-10-01T10:30:00.000', chrome],
  ['C', 'u1', '2026-10-01T11:00:00.000', chrome],
  // u2's last step is one millisecond too late.
  ['A', 'u2', '2026-10-01T10:00:00.000', firefox],
  ['B', 'u2', '2026-10-01T10:30:00.000', firefox],
  ['C', 'u2', '2026-10-01T11:00:00.001', firefox],
  // u3 did B an hour before A: order matters (beyond the two-second grace), so only step 1 counts.
  ['B', 'u3', '2026-10-01T09:00:00.000', chrome],
  ['A', 'u3', '2026-10-01T10:00:00.000', chrome],
  ['C', 'u3', '2026-10-01T10:10:00.000', chrome],
  // u4 enters at the first A and times out; the second A does not re-enter the funnel, except as a
  // new segment under `on` (the first attempt is over by then).
  ['A', 'u4', '2026-10-01T10:00:00.000', { $browser: 'Safari' }],
  ['A', 'u4', '2026-10-01T12:00:00.000', chrome],
  ['B', 'u4', '2026-10-01T12:10:00.000', chrome],
  ['C', 'u4', '2026-10-01T12:20:00.000', chrome],
  // u5 entered before the range: not counted even though later steps are inside.
  ['A', 'u5', '2026-09-30T23:59:00.000', chrome],
  ['B', 'u5', '2026-10-01T00:10:00.000', chrome],
  // u6 entered on the last day; step 2 falls after the range but inside the window.
  ['A', 'u6', '2026-10-02T23:50:00.000', firefox],
  ['B', 'u6', '2026-10-03T00:20:00.000', firefox],
];
const data = datasetOf(rows);
const spec = (overrides = {}) =>
  funnel({ steps: ['A', 'B', 'C'], range: { from: '2026-10-01', to: '2026-10-02' }, window: { count: 1, unit: 'hour' }, ...overrides });

test('counts users per step with the window measured from the first step (inclusive edge)', () => {
  const result = runLocalFunnel(data, spec());
  assert.deepEqual(result.steps, ['A', 'B', 'C']);
  assert.equal(result.segments.length, 1);
  const overall = result.segments[0];
  assert.equal(overall.segment, null);
  assert.deepEqual(overall.counts, [5, 3, 1]);
  assert.deepEqual(overall.overallConversion, [1, 0.6, 0.2]);
  assert.deepEqual(overall.stepConversion, [1, 0.6, 1 / 3]);
  // B: u1, u2 and u6 after 30 minutes each; C: u1 after 30 minutes.
  assert.deepEqual(overall.avgTimeSeconds, [null, 1800, 1800]);
  assert.deepEqual(result.window, { count: 1, unit: 'hour' });
});

test('a wider window lets the late user finish', () => {
  const result = runLocalFunnel(data, spec({ window: { count: 2, unit: 'hour' } }));
  // u2 now finishes; u4's B (2 h 10 min after its entry) is still outside the window.
  assert.deepEqual(result.segments[0].counts, [5, 3, 2]);
});

test("on segments by the entry event's property; a user enters once per segment, after leaving the last attempt", () => {
  const result = runLocalFunnel(data, spec({ on: expr('properties["$browser"]') }));
  // u4 enters Safari at 10:00 (times out at 11:00), then Chrome at 12:00 and converts there.
  assert.deepEqual(
    result.segments.map((s) => [s.segment, s.counts]),
    [
      [null, [6, 4, 2]],
      ['Chrome', [3, 2, 2]],
      ['Firefox', [2, 2, 0]],
      ['Safari', [1, 0, 0]],
    ],
  );
  const limited = runLocalFunnel(data, spec({ on: expr('properties["$browser"]'), limit: 1 }));
  assert.deepEqual(
    limited.segments.map((s) => s.segment),
    [null, 'Chrome'],
  );
});

test('where filters the events of every step', () => {
  const result = runLocalFunnel(data, spec({ where: expr('properties["$browser"] == "Chrome"') }));
  assert.deepEqual(result.segments[0].counts, [3, 2, 2]);
});

test('a step may repeat an earlier event, and needs a later occurrence', () => {
  const repeated = datasetOf([
    ['A', 'x', '2026-10-01T10:00:00'],
    ['B', 'x', '2026-10-01T10:01:00'],
    ['A', 'x', '2026-10-01T10:02:00'],
    ['A', 'y', '2026-10-01T10:00:00'],
    ['B', 'y', '2026-10-01T10:01:00'],
  ]);
  const result = runLocalFunnel(repeated, funnel({ steps: ['A', 'B', 'A'], range: { from: '2026-10-01', to: '2026-10-01' } }));
  assert.deepEqual(result.segments[0].counts, [2, 2, 1]);
});

test('nobody entering gives zero conversions, not NaN', () => {
  const result = runLocalFunnel(data, spec({ steps: ['Nope', 'B'] }));
  assert.deepEqual(result.segments[0].counts, [0, 0]);
  assert.deepEqual(result.segments[0].overallConversion, [0, 0]);
  assert.deepEqual(result.segments[0].stepConversion, [1, 0]);
});

test('a saved funnel cannot run locally and says why', () => {
  assert.throws(() => runLocalFunnel(data, spec({ steps: [], savedId: 7125032 })), /saved funnels live in Mixpanel/);
});

test('unit week buckets entries by the week they entered in, in the source time zone', () => {
  const events = datasetOf([
    // Sunday 22:30 UTC is Monday 00:30 in Berlin (UTC+2): a different week there.
    ['A', 'late-sunday', '2026-10-04T22:30:00'],
    ['B', 'late-sunday', '2026-10-04T22:40:00'],
    ['A', 'midweek', '2026-10-07T10:00:00'],
  ]);
  const weekly = spec({ steps: ['A', 'B'], range: { from: '2026-10-01', to: '2026-10-14' }, unit: 'week' });
  const byWeek = (timezone: string) => runLocalFunnel(events, weekly, { timezone }).byDate?.map((week) => [week.date, week.segments[0].counts]);
  assert.deepEqual(byWeek('UTC'), [
    ['2026-09-28', [1, 1]],
    ['2026-10-05', [1, 0]],
    ['2026-10-12', [0, 0]],
  ]);
  assert.deepEqual(byWeek('Europe/Berlin'), [
    ['2026-09-28', [0, 0]],
    ['2026-10-05', [2, 1]],
    ['2026-10-12', [0, 0]],
  ]);
  // The whole range is one funnel as well, and the result says how it is bucketed.
  const result = runLocalFunnel(events, weekly);
  assert.equal(result.unit, 'week');
  assert.deepEqual(result.segments[0].counts, [2, 1]);
});

// Times cluster on a few hours with sub-three-second jitter, so next steps land inside and just
// outside the two-second grace period and on window edges; two users with many entries each.
const funnelEventArbitrary = fc.record({
  name: fc.constantFrom('A', 'B', 'C'),
  user: fc.constantFrom('u1', 'u2'),
  hour: fc.constantFrom(2, 3, 4, 5, 26, 27, 28),
  jitterMs: fc.constantFrom(0, 1000, 2000, 2001),
  plan: fc.constantFrom<unknown>('free', 'pro', undefined),
});

const funnelOptionsArbitrary = fc.record({
  steps: fc.constantFrom(['A', 'B'], ['A', 'B', 'C'], ['A', 'B', 'A'], ['A', 'A'], ['A', 'B', 'B', 'A'], ['B', 'A'], ['A', 'D']),
  window: fc.constantFrom({ count: 1, unit: 'hour' as const }, { count: 3, unit: 'hour' as const }, { count: 1, unit: 'day' as const }),
  on: fc.constantFrom(undefined, 'properties["plan"]'),
  where: fc.constantFrom(undefined, 'properties["plan"] != "free"'),
  unit: fc.constantFrom(undefined, 'day' as const),
});

type FunnelEvent = typeof funnelEventArbitrary extends fc.Arbitrary<infer T> ? T : never;
type FunnelOptions = typeof funnelOptionsArbitrary extends fc.Arbitrary<infer T> ? T : never;

const eventRowsOf = (events: FunnelEvent[]): EventRow[] =>
  events.map((event) => [
    event.name,
    event.user,
    new Date(Date.parse('2026-09-30T22:00:00Z') + event.hour * 3_600_000 + event.jitterMs).toISOString(),
    event.plan === undefined ? {} : { plan: event.plan },
  ]);

const specOf = (options: FunnelOptions, reentry: 'default' | 'optimized') =>
  funnel({
    ...options,
    steps: [...options.steps],
    range: { from: '2026-10-01', to: '2026-10-02' },
    reentry,
    on: options.on === undefined ? undefined : expr(options.on),
    where: options.where === undefined ? undefined : expr(options.where),
  });

test('next steps found through the step index count exactly as walking the events, in both re-entry modes', () => {
  fc.assert(
    fc.property(
      fc.array(funnelEventArbitrary, { minLength: 10, maxLength: 80 }),
      funnelOptionsArbitrary,
      fc.constantFrom('default' as const, 'optimized' as const),
      (events, options, reentry) => {
        const dataset = datasetOf(eventRowsOf(events));
        const spec = specOf(options, reentry);
        assert.deepEqual(runLocalFunnelBy('step index', dataset, spec), runLocalFunnelBy('scan', dataset, spec));
      },
    ),
    { numRuns: 300 },
  );
});

test('optimized re-entry counts users with many entries (the step index) as walking their events does', () => {
  fc.assert(
    fc.property(fc.array(funnelEventArbitrary, { minLength: 130, maxLength: 200 }), funnelOptionsArbitrary, (events, options) => {
      const dataset = datasetOf(eventRowsOf(events));
      const spec = specOf(options, 'optimized');
      assert.deepEqual(runLocalFunnel(dataset, spec), runLocalFunnelBy('scan', dataset, spec));
    }),
    { numRuns: 50 },
  );
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { runLocalRetention, runLocalRetentionByBirthRecords } from '../../../../../server/src/queryEngine/backends/local/localRetention';
import { datasetOf, expr, retention, type EventRow } from './localFixtures';

const data = datasetOf([
  ['Sign Up', 'u1', '2026-10-01T09:00:00', { plan: 'free' }],
  ['Purchase', 'u1', '2026-10-01T10:00:00', { channel: 'web' }],
  ['Sign Up', 'u1', '2026-10-02T12:00:00', { plan: 'free' }],
  ['Purchase', 'u1', '2026-10-02T14:00:00', { channel: 'app' }],
  ['Purchase', 'u2', '2026-10-01T11:00:00', { channel: 'web' }],
  ['Sign Up', 'u2', '2026-10-01T12:00:00', { plan: 'premium' }],
  ['Viewed', 'u2', '2026-10-02T12:00:00'],
  ['Purchase', 'u2', '2026-10-03T12:00:00', { channel: 'app' }],
  ['Sign Up', 'u3', '2026-10-02T08:00:00', { plan: 'team' }],
  ['Purchase', 'u3', '2026-10-03T09:00:00', { channel: 'web' }],
  ['Sign Up', 'u4', '2026-09-30T09:00:00', { plan: 'free' }],
  ['Purchase', 'u4', '2026-10-01T09:00:00', { channel: 'web' }],
]);
const range = { from: '2026-10-01', to: '2026-10-02' };
const signUps = (overrides = {}) => retention({ bornEvent: 'Sign Up', returnEvent: 'Purchase', range, intervalCount: 2, ...overrides });

test('birth: cohort by the first born event in range; retained[i] counts returns i days later', () => {
  const result = runLocalRetention(data, signUps());
  assert.equal(result.retentionType, 'birth');
  // u2's purchase before signing up does not count; u4 was born before the range.
  assert.deepEqual(result.cohorts, [
    { date: '2026-10-01', size: 2, retained: [1, 1, 1], segment: null },
    { date: '2026-10-02', size: 1, retained: [0, 1, 0], segment: null },
  ]);
});

test('interval_count sets the number of intervals after the birth interval', () => {
  const result = runLocalRetention(data, signUps({ intervalCount: 1 }));
  assert.deepEqual(
    result.cohorts.map((c) => c.retained),
    [
      [1, 1],
      [0, 1],
    ],
  );
});

test('without a return event any event counts as a return', () => {
  const result = runLocalRetention(data, signUps({ returnEvent: undefined }));
  assert.deepEqual(result.cohorts[0], { date: '2026-10-01', size: 2, retained: [1, 2, 1], segment: null });
});

test('returning with the born event itself: the birth event does not count as its own return', () => {
  const result = runLocalRetention(data, signUps({ returnEvent: 'Sign Up' }));
  assert.deepEqual(
    result.cohorts.map((c) => [c.date, c.size, c.retained]),
    [
      ['2026-10-01', 2, [0, 1, 0]],
      ['2026-10-02', 1, [0, 0, 0]],
    ],
  );
});

test('born_where filters the birth events', () => {
  const result = runLocalRetention(data, signUps({ bornWhere: expr('properties["plan"] == "team"') }));
  assert.deepEqual(result.cohorts, [{ date: '2026-10-02', size: 1, retained: [0, 1, 0], segment: null }]);
});

test('on segments by the return event: a row per cohort and value, sized by the whole cohort', () => {
  const result = runLocalRetention(data, signUps({ on: expr('properties["channel"]') }));
  // u1 came back on the web 1 hour after birth and in the app 29 hours after; u2 in the app 48
  // hours after; u3 (born 10-02) on the web 25 hours after. app and web tie at 2 users: by name.
  assert.deepEqual(
    result.cohorts.map((c) => [c.date, c.segment, c.size, c.retained]),
    [
      ['2026-10-01', 'app', 2, [0, 1, 1]],
      ['2026-10-01', 'web', 2, [1, 0, 0]],
      ['2026-10-02', 'web', 1, [0, 1, 0]],
    ],
  );
});

test('compounded: the born event is ignored; a user joins the cohort of every day in which they did the return event', () => {
  const result = runLocalRetention(data, signUps({ retentionType: 'compounded' }));
  // Purchases in the range: u4, u1, u2 on 10-01 and u1 on 10-02. u1 buys again 28 hours after
  // their 10-01 purchase, u2 49 hours after theirs; nobody buys after u1's 10-02 purchase.
  assert.deepEqual(result.cohorts, [
    { date: '2026-10-01', size: 3, retained: [0, 1, 1], segment: null },
    { date: '2026-10-02', size: 1, retained: [0, 0, 0], segment: null },
  ]);
});

test('calendar_windows counts by calendar day; the default rolling windows by 24-hour periods', () => {
  const late = datasetOf([
    ['Sign Up', 'u1', '2026-10-01T20:00:00'],
    ['Purchase', 'u1', '2026-10-02T06:00:00'],
  ]);
  const spec = signUps({ range: { from: '2026-10-01', to: '2026-10-01' }, intervalCount: 1 });
  assert.deepEqual(runLocalRetention(late, spec).cohorts[0].retained, [1, 0]);
  assert.deepEqual(runLocalRetention(late, { ...spec, windows: 'calendar' }).cohorts[0].retained, [0, 1]);
});

test('unbounded_retention counts a user in every interval up to their latest return, even one past interval_count', () => {
  const spec = signUps({ range: { from: '2026-10-01', to: '2026-10-01' }, intervalCount: 1 });
  const sparse = datasetOf([
    ['Sign Up', 'u1', '2026-10-01T08:00:00'],
    ['Purchase', 'u1', '2026-10-05T08:00:00'],
    ['Sign Up', 'u2', '2026-10-01T09:00:00'],
    ['Purchase', 'u2', '2026-10-01T10:00:00'],
  ]);
  assert.deepEqual(runLocalRetention(sparse, spec).cohorts[0].retained, [1, 0]);
  assert.deepEqual(runLocalRetention(sparse, { ...spec, unbounded: true }).cohorts[0].retained, [2, 1]);
});

test('unit week labels cohorts by their Monday', () => {
  const result = runLocalRetention(data, signUps({ unit: 'week', intervalCount: 1 }));
  assert.deepEqual(result.cohorts, [{ date: '2026-09-28', size: 3, retained: [3, 0], segment: null }]);
});

test('a return at the birth instant is day 0 and one exactly 24 hours later day 1, by either path', () => {
  const ties = datasetOf([
    ['Sign Up', 'u1', '2026-10-01T09:00:00'],
    ['Purchase', 'u1', '2026-10-01T09:00:00'],
    ['Sign Up', 'u2', '2026-10-01T10:00:00'],
    ['Purchase', 'u2', '2026-10-02T10:00:00'],
  ]);
  const spec = signUps({ range: { from: '2026-10-01', to: '2026-10-01' }, intervalCount: 1 });
  const expected = [{ date: '2026-10-01', size: 2, retained: [1, 1], segment: null }];
  assert.deepEqual(runLocalRetention(ties, spec).cohorts, expected);
  assert.deepEqual(runLocalRetentionByBirthRecords(ties, spec).cohorts, expected);
});

// Events on a few days over eleven weeks around the ranges (their edges, the days of the
// daylight-saving changes of the zones below) and a few times of day, so that events share times,
// for a handful of users: births before, inside and after the range, returns in several intervals.
const eventArbitrary = fc.record({
  name: fc.constantFrom('A', 'B', 'C'),
  user: fc.constantFrom('u1', 'u2', 'u3', 'u4', 'u5'),
  day: fc.oneof(
    { arbitrary: fc.constantFrom(5, 7, 8, 12, 13, 14, 26, 27, 36, 37, 61, 62), weight: 4 },
    { arbitrary: fc.integer({ min: 0, max: 76 }), weight: 1 },
  ),
  halfHour: fc.oneof(fc.constantFrom(0, 1, 47), fc.integer({ min: 0, max: 47 })),
  plan: fc.constantFrom<unknown>('free', 'pro', 1, '', undefined),
});

const retentionSpecArbitrary = fc.record({
  bornEvent: fc.constantFrom('A', 'B'),
  returnEvent: fc.constantFrom(undefined, 'A', 'B', 'C'),
  retentionType: fc.constantFrom('birth' as const, 'birth' as const, 'compounded' as const),
  unit: fc.constantFrom('day' as const, 'week' as const, 'month' as const),
  intervalCount: fc.constantFrom(0, 1, 2, 4, 29, 40),
  windows: fc.constantFrom('rolling' as const, 'calendar' as const),
  unbounded: fc.boolean(),
  range: fc.constantFrom(
    { from: '2026-09-01', to: '2026-09-30' },
    { from: '2026-09-06', to: '2026-09-08' },
    { from: '2026-09-20', to: '2026-10-31' },
    { from: '2026-10-25', to: '2026-10-26' },
  ),
  on: fc.constantFrom(undefined, 'properties["plan"]'),
  where: fc.constantFrom(undefined, undefined, 'properties["plan"] == "pro"'),
  bornWhere: fc.constantFrom(undefined, undefined, 'properties["plan"] != "free"'),
  limit: fc.constantFrom(1, 2, 60),
  clean: fc.boolean(),
});

test('retention over typed arrays (the fast path) equals the record-per-entry general path on random events, specs and zones', () => {
  const first = Date.parse('2026-08-25T00:00:00Z');
  fc.assert(
    fc.property(
      fc.array(eventArbitrary, { minLength: 30, maxLength: 80 }),
      fc.array(retentionSpecArbitrary, { minLength: 1, maxLength: 3 }),
      fc.constantFrom(undefined, 'Europe/Berlin', 'America/Santiago'),
      (events, specs, timezone) => {
        const rows: EventRow[] = events.map((event) => [
          event.name,
          event.user,
          new Date(first + event.day * 86_400_000 + event.halfHour * 1_800_000).toISOString(),
          event.plan === undefined ? {} : { plan: event.plan },
        ]);
        // One dataset for several queries: what the index keeps from one query serves the next.
        const dataset = datasetOf(rows);
        for (const options of specs) {
          const spec = retention({
            ...options,
            on: options.on === undefined ? undefined : expr(options.on),
            where: options.where === undefined ? undefined : expr(options.where),
            bornWhere: options.bornWhere === undefined ? undefined : expr(options.bornWhere),
          });
          const segmentCounts: number[] = [];
          const onSegmentCount = (count: number): number => segmentCounts.push(count);
          assert.deepEqual(
            runLocalRetention(dataset, spec, { timezone, onSegmentCount }),
            runLocalRetentionByBirthRecords(dataset, spec, { timezone, onSegmentCount }),
          );
          assert.equal(segmentCounts[0], segmentCounts[1]);
        }
      },
    ),
    { numRuns: 300 },
  );
});

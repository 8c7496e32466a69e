import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLocalSegmentation } from '../../../../../server/src/queryEngine/backends/local/localSegmentation';
import { datasetOf, expr, segmentation } from './localFixtures';

// Hand-checked fixture: 8 purchases by 4 users around 2026-10-01..03, plus one unrelated sign-up.
const data = datasetOf(
  [
    ['Purchase', 'u1', '2026-09-30T23:59:00', { $browser: 'Chrome', revenue: 4 }],
    ['Purchase', 'u1', '2026-10-01T10:00:00', { $browser: 'Chrome', revenue: 10 }],
    ['Purchase', 'u1', '2026-10-01T11:00:00', { $browser: 'Chrome', revenue: 20 }],
    ['Purchase', 'u2', '2026-10-01T12:00:00', { $browser: 'Safari', revenue: 5 }],
    ['Purchase', 'u2', '2026-10-02T09:00:00', { $browser: 'Safari', revenue: 7 }],
    ['Purchase', 'u3', '2026-10-02T23:30:00', { $browser: 'Chrome', revenue: '30' }],
    ['Purchase', 'u3', '2026-10-03T08:00:00', { $browser: '', revenue: 1 }],
    ['Purchase', 'u4', '2026-10-03T09:00:00', { revenue: 2 }],
    ['Sign Up', 'u5', '2026-10-01T10:00:00', { $browser: 'Chrome' }],
  ],
  { u1: { plan: 'team' }, u2: { plan: 'free' } },
);
const range = { from: '2026-10-01', to: '2026-10-03' };
const purchases = (overrides = {}) => segmentation({ event: 'Purchase', range, ...overrides });

test('general counts events per day; the range is inclusive and in UTC by default', () => {
  const result = runLocalSegmentation(data, purchases());
  assert.deepEqual(result.dates, ['2026-10-01', '2026-10-02', '2026-10-03']);
  assert.deepEqual(result.series, [{ segment: null, values: [3, 2, 2], total: 7 }]);
  assert.equal(result.measure, 'general');
});

test('unique counts distinct users per day; the total is distinct users over the range', () => {
  const result = runLocalSegmentation(data, purchases({ type: 'unique' }));
  assert.deepEqual(result.series, [{ segment: null, values: [2, 2, 2], total: 4 }]);
});

test('average is events per user per day', () => {
  const result = runLocalSegmentation(data, purchases({ type: 'average' }));
  assert.deepEqual(result.series, [{ segment: null, values: [1.5, 1, 1], total: 1.75 }]);
});

test('on splits into segments, largest total first, with "" and "undefined" as their own segments', () => {
  const result = runLocalSegmentation(data, purchases({ on: expr('properties["$browser"]') }));
  assert.deepEqual(result.series, [
    { segment: 'Chrome', values: [2, 1, 0], total: 3 },
    { segment: 'Safari', values: [1, 1, 0], total: 2 },
    { segment: '', values: [0, 0, 1], total: 1 },
    { segment: 'undefined', values: [0, 0, 1], total: 1 },
  ]);
});

test('clean drops "" and "undefined" segments before limit picks the top N', () => {
  const cleaned = runLocalSegmentation(data, purchases({ on: expr('properties["$browser"]'), clean: true }));
  assert.deepEqual(
    cleaned.series.map((s) => s.segment),
    ['Chrome', 'Safari'],
  );
  const limited = runLocalSegmentation(data, purchases({ on: expr('properties["$browser"]'), limit: 1 }));
  assert.deepEqual(
    limited.series.map((s) => s.segment),
    ['Chrome'],
  );
});

test('where keeps only matching events', () => {
  const result = runLocalSegmentation(data, purchases({ where: expr('properties["$browser"] == "Chrome"') }));
  assert.deepEqual(result.series, [{ segment: null, values: [2, 1, 0], total: 3 }]);
});

test('on user[...] segments by the profile; users without one are "undefined"', () => {
  const result = runLocalSegmentation(data, purchases({ on: expr('user["plan"]') }));
  assert.deepEqual(result.series, [
    { segment: 'undefined', values: [0, 1, 2], total: 3 },
    { segment: 'free', values: [1, 1, 0], total: 2 },
    { segment: 'team', values: [2, 0, 0], total: 2 },
  ]);
});

test('buckets follow the time zone: 23:30 UTC is the next day in Europe/Berlin', () => {
  const result = runLocalSegmentation(data, purchases(), { timezone: 'Europe/Berlin' });
  // Berlin is UTC+2: 09-30T23:59Z enters the range, 10-02T23:30Z moves to 10-03.
  assert.deepEqual(result.series[0].values, [4, 1, 3]);
});

test('unit week starts on Monday; unit month; unit hour', () => {
  const week = runLocalSegmentation(data, purchases({ unit: 'week', range: { from: '2026-10-01', to: '2026-10-05' } }));
  assert.deepEqual(week.dates, ['2026-09-28', '2026-10-05']);
  assert.deepEqual(week.series[0].values, [7, 0]);
  const month = runLocalSegmentation(data, purchases({ unit: 'month' }));
  assert.deepEqual(month.dates, ['2026-10-01']);
  assert.deepEqual(month.series[0].values, [7]);
  const hour = runLocalSegmentation(data, purchases({ unit: 'hour', range: { from: '2026-10-01', to: '2026-10-01' } }));
  assert.equal(hour.dates.length, 24);
  assert.equal(hour.dates[10], '2026-10-01T10:00');
  assert.deepEqual(hour.series[0].values.slice(9, 13), [0, 1, 1, 1]);
});

test('measure sum and average of the numeric on value per day (numeric strings count)', () => {
  const sum = runLocalSegmentation(data, purchases({ on: expr('properties["revenue"]'), measure: 'sum' }));
  assert.deepEqual(sum.series, [{ segment: null, values: [35, 37, 3], total: 75 }]);
  assert.equal(sum.measure, 'sum');
  const average = runLocalSegmentation(data, purchases({ on: expr('properties["revenue"]'), measure: 'average' }));
  assert.deepEqual(average.series[0].values, [35 / 3, 18.5, 1.5]);
  assert.equal(average.series[0].total, 75 / 7);
});

test('measure numeric buckets the value into round ranges', () => {
  const result = runLocalSegmentation(data, purchases({ on: expr('properties["revenue"]'), measure: 'numeric', buckets: 2 }));
  assert.deepEqual(result.series, [
    { segment: '0 - 20', values: [2, 1, 2], total: 5 },
    { segment: '20 - 40', values: [1, 1, 0], total: 2 },
  ]);
});

test('measure without on is a clear error', () => {
  assert.throws(() => runLocalSegmentation(data, purchases({ measure: 'sum' })), /needs an `on` expression/);
});

test('a list value puts the event in each of its distinct elements', () => {
  const tagged = datasetOf([
    ['View', 'u1', '2026-10-01T10:00:00', { tags: ['sale', 'new', 'sale'] }],
    ['View', 'u2', '2026-10-01T11:00:00', { tags: ['sale'] }],
  ]);
  const result = runLocalSegmentation(tagged, segmentation({ event: 'View', range: { from: '2026-10-01', to: '2026-10-01' }, on: expr('properties["tags"]') }));
  assert.deepEqual(result.series, [
    { segment: 'sale', values: [2], total: 2 },
    { segment: 'new', values: [1], total: 1 },
  ]);
});

test('an event with no data in the range gives zeros on every date', () => {
  const result = runLocalSegmentation(data, segmentation({ event: 'Nope', range }));
  assert.deepEqual(result.series, [{ segment: null, values: [0, 0, 0], total: 0 }]);
});

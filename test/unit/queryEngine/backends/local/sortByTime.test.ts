import assert from 'node:assert/strict';
import test from 'node:test';
import {
  addToTimeProfile,
  emptyTimeProfile,
  sortByTime,
  sortByTimeInBuckets,
  type TimedRows,
} from '../../../../../server/src/queryEngine/backends/local/sortByTime';

/** A deterministic stream of numbers in [0, 1). */
function randomFrom(seed: number): () => number {
  let state = seed;
  return () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

/** `count` events whose times come from `timeOf`; users and names tie often. */
function rowsOf(count: number, timeOf: (i: number) => number, seed = 1): TimedRows {
  const next = randomFrom(seed);
  const rows: TimedRows = { times: new Float64Array(count), users: new Int32Array(count), nameIds: new Int32Array(count) };
  for (let i = 0; i < count; i++) {
    rows.times[i] = timeOf(i);
    rows.users[i] = Math.floor(next() * 50);
    rows.nameIds[i] = Math.floor(next() * 4);
  }
  return rows;
}

/** The plain way: a stable comparison sort of the file positions by time. */
function plainSort(rows: TimedRows): Array<[number, number, number, number]> {
  return [...rows.times.keys()].sort((a, b) => rows.times[a] - rows.times[b] || a - b).map((i) => [i, rows.times[i], rows.users[i], rows.nameIds[i]]);
}

function copyOf(rows: TimedRows): TimedRows {
  return { times: rows.times.slice(), users: rows.users.slice(), nameIds: rows.nameIds.slice() };
}

function asList(sorted: ReturnType<typeof sortByTime>): Array<[number, number, number, number]> {
  return [...sorted.order].map((position, i) => [position, sorted.times[i], sorted.users[i], sorted.nameIds[i]]);
}

const next = randomFrom(42);
const cases: Array<[string, TimedRows]> = [
  // Whole seconds over months, many ties (the radix sort, three passes).
  ['whole seconds over months', rowsOf(20_000, () => (1_790_000_000 + Math.floor(next() * 8e6)) * 1000)],
  // Whole seconds, a narrow range (one pass) and far outliers (all passes).
  ['whole seconds within half an hour', rowsOf(5_000, () => (1_790_000_000 + Math.floor(next() * 1800)) * 1000)],
  ['whole seconds with outliers decades away', rowsOf(5_000, (i) => (i % 97 === 0 ? 1_000_000_000 + i : 1_790_000_000 + Math.floor(next() * 1e5)) * 1000)],
  // Whole milliseconds within 49 days (radix on milliseconds) and past it (the buckets).
  ['whole milliseconds within a day', rowsOf(10_000, () => 1_790_000_000_000 + Math.floor(next() * 86_400_000))],
  ['whole milliseconds over a year', rowsOf(10_000, () => 1_790_000_000_000 + Math.floor(next() * 3.2e10))],
  // Fractions of a millisecond (the buckets), negative times (before 1970).
  ['fractional milliseconds', rowsOf(5_000, () => 1_790_000_000_000 + next() * 1e6)],
  ['times before 1970', rowsOf(5_000, () => (-1_000_000 + Math.floor(next() * 2_000_000)) * 1000)],
  ['all equal', rowsOf(3_000, () => 1_790_000_000_000)],
  ['already sorted', rowsOf(3_000, (i) => 1_790_000_000_000 + Math.floor(i / 3) * 1000)],
  ['descending', rowsOf(3_000, (i) => 1_790_000_000_000 - i * 1000)],
  ['one event', rowsOf(1, () => 5)],
  ['no events', rowsOf(0, () => 0)],
];

for (const [name, rows] of cases) {
  test(`events sorted by time equal a stable comparison sort: ${name}`, () => {
    const expected = plainSort(rows);
    assert.deepEqual(asList(sortByTime(copyOf(rows))), expected);
    assert.deepEqual(asList(sortByTimeInBuckets(copyOf(rows))), expected);
  });
}

/** The profile the plain way: every check on the whole array, `%` for whole seconds. */
function plainProfile(times: Float64Array): unknown {
  const list = [...times];
  return {
    count: list.length,
    min: Math.min(Infinity, ...list),
    max: Math.max(-Infinity, ...list),
    sorted: list.every((time, i) => i === 0 || !(time < list[i - 1])),
    wholeMilliseconds: list.every((time) => Number.isInteger(time)),
    wholeSeconds: list.every((time) => Number.isInteger(time) && time % 1000 === 0),
  };
}

test('the time profile gathered chunk by chunk (as a load does) equals the one of the whole array, and sorts the same', () => {
  // Past 2^53 a quotient by 1000 can be whole when the time is not (144115188075857000).
  const edges = new Float64Array([
    2 ** 53 - 1000,
    2 ** 53 - 1,
    2 ** 53 + 2,
    144115188075857000,
    -144115188075857000,
    -1000,
    -0,
    -1,
    1e21,
    1790000000000.5,
    999,
    1000,
    1001,
  ]);
  const all: Array<[string, Float64Array, TimedRows?]> = [
    ...cases.map(([name, rows]): [string, Float64Array, TimedRows] => [name, rows.times, rows]),
    ...[...edges].map((time): [string, Float64Array] => [`whole seconds or not: ${time}`, new Float64Array([1790000000000, time])]),
  ];
  for (const [name, times, rows] of all) {
    const expected = plainProfile(times);
    for (const size of [1, 7, 1000, Math.max(1, times.length)]) {
      const profile = emptyTimeProfile();
      for (let at = 0; at < times.length; at += size) addToTimeProfile(profile, times.subarray(at, at + size));
      const { count, min, max, sorted, wholeMilliseconds, wholeSeconds } = profile;
      assert.deepEqual({ count, min, max, sorted, wholeMilliseconds, wholeSeconds }, expected, `${name}, chunks of ${size}`);
      if (rows) assert.deepEqual(asList(sortByTime(copyOf(rows), profile)), plainSort(rows), `${name}, chunks of ${size}`);
    }
  }
});

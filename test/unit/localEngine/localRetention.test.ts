import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLocalRetention } from '../../../server/src/queryEngine/backends/local/localRetention';
import { datasetOf, expr, retention } from './localFixtures';

const data = datasetOf([
  ['Sign Up', 'u1', '2026-10-01T09:00:00', { plan: 'free' }],
  ['Purchase', 'u1', '2026-10-01T10:00:00'],
  ['Sign Up', 'u1', '2026-10-02T12:00:00', { plan: 'free' }],
  ['Purchase', 'u1', '2026-10-02T14:00:00'],
  ['Purchase', 'u2', '2026-10-01T11:00:00'],
  ['Sign Up', 'u2', '2026-10-01T12:00:00', { plan: 'premium' }],
  ['Viewed', 'u2', '2026-10-02T12:00:00'],
  ['Purchase', 'u2', '2026-10-03T12:00:00'],
  ['Sign Up', 'u3', '2026-10-02T08:00:00', { plan: 'team' }],
  ['Purchase', 'u3', '2026-10-03T09:00:00'],
  ['Sign Up', 'u4', '2026-09-30T09:00:00', { plan: 'free' }],
  ['Purchase', 'u4', '2026-10-01T09:00:00'],
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
  assert.deepEqual(result.cohorts.map((c) => c.retained), [[1, 1], [0, 1]]);
});

test('without a return event any event counts as a return', () => {
  const result = runLocalRetention(data, signUps({ returnEvent: undefined }));
  assert.deepEqual(result.cohorts[0], { date: '2026-10-01', size: 2, retained: [1, 2, 1], segment: null });
});

test('returning with the born event itself: the birth event does not count as its own return', () => {
  const result = runLocalRetention(data, signUps({ returnEvent: 'Sign Up' }));
  assert.deepEqual(result.cohorts.map((c) => [c.date, c.size, c.retained]), [
    ['2026-10-01', 2, [0, 1, 0]],
    ['2026-10-02', 1, [0, 0, 0]],
  ]);
});

test('born_where filters the birth events', () => {
  const result = runLocalRetention(data, signUps({ bornWhere: expr('properties["plan"] == "team"') }));
  assert.deepEqual(result.cohorts, [{ date: '2026-10-02', size: 1, retained: [0, 1, 0], segment: null }]);
});

test('on segments cohorts by the birth event', () => {
  const result = runLocalRetention(data, signUps({ on: expr('properties["plan"]') }));
  assert.deepEqual(result.cohorts.map((c) => [c.date, c.segment, c.size, c.retained]), [
    ['2026-10-01', 'free', 1, [1, 1, 0]],
    ['2026-10-01', 'premium', 1, [0, 0, 1]],
    ['2026-10-02', 'team', 1, [0, 1, 0]],
  ]);
});

test('compounded: a user joins the cohort of every bucket in which they did the born event', () => {
  const result = runLocalRetention(data, signUps({ retentionType: 'compounded' }));
  assert.deepEqual(result.cohorts, [
    { date: '2026-10-01', size: 2, retained: [1, 1, 1], segment: null },
    { date: '2026-10-02', size: 2, retained: [1, 1, 0], segment: null },
  ]);
});

test('unit week labels cohorts by their Monday', () => {
  const result = runLocalRetention(data, signUps({ unit: 'week', intervalCount: 1 }));
  assert.deepEqual(result.cohorts, [{ date: '2026-09-28', size: 3, retained: [3, 0], segment: null }]);
});

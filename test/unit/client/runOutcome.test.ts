import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { describeOutcome, expectationsOutcome, oneLine } from '../../../client/src/runOutcome';

const finishedAt = Date.UTC(2024, 2, 1, 12, 0, 0);

test('a success reads rows, series, duration and cache age', () => {
  const outcome = { ok: true as const, rowCount: 1204, seriesCount: 3, durationMs: 812, cachedAgeMs: 90_000, finishedAt };
  assert.equal(describeOutcome(outcome, finishedAt + 30_000), '✓ 1,204 rows · 3 series · 0.8 s · cached 2 min ago');
  assert.equal(describeOutcome({ ...outcome, cachedAgeMs: 10_000 }, finishedAt), '✓ 1,204 rows · 3 series · 0.8 s · cached just now');
});

test('a fresh single-series result leaves out series and cache', () => {
  assert.equal(describeOutcome({ ok: true, rowCount: 1, seriesCount: 1, durationMs: 12_345, finishedAt }, finishedAt), '✓ 1 row · 12 s');
});

test('a failure shows its first line, shortened', () => {
  assert.equal(
    describeOutcome({ ok: false, message: '\nMixpanel rejected the credentials (401).\nCheck the secret.', finishedAt }, finishedAt),
    '✗ Mixpanel rejected the credentials (401).',
  );
  const long = oneLine('x'.repeat(500));
  assert.equal(long.length, 120);
  assert.ok(long.endsWith('…'));
});

test('the headline comes first and a limit notice last', () => {
  const outcome = {
    ok: true as const,
    headline: '1,729 → 647 · 37.4 %',
    limited: { noun: 'segments' as const, shown: 60, total: 312, limit: 60 },
    rowCount: 61,
    seriesCount: 61,
    durationMs: 800,
    finishedAt,
  };
  assert.equal(describeOutcome(outcome, finishedAt), '✓ 1,729 → 647 · 37.4 % · 61 rows · 61 series · 0.8 s · showing 60 of 312 segments — raise limit');
  const unknownTotal = { ...outcome, headline: undefined, limited: { noun: 'segments' as const, shown: 60, limit: 60 } };
  assert.match(describeOutcome(unknownTotal, finishedAt), /· showing the first 60 segments \(limit 60\), there may be more — raise limit$/);
});

test('a query with expectations reads them first: all passed, or the first that did not', () => {
  const base = { ok: true as const, headline: '1,729 → 647 · 37.4 %', rowCount: 3, seriesCount: 1, durationMs: 800, finishedAt };
  const passed = expectationsOutcome([
    { status: 'passed', message: 'conversion 37.4% (expected > 30%)' },
    { status: 'passed', message: 'x' },
    { status: 'passed', message: 'y' },
  ]);
  assert.equal(describeOutcome({ ...base, expectations: passed }, finishedAt), '✓ 3/3 expectations · 1,729 → 647 · 37.4 % · 3 rows · 0.8 s');
  const failed = expectationsOutcome([
    { status: 'passed', message: 'x' },
    { status: 'failed', message: 'total 812, expected > 1,000' },
  ]);
  assert.equal(describeOutcome({ ...base, expectations: failed }, finishedAt), '✗ total 812, expected > 1,000');
  const two = expectationsOutcome([
    { status: 'error', message: 'The query failed: boom' },
    { status: 'failed', message: 'total 812, expected > 1,000' },
  ]);
  assert.equal(describeOutcome({ ...base, expectations: two }, finishedAt), '✗ The query failed: boom (+1 more)');
  // A query without expectations reads as before.
  assert.equal(describeOutcome({ ...base, expectations: expectationsOutcome([]) }, finishedAt), '✓ 1,729 → 647 · 37.4 % · 3 rows · 0.8 s');
});

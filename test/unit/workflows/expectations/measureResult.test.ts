import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueryResult, ResultData } from '../../../../server/src/protocol/resultModel';
import { checkLabel, holds, measureResult, retainedMeasure } from '../../../../server/src/workflows/expectations/measureResult';

function resultOf(data: ResultData): QueryResult {
  return {
    title: 'q',
    queryKind: data.kind === 'funnel' ? 'funnel' : data.kind === 'retention' ? 'retention' : 'segmentation',
    source: { kind: 'local', name: 'x' },
    cleaned: false,
    data,
    meta: { computedAt: '', durationMs: 0, rowCount: 0, seriesCount: 0, warnings: [] },
  };
}

describe('retained N: the weighted average of Mixpanel’s retention report', () => {
  it('reproduces the documented example: cohorts of 1000 and 500 retaining 500 and 400 give 56 %, count 466.67; a cohort without the interval is left out', () => {
    const data: ResultData = {
      kind: 'retention',
      unit: 'day',
      retentionType: 'birth',
      cohorts: [
        { date: '2026-03-01', size: 1000, retained: [1000, 500], segment: null },
        { date: '2026-03-02', size: 500, retained: [500, 400], segment: null },
        // Too young to have interval 1.
        { date: '2026-03-03', size: 700, retained: [700], segment: null },
      ],
    };
    const share = retainedMeasure(1, false, data);
    const count = retainedMeasure(1, true, data);
    assert.ok(share.ok && Math.abs(share.value - 0.56) < 1e-12);
    assert.ok(count.ok && Math.abs(count.value - 466.6666666666667) < 1e-9);
    const none = retainedMeasure(2, false, data);
    assert.ok(!none.ok && /No cohort of the result has completed interval 2/.test(none.message));
  });

  it('leaves out a cohort whose interval N has not ended for all its members by now', () => {
    const data: ResultData = {
      kind: 'retention',
      unit: 'week',
      retentionType: 'birth',
      cohorts: [
        { date: '2026-10-05', size: 10, retained: [10, 5], segment: null },
        // Born up to 10-18; their week 1 ends by 11-01 at the latest.
        { date: '2026-10-12', size: 10, retained: [10, 1], segment: null },
      ],
    };
    const before = retainedMeasure(1, false, data, new Date('2026-10-31T23:00:00Z'));
    assert.ok(before.ok && before.value === 0.5);
    const after = retainedMeasure(1, false, data, new Date('2026-11-02T00:00:00Z'));
    assert.ok(after.ok && after.value === 0.3);
  });
});

describe('measures on results', () => {
  const unique: ResultData = {
    kind: 'series',
    unit: 'day',
    dates: ['2026-10-01'],
    measure: 'unique',
    series: [
      { segment: 'Chrome', values: [2], total: 2 },
      { segment: 'Safari', values: [1], total: 1 },
    ],
  };

  it('does not add unique users across series: it says to expect a series instead', () => {
    const outcome = measureResult({ kind: 'total' }, resultOf(unique));
    assert.ok(!outcome.ok && /do not add up/.test(outcome.message));
    assert.deepEqual(measureResult({ kind: 'seriesTotal', series: 'Safari' }, resultOf(unique)), { ok: true, value: 1 });
    const missing = measureResult({ kind: 'seriesTotal', series: 'Edge' }, resultOf(unique));
    assert.ok(!missing.ok && missing.message === 'No series "Edge" in the result (series: "Chrome", "Safari").');
  });

  it('names the unsegmented series by its measure, as the table does', () => {
    const single: ResultData = { ...unique, series: [{ segment: null, values: [3], total: 3 }] };
    assert.deepEqual(measureResult({ kind: 'seriesTotal', series: 'Unique users' }, resultOf(single)), { ok: true, value: 3 });
  });

  it('a measure of another kind of result is an error, not a number', () => {
    const outcome = measureResult({ kind: 'conversion' }, resultOf(unique));
    assert.ok(!outcome.ok && /cannot be measured on a segmentation result/.test(outcome.message));
  });

  it('a funnel nobody entered converts 0, and its steps are found by name', () => {
    const funnel: ResultData = {
      kind: 'funnel',
      steps: ['A', 'B'],
      window: undefined,
      segments: [{ segment: null, counts: [0, 0], overallConversion: [1, 0], stepConversion: [1, 0], avgTimeSeconds: [null, null] }],
    };
    assert.deepEqual(measureResult({ kind: 'conversion' }, resultOf(funnel)), { ok: true, value: 0 });
    assert.deepEqual(measureResult({ kind: 'stepConversion', step: 'B' }, resultOf(funnel)), { ok: true, value: 0 });
    assert.ok(!measureResult({ kind: 'stepCount', step: 'C' }, resultOf(funnel)).ok);
  });
});

describe('checks', () => {
  const bound = (value: number, written: string, percent = false) => ({ value, written, percent });

  it('compares a share written as a percentage at the precision it is written', () => {
    assert.equal(holds({ kind: 'compare', operator: '==', bound: bound(0.375, '37.5%', true) }, 3 / 8), true);
    assert.equal(holds({ kind: 'compare', operator: '>=', bound: bound(0.1 + 0.2, '30%', true) }, 0.3), true);
    assert.equal(holds({ kind: 'compare', operator: '!=', bound: bound(1, '1') }, 1), false);
    assert.equal(holds({ kind: 'between', low: bound(1, '1'), high: bound(2, '2') }, 2), true);
  });

  it('says the check as written, counts with thousands separators', () => {
    assert.equal(checkLabel({ kind: 'compare', operator: '>', bound: bound(1000, '1000') }, false), '> 1,000');
    assert.equal(checkLabel({ kind: 'between', low: bound(0.2, '20%', true), high: bound(0.45, '0.45') }, true), 'between 20% and 0.45');
    assert.equal(checkLabel({ kind: 'withinPrevious', tolerance: bound(0.1, '10%', true) }, false), 'within 10% of previous');
  });
});

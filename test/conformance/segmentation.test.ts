/**
 * Segmentation measures, checked against Mixpanel's Query API documentation: the OpenAPI file's
 * /segmentation, /segmentation/sum and /segmentation/average (developer.mixpanel.com/reference/
 * segmentation-query, .../segmentation-query-average). Expected numbers are worked out by hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { segmentationOf, type EventRow } from './conformanceKit';

describe('measure sum and average', () => {
  const rows: EventRow[] = [
    ['Purchase', 'u1', '2026-10-01T09:00:00', { amount: 10 }],
    ['Purchase', 'u2', '2026-10-01T10:00:00', { amount: 20 }],
    ['Purchase', 'u3', '2026-10-01T11:00:00', { amount: 'n/a' }],
    ['Purchase', 'u4', '2026-10-01T12:00:00', {}],
  ];

  it('average: a non-numeric value counts as 0.0', () => {
    // OpenAPI /segmentation/average, on: "The result of the expression should be a numeric value.
    // If the expression is not numeric, a value of 0.0 is assumed." Four events: (10 + 20 + 0 + 0) / 4.
    const result = segmentationOf('segmentation "Purchase"\n  on properties["amount"]\n  measure average\n  from 2026-10-01 to 2026-10-01\n', rows);
    assert.deepEqual(
      result.series.map((entry) => [entry.values, entry.total]),
      [[[7.5], 7.5]],
    );
  });

  it('sum: a non-numeric value adds 0.0', () => {
    // OpenAPI /segmentation/sum, on: the same sentence. 10 + 20 + 0 + 0.
    const result = segmentationOf('segmentation "Purchase"\n  on properties["amount"]\n  measure sum\n  from 2026-10-01 to 2026-10-01\n', rows);
    assert.deepEqual(
      result.series.map((entry) => entry.values),
      [[30]],
    );
  });
});

describe('type unique by week and month', () => {
  // u1 is active on Monday, Tuesday and Wednesday of the week of 2026-10-05, u2 on the Tuesday.
  const rows: EventRow[] = [
    ['Open App', 'u1', '2026-10-05T09:00:00'],
    ['Open App', 'u1', '2026-10-06T09:00:00'],
    ['Open App', 'u1', '2026-10-07T09:00:00'],
    ['Open App', 'u2', '2026-10-06T10:00:00'],
  ];

  it('a weekly unique count counts each user once per week', () => {
    // OpenAPI /segmentation, type: "If this is set to "unique", we return the unique count of
    // events or property values. If set to "general", we return the total, including repeats."
    // (Mixpanel's /segmentation itself has no week unit — "This can be "minute", "hour", "day", or
    // "month"" — so on a Mixpanel source aq sums daily uniques and says so in a warning.)
    const unique = segmentationOf('segmentation "Open App"\n  type unique\n  unit week\n  from 2026-10-05 to 2026-10-11\n', rows);
    assert.deepEqual([unique.dates, unique.series[0].values], [['2026-10-05'], [2]]);
    const general = segmentationOf('segmentation "Open App"\n  unit week\n  from 2026-10-05 to 2026-10-11\n', rows);
    assert.deepEqual(general.series[0].values, [4]);
  });

  it('a monthly unique count counts each user once per month', () => {
    // Same sentence, with unit month, which /segmentation has.
    const monthly = segmentationOf('segmentation "Open App"\n  type unique\n  unit month\n  from 2026-10-01 to 2026-10-31\n', rows);
    assert.deepEqual([monthly.dates, monthly.series[0].values], [['2026-10-01'], [2]]);
  });
});

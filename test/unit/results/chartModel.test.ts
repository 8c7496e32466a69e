import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { resultToChartSpec } from '../../../server/src/results/chartModel';
import { debuggerData, funnelData, makeResult, retentionData, rowsData, seriesData } from './resultFixtures';

test('series draw one line per segment over the dates; chart bar switches to bars', () => {
  const spec = resultToChartSpec(makeResult(seriesData));
  assert.ok(spec.type === 'line');
  assert.deepEqual(spec.xLabels, ['2024-03-01', '2024-03-02', '2024-03-03']);
  assert.deepEqual(spec.series[0], { name: 'France', values: [1200, 30, 4] });
  assert.equal(spec.series[3].name, '(empty)');
  assert.equal(resultToChartSpec(makeResult(seriesData, { chart: 'bar' })).type, 'bar');
});

test('pie charts are totals per segment', () => {
  const spec = resultToChartSpec(makeResult(seriesData, { chart: 'pie' }));
  assert.ok(spec.type === 'pie');
  assert.deepEqual(spec.slices.slice(0, 2), [
    { name: 'France', value: 1234 },
    { name: 'undefined', value: 6 },
  ]);
});

test('funnels carry counts and conversion percentages per segment', () => {
  const spec = resultToChartSpec(makeResult(funnelData));
  assert.ok(spec.type === 'funnel');
  assert.deepEqual(spec.steps, ['Signup', 'Purchase']);
  assert.deepEqual(spec.series[1], { name: 'iOS', counts: [120, 40], overallPercent: [100, 33.33], stepPercent: [100, 33.33], avgSeconds: [null, 1800] });
});

test('retention becomes a heat-map of % retained, leaving the triangle gap empty', () => {
  const spec = resultToChartSpec(makeResult(retentionData));
  assert.ok(spec.type === 'heatmap');
  assert.deepEqual(spec.rowLabels, ['2024-03-04', '2024-03-11']);
  assert.deepEqual(spec.columnLabels, ['Week 0', 'Week 1', 'Week 2']);
  assert.deepEqual(spec.cells, [
    [0, 0, 100, 100],
    [1, 0, 40, 40],
    [2, 0, 25, 25],
    [0, 1, 100, 80],
    [1, 1, 25, 20],
  ]);
});

test('rows with a numeric column become bars by the first column; debugger has no chart', () => {
  const spec = resultToChartSpec(makeResult(rowsData));
  assert.ok(spec.type === 'bar');
  assert.deepEqual(spec.xLabels, ['Sign, up', 'Say "hi"', '(none)']);
  assert.deepEqual(spec.series, [{ name: 'count', values: [1500, -3, 0.5] }]);
  assert.equal(resultToChartSpec(makeResult(debuggerData)).type, 'none');
});

test('the retention curve averages each interval over the cohorts old enough to have it', () => {
  const spec = resultToChartSpec(makeResult(retentionData));
  assert.equal(spec.type, 'heatmap');
  if (spec.type !== 'heatmap') return;
  // Interval 1: (40 + 20) / (100 + 80); interval 2: only the first cohort has it, 25 / 100.
  assert.deepEqual(spec.curve.series, [{ name: 'All users', values: [100, 33.33, 25] }]);
  assert.deepEqual(spec.curve.xLabels, ['Week 0', 'Week 1', 'Week 2']);
});

test('compare previous: each series gets its previous period, bucket by bucket, marked to be drawn in its colour', () => {
  const previous = {
    ...(seriesData as Extract<typeof seriesData, { kind: 'series' }>),
    dates: ['2024-02-27', '2024-02-28', '2024-02-29'],
    series: [{ segment: 'France', values: [600, 60, 2], total: 662 }],
  };
  const spec = resultToChartSpec(makeResult(seriesData, { comparison: { range: { from: '2024-02-27', to: '2024-02-29' }, data: previous } }));
  assert.equal(spec.type, 'line');
  if (spec.type !== 'line') return;
  assert.equal(spec.series.length, 8);
  assert.deepEqual(spec.series[4], { name: 'France · previous period', values: [600, 60, 2], previousOf: 0 });
  assert.deepEqual(spec.series[5].values, [0, 0, 0], 'a segment absent before counts 0 in the previous period');
});

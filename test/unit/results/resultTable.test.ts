import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { resultToTable } from '../../../server/src/results/resultTable';
import { resultToChartSpec } from '../../../server/src/results/chartModel';
import type { FunnelData } from '../../../server/src/protocol/resultModel';
import { debuggerData, funnelData, makeResult, retentionData, rowsData, seriesData } from './resultFixtures';

test('series become Date then one number column per segment, in the result order', () => {
  const table = resultToTable(makeResult(seriesData));
  assert.deepEqual(table.columns, [
    { name: 'Date', type: 'date' },
    { name: 'France', type: 'number' },
    { name: 'undefined', type: 'number' },
    { name: '=HYPERLINK("http://evil")', type: 'number' },
    { name: '(empty)', type: 'number' },
  ]);
  assert.deepEqual(table.rows, [
    ['2024-03-01', 1200, 5, 1, 0],
    ['2024-03-02', 30, 0, 1, 1],
    ['2024-03-03', 4, 1, 0, 0],
  ]);
});

test('clean drops the "" and "undefined" segment columns', () => {
  const table = resultToTable(makeResult(seriesData), { clean: true });
  assert.deepEqual(
    table.columns.map((column) => column.name),
    ['Date', 'France', '=HYPERLINK("http://evil")'],
  );
  assert.deepEqual(table.rows[0], ['2024-03-01', 1200, 1]);
});

test('a series without `on` is one column named after the measure', () => {
  const data = {
    kind: 'series' as const,
    unit: 'day' as const,
    measure: 'unique' as const,
    dates: ['2024-03-01'],
    series: [{ segment: null, values: [42], total: 42 }],
  };
  const table = resultToTable(makeResult(data), { clean: true });
  assert.deepEqual(
    table.columns.map((column) => column.name),
    ['Date', 'Unique users'],
  );
  assert.deepEqual(table.rows, [['2024-03-01', 42]]);
});

test('funnels have a Step column and count / overall % / step % per segment', () => {
  const table = resultToTable(makeResult(funnelData, { queryKind: 'funnel' }));
  assert.deepEqual(
    table.columns.map((column) => column.name),
    [
      'Step',
      'All users count',
      'All users overall %',
      'All users step %',
      'iOS count',
      'iOS overall %',
      'iOS step %',
      'undefined count',
      'undefined overall %',
      'undefined step %',
    ],
  );
  assert.deepEqual(table.rows, [
    ['Signup', 200, 100, 100, 120, 100, 100, 80, 100, 100],
    ['Purchase', 50, 25, 25, 40, 33.33, 33.33, 10, 12.5, 12.5],
  ]);
  const cleaned = resultToTable(makeResult(funnelData), { clean: true });
  assert.equal(cleaned.columns.length, 7, 'the overall row stays, "undefined" goes');
});

test('an unsegmented funnel has plain column names', () => {
  const data = { ...funnelData, segments: [(funnelData as { segments: unknown[] }).segments[0]] } as typeof funnelData;
  assert.deepEqual(
    resultToTable(makeResult(data)).columns.map((column) => column.name),
    ['Step', 'count', 'overall %', 'step %'],
  );
});

test('retention is Cohort, Size, then one column per interval with gaps left empty', () => {
  const table = resultToTable(makeResult(retentionData, { queryKind: 'retention' }));
  assert.deepEqual(
    table.columns.map((column) => column.name),
    ['Cohort', 'Size', 'Week 0', 'Week 1', 'Week 2'],
  );
  assert.deepEqual(table.rows, [
    ['2024-03-04', 100, 100, 40, 25],
    ['2024-03-11', 80, 80, 20, null],
  ]);
});

test('segmented retention adds a Segment column', () => {
  const data = { ...retentionData, cohorts: [{ date: '2024-03-04', size: 10, retained: [10], segment: 'FR' }] } as typeof retentionData;
  const table = resultToTable(makeResult(data));
  assert.deepEqual(
    table.columns.map((column) => column.name),
    ['Cohort', 'Segment', 'Size', 'Week 0'],
  );
  assert.deepEqual(table.rows, [['2024-03-04', 'FR', 10, 10]]);
});

test('rows pass through; boolean columns are shown as text columns', () => {
  const table = resultToTable(makeResult(rowsData, { queryKind: 'jql' }));
  assert.deepEqual(table.columns, [
    { name: 'event', type: 'string' },
    { name: 'count', type: 'number' },
    { name: 'paid', type: 'string' },
  ]);
  assert.deepEqual(table.rows[0], ['Sign, up', 1500, true]);
});

test('debugger results are one row per event carrying its session', () => {
  const table = resultToTable(makeResult(debuggerData, { queryKind: 'debugger' }));
  assert.equal(table.rows.length, 2);
  assert.deepEqual(
    table.columns.map((column) => column.name),
    ['Session', 'Visitor', 'Session started', 'Event', 'Time', 'Type', 'URL', 'Title', 'Error', 'Excluded'],
  );
  assert.deepEqual(table.rows[1], [
    '9007199254740993',
    'a1b2',
    '2024-03-01T10:00:00Z',
    1,
    '2024-03-01T10:01:00Z',
    'Broken event',
    null,
    null,
    'Missing parameter: idsite',
    null,
  ]);
});

test('a per-date funnel flattens to one row per date and segment, with counts per step and the overall %', () => {
  const row = (segment: string | null, counts: number[]) => ({
    segment,
    counts,
    overallConversion: counts.map((count) => count / counts[0]),
    stepConversion: [1, counts[1] / counts[0]],
    avgTimeSeconds: [null, 60],
  });
  const data: FunnelData = {
    kind: 'funnel',
    steps: ['A', 'B'],
    window: { count: 1, unit: 'day' },
    segments: [row(null, [3, 1]), row('x', [2, 1]), row('undefined', [1, 0])],
    unit: 'week',
    byDate: [
      { date: '2024-03-04', segments: [row(null, [2, 1]), row('x', [1, 1]), row('undefined', [1, 0])] },
      { date: '2024-03-11', segments: [row(null, [1, 0]), row('x', [1, 0])] },
    ],
  };
  const table = resultToTable(makeResult(data));
  assert.deepEqual(
    table.columns.map((column) => column.name),
    ['Date', 'Segment', 'A', 'B', 'Overall %'],
  );
  assert.deepEqual(table.rows, [
    ['2024-03-04', 'All users', 2, 1, 50],
    ['2024-03-04', 'x', 1, 1, 100],
    ['2024-03-04', 'undefined', 1, 0, 0],
    ['2024-03-11', 'All users', 1, 0, 0],
    ['2024-03-11', 'x', 1, 0, 0],
  ]);
  // `clean` drops the noise segment on every date, and the chart draws conversion over time.
  assert.deepEqual(
    resultToTable(makeResult(data), { clean: true }).rows.map((cells) => cells.slice(0, 2)),
    [
      ['2024-03-04', 'All users'],
      ['2024-03-04', 'x'],
      ['2024-03-11', 'All users'],
      ['2024-03-11', 'x'],
    ],
  );
  assert.deepEqual(resultToChartSpec(makeResult(data)), {
    type: 'line',
    xLabels: ['2024-03-04', '2024-03-11'],
    valueSuffix: '%',
    series: [
      { name: 'All users · A → B', values: [50, 0] },
      { name: 'x · A → B', values: [100, 0] },
      { name: 'undefined · A → B', values: [0, null] },
    ],
  });
});

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { resultToTable } from '../../../server/src/results/resultTable';
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
  assert.deepEqual(table.columns.map((column) => column.name), ['Date', 'France', '=HYPERLINK("http://evil")']);
  assert.deepEqual(table.rows[0], ['2024-03-01', 1200, 1]);
});

test('a series without `on` is one column named after the measure', () => {
  const data = { kind: 'series' as const, unit: 'day' as const, measure: 'unique' as const, dates: ['2024-03-01'], series: [{ segment: null, values: [42], total: 42 }] };
  const table = resultToTable(makeResult(data), { clean: true });
  assert.deepEqual(table.columns.map((column) => column.name), ['Date', 'Unique users']);
  assert.deepEqual(table.rows, [['2024-03-01', 42]]);
});

test('funnels have a Step column and count / overall % / step % per segment', () => {
  const table = resultToTable(makeResult(funnelData, { queryKind: 'funnel' }));
  assert.deepEqual(table.columns.map((column) => column.name), [
    'Step',
    'All users count', 'All users overall %', 'All users step %',
    'iOS count', 'iOS overall %', 'iOS step %',
    'undefined count', 'undefined overall %', 'undefined step %',
  ]);
  assert.deepEqual(table.rows, [
    ['Signup', 200, 100, 100, 120, 100, 100, 80, 100, 100],
    ['Purchase', 50, 25, 25, 40, 33.33, 33.33, 10, 12.5, 12.5],
  ]);
  const cleaned = resultToTable(makeResult(funnelData), { clean: true });
  assert.equal(cleaned.columns.length, 7, 'the overall row stays, "undefined" goes');
});

test('an unsegmented funnel has plain column names', () => {
  const data = { ...funnelData, segments: [(funnelData as { segments: unknown[] }).segments[0]] } as typeof funnelData;
  assert.deepEqual(resultToTable(makeResult(data)).columns.map((column) => column.name), ['Step', 'count', 'overall %', 'step %']);
});

test('retention is Cohort, Size, then one column per interval with gaps left empty', () => {
  const table = resultToTable(makeResult(retentionData, { queryKind: 'retention' }));
  assert.deepEqual(table.columns.map((column) => column.name), ['Cohort', 'Size', 'Week 0', 'Week 1', 'Week 2']);
  assert.deepEqual(table.rows, [
    ['2024-03-04', 100, 100, 40, 25],
    ['2024-03-11', 80, 80, 20, null],
  ]);
});

test('segmented retention adds a Segment column', () => {
  const data = { ...retentionData, cohorts: [{ date: '2024-03-04', size: 10, retained: [10], segment: 'FR' }] } as typeof retentionData;
  const table = resultToTable(makeResult(data));
  assert.deepEqual(table.columns.map((column) => column.name), ['Cohort', 'Segment', 'Size', 'Week 0']);
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
  assert.deepEqual(table.columns.map((column) => column.name), ['Session', 'Visitor', 'Session started', 'Event', 'Time', 'Type', 'URL', 'Title', 'Error', 'Excluded']);
  assert.deepEqual(table.rows[1], ['9007199254740993', 'a1b2', '2024-03-01T10:00:00Z', 1, '2024-03-01T10:01:00Z', 'Broken event', null, null, 'Missing parameter: idsite', null]);
});

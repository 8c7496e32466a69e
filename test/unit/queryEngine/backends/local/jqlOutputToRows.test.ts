import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jqlOutputToRows } from '../../../../../server/src/queryEngine/backends/local/jqlOutputToRows';

test('groupBy output becomes key columns plus a value column', () => {
  assert.deepEqual(
    jqlOutputToRows([
      { key: ['Chrome', 'US'], value: 12 },
      { key: ['Safari', null], value: 3 },
    ]),
    {
      kind: 'rows',
      columns: [
        { name: 'key 1', type: 'string' },
        { name: 'key 2', type: 'string' },
        { name: 'value', type: 'number' },
      ],
      rows: [
        ['Chrome', 'US', 12],
        ['Safari', null, 3],
      ],
    },
  );
});

test('several reducers give one value column each; a summary reducer gives its fields', () => {
  assert.deepEqual(
    jqlOutputToRows([{ key: ['Chrome'], value: [5, 9] }]).columns.map((c) => c.name),
    ['key', 'value 1', 'value 2'],
  );
  const summary = jqlOutputToRows([{ key: ['Chrome'], value: { count: 2, sum: 30, avg: 15 } }]);
  assert.deepEqual(
    summary.columns.map((c) => c.name),
    ['key', 'count', 'sum', 'avg'],
  );
  assert.deepEqual(summary.rows, [['Chrome', 2, 30, 15]]);
});

test('scalars become one value column; reduce(top(n)) is unwrapped', () => {
  assert.deepEqual(jqlOutputToRows([15834]), { kind: 'rows', columns: [{ name: 'value', type: 'number' }], rows: [[15834]] });
  assert.deepEqual(
    jqlOutputToRows([
      [
        { key: ['USA'], value: 1234 },
        { key: ['DE'], value: 99 },
      ],
    ]).rows,
    [
      ['USA', 1234],
      ['DE', 99],
    ],
  );
});

test('reduce() with a list of reducers is one row with a value column per reducer', () => {
  // Mixpanel answers reduce([count(), sum(…)]) with one value: the list of the reducers' results.
  assert.deepEqual(jqlOutputToRows([[3, 100]]), {
    kind: 'rows',
    columns: [
      { name: 'value 1', type: 'number' },
      { name: 'value 2', type: 'number' },
    ],
    rows: [[3, 100]],
  });
  const withSummary = jqlOutputToRows([[2, { count: 2, sum: 30 }]]);
  assert.deepEqual(withSummary.rows, [[2, '{"count":2,"sum":30}']]);
  assert.deepEqual(jqlOutputToRows([[{ percentile: 50, value: 7 }]]).rows, [[50, 7]]);
});

test('objects become columns by field; nested values are JSON text; empty output has no columns', () => {
  const rows = jqlOutputToRows([
    { name: 'a', tags: ['x'] },
    { name: 'b', extra: true },
  ]);
  assert.deepEqual(rows.columns, [
    { name: 'name', type: 'string' },
    { name: 'tags', type: 'json' },
    { name: 'extra', type: 'boolean' },
  ]);
  assert.deepEqual(rows.rows, [
    ['a', '["x"]', null],
    ['b', null, true],
  ]);
  assert.deepEqual(jqlOutputToRows([]), { kind: 'rows', columns: [], rows: [] });
});

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { formatAge, formatDuration, formatResultAsText } from '../../../server/src/results/formatText';
import { makeResult, retentionData, rowsData } from './resultFixtures';

test('text output: header, warnings, aligned columns, thousands separators', () => {
  const result = makeResult(rowsData, {
    title: 'Top events',
    meta: {
      computedAt: '2024-03-04T10:00:00.000Z',
      durationMs: 812,
      cachedAgeMs: 125_000,
      rowCount: 3,
      seriesCount: 1,
      warnings: [{ code: 'clipped', message: 'Only the first 3 rows are shown.' }],
    },
  });
  assert.equal(
    formatResultAsText(result),
    [
      'Top events · local:sample · 2024-03-01 → 2024-03-03 · 0.81 s · cached 2 min ago',
      'warning: Only the first 3 rows are shown.',
      '',
      'event     count  paid',
      '--------  -----  -----',
      'Sign, up  1,500  true',
      'Say "hi"     -3  false',
      '            0.5',
      '',
    ].join('\n'),
  );
});

test('text output leaves empty cells for the retention triangle gap', () => {
  const text = formatResultAsText(makeResult(retentionData, { range: undefined, title: 'Retention' }));
  assert.equal(
    text,
    [
      'Retention · local:sample · 0.81 s',
      '',
      'Cohort      Size  Week 0  Week 1  Week 2',
      '----------  ----  ------  ------  ------',
      '2024-03-04   100     100      40      25',
      '2024-03-11    80      80      20',
      '',
    ].join('\n'),
  );
});

test('terminal control characters in data are escaped', () => {
  const data = { kind: 'rows' as const, columns: [{ name: 'e', type: 'string' as const }], rows: [['\u001b[31mred\u0007\nx']] };
  const text = formatResultAsText(makeResult(data, { title: 'T\u001b]0;pwn\u0007' }));
  assert.ok(!/[\u0000-\u0009\u000b-\u001f]/.test(text), 'no raw control characters besides newlines');
  assert.ok(text.includes('\\x1b[31mred\\x07\\nx'));
  assert.ok(text.startsWith('T\\x1b]0;pwn\\x07 · '));
});

test('an empty result says so', () => {
  const data = { kind: 'rows' as const, columns: [{ name: 'e', type: 'string' as const }], rows: [] };
  assert.ok(formatResultAsText(makeResult(data)).endsWith('\n(no rows)\n'));
});

test('durations and ages read naturally', () => {
  assert.deepEqual([formatDuration(800), formatDuration(12_400), formatDuration(95_000)], ['0.8 s', '12.4 s', '1 min 35 s']);
  assert.deepEqual([formatAge(5_000), formatAge(120_000), formatAge(3 * 3_600_000), formatAge(72 * 3_600_000)], ['5 s', '2 min', '3 h', '3 d']);
});

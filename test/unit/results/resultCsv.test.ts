import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { cleanResult } from '../../../server/src/results/cleanSegments';
import { formatResultCsv, toCyfeDate } from '../../../server/src/results/resultCsv';
import { funnelData, makeResult, rowsData, seriesData } from './resultFixtures';

test('plain CSV quotes per RFC 4180 and defuses formula cells', () => {
  const csv = formatResultCsv(makeResult(seriesData), 'plain');
  assert.equal(
    csv,
    'Date,France,undefined,"\'=HYPERLINK(""http://evil"")",(empty)\r\n' + '2024-03-01,1200,5,1,0\r\n' + '2024-03-02,30,0,1,1\r\n' + '2024-03-03,4,1,0,0\r\n',
  );
});

test('plain CSV of rows: commas and quotes quoted, negative numbers untouched, null empty', () => {
  const csv = formatResultCsv(makeResult(rowsData), 'plain');
  assert.equal(csv, 'event,count,paid\r\n"Sign, up",1500,true\r\n"Say ""hi""",-3,false\r\n,0.5,\r\n');
});

test('text cells starting with + - @ are prefixed too, and newlines are quoted', () => {
  const data = {
    kind: 'rows' as const,
    columns: [{ name: 'value', type: 'string' as const }],
    rows: [['+1+cmd|x'], ['-2'], ['@SUM(A1)'], ['two\nlines'], ['plain']],
  };
  assert.equal(formatResultCsv(makeResult(data), 'plain'), "value\r\n'+1+cmd|x\r\n'-2\r\n'@SUM(A1)\r\n\"two\nlines\"\r\nplain\r\n");
});

test('Cyfe CSV: Date as YYYYMMDD and one column per segment (after clean)', () => {
  const csv = formatResultCsv(cleanResult(makeResult(seriesData)), 'cyfe');
  assert.equal(csv, 'Date,France,"\'=HYPERLINK(""http://evil"")"\r\n20240301,1200,1\r\n20240302,30,1\r\n20240303,4,0\r\n');
});

test('Cyfe CSV for a pie chart: a header row of segments and one row of totals', () => {
  const csv = formatResultCsv(cleanResult(makeResult(seriesData, { chart: 'pie' })), 'cyfe');
  assert.equal(csv, 'France,"\'=HYPERLINK(""http://evil"")"\r\n1234,2\r\n');
});

test('Cyfe layout of a non-series result falls back to the plain table', () => {
  const result = makeResult(funnelData);
  assert.equal(formatResultCsv(result, 'cyfe'), formatResultCsv(result, 'plain'));
  assert.ok(formatResultCsv(result, 'plain').startsWith('Step,All users count,All users overall %'));
});

test('Cyfe dates keep the time below a day', () => {
  assert.equal(toCyfeDate('2024-12-31'), '20241231');
  assert.equal(toCyfeDate('2024-12-31T14:00'), '20241231 14:00');
});

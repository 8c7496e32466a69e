/**
 * Results far larger than a screen still print: 300,000 rows through the text, CSV and JSON
 * formatters, and `aq run` on a minute-by-minute query over seven months of a local file. A spread
 * of that many values as function arguments overflows the stack, so these would fail with
 * "Maximum call stack size exceeded" if one crept back in.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ResultData } from '../../../server/src/protocol/resultModel';
import { formatResultAsText } from '../../../server/src/results/formatText';
import { formatResultCsv } from '../../../server/src/results/resultCsv';
import { runCommand } from '../../../server/src/cli/runCommand';
import { makeResult } from './resultFixtures';

const ROWS = 300_000;

function bigRows(): ResultData {
  const rows: Array<[string, number]> = [];
  for (let index = 0; index < ROWS; index++) rows.push([`event ${index}`, index * 3]);
  return {
    kind: 'rows',
    columns: [
      { name: 'event', type: 'string' },
      { name: 'count', type: 'number' },
    ],
    rows,
  };
}

function bigSeries(): ResultData {
  const dates: string[] = [];
  const values: number[] = [];
  for (let index = 0; index < ROWS; index++) {
    dates.push(new Date(Date.UTC(2026, 0, 1) + index * 60_000).toISOString().slice(0, 16));
    values.push(index % 7);
  }
  return { kind: 'series', unit: 'minute', measure: 'general', dates, series: [{ segment: null, values, total: 0 }] };
}

describe('output of any size', () => {
  it('prints 300,000 rows as an aligned text table', () => {
    const text = formatResultAsText(makeResult(bigRows(), { title: 'All events' }));
    const lines = text.trimEnd().split('\n');
    // Header line, blank, column names, dashes, then one line per row.
    assert.equal(lines.length, 4 + ROWS);
    assert.equal(lines[2], `${'event'.padEnd(12)}  ${'count'.padStart(7)}`);
    assert.equal(lines[4 + ROWS - 1], 'event 299999  899,997');
    assert.equal(lines[4], `${'event 0'.padEnd(12)}  ${'0'.padStart(7)}`, 'the widest cells (in the last rows) set the column widths');
  });

  it('prints a 300,000-minute series as text and CSV', () => {
    const result = makeResult(bigSeries());
    const text = formatResultAsText(result);
    assert.equal(text.trimEnd().split('\n').length, 4 + ROWS);
    const csv = formatResultCsv(result, 'plain');
    const csvLines = csv.split('\r\n');
    assert.equal(csvLines.length, 1 + ROWS + 1);
    assert.equal(csvLines[0], 'Date,Count');
    assert.equal(csvLines[ROWS], '2026-07-28T07:59,0');
    assert.equal(formatResultCsv(result, 'cyfe').split('\r\n').length, 1 + ROWS + 1);
  });

  it('prints 300,000 rows as JSON', () => {
    const parsed = JSON.parse(JSON.stringify(makeResult(bigRows()))) as { data: { rows: unknown[] } };
    assert.equal(parsed.data.rows.length, ROWS);
  });

  it('aq run prints a minute-by-minute query over seven months (300,000+ rows) as a table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aq-large-'));
    try {
      const at = Date.UTC(2026, 2, 1, 12, 30) / 1000;
      writeFileSync(join(dir, 'events.ndjson'), `${JSON.stringify({ event: 'Tick', properties: { time: at, distinct_id: 'u1', $insert_id: 't1' } })}\n`);
      writeFileSync(join(dir, 'aq.json'), JSON.stringify({ sources: { events: { kind: 'local', path: 'events.ndjson' } } }));
      writeFileSync(join(dir, 'ticks.aq'), 'use local "events"\n\n### Ticks\nsegmentation "Tick"\n  from 2026-01-01 to 2026-07-31\n  unit minute\n');
      let out = '';
      let err = '';
      const cli = {
        cwd: dir,
        env: { AQ_CACHE_DIR: join(dir, '.cache') },
        stdout: (text: string) => void (out += text),
        stderr: (text: string) => void (err += text),
      };
      assert.equal(await runCommand(['ticks.aq'], cli), 0, err);
      const lines = out.trimEnd().split('\n');
      const minutes = 212 * 24 * 60;
      assert.equal(lines.length, 4 + minutes, lines.slice(0, 6).join('\n'));
      assert.ok(lines.includes('2026-03-01T12:30      1'), 'the one event is counted in its minute');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

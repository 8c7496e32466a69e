import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { clearDatasetCache, loadedRowsOf, loadLocalDataset, readColumnsFromLines } from '../../../../../server/src/queryEngine/backends/local/eventStore';
import type { LocalDataset } from '../../../../../server/src/queryEngine/backends/local/localEvent';
import { parseEventChunk } from '../../../../../server/src/queryEngine/backends/local/parseEventChunk';
import { indexOf } from '../../../../../server/src/queryEngine/backends/local/datasetIndex';
import { runLocalRetention } from '../../../../../server/src/queryEngine/backends/local/localRetention';
import { runLocalSegmentation } from '../../../../../server/src/queryEngine/backends/local/localSegmentation';
import { expr, retention, segmentation } from './localFixtures';

const root = mkdtempSync(join(tmpdir(), 'aq-parallel-parse-'));
after(() => rmSync(root, { recursive: true, force: true }));
// These tests compare ways of parsing the same files: the persistent dataset cache would answer the later loads.
process.env.AQ_LOCAL_CACHE_MB = '0';

const NAMES = ['Sign Up', 'Viewed Product', 'Purchase', 'Ünïcödé ✓'];

/**
 * Lines of every kind the loader treats specially, many times over, so the data spans several parse
 * chunks (2 MB each) and chunk edges fall inside duplicates' runs and next to malformed lines.
 */
function dirtyLines(count: number, seed: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const time = 1790000000 + ((i * 7919 + seed) % 5000);
    const event = {
      event: NAMES[i % NAMES.length],
      properties: { time, distinct_id: `u${i % 97}`, $insert_id: `id-${i % 1500}`, n: i, note: 'x'.repeat(i % 50), tags: ['a', i % 3] },
    };
    const json = JSON.stringify(event);
    switch (i % 23) {
      case 3:
        lines.push('{"event": "A", "properties": {');
        break;
      case 5:
        lines.push('');
        break;
      case 7:
        lines.push('[1, 2]');
        break;
      case 9:
        lines.push(JSON.stringify({ event: 'A', properties: { distinct_id: 'u1' } }));
        break;
      case 11:
        lines.push(`${json}\r`);
        break;
      case 13:
        lines.push(JSON.stringify({ ...event, properties: { ...event.properties, time: String(time * 1000 + 5) } }));
        break;
      case 15:
        lines.push(json, json);
        break;
      case 17:
        lines.push(JSON.stringify({ ...event, properties: { ...event.properties, $insert_id: undefined, distinct_id: undefined } }));
        break;
      default:
        lines.push(json);
    }
  }
  return lines;
}

function comparable(dataset: LocalDataset): unknown {
  return {
    events: dataset.events.map((e) => [e.name, e.distinctId, e.time, e.insertId, e.properties]),
    skipped: dataset.skipped,
    duplicates: dataset.duplicates,
    profiles: dataset.profiles,
    files: dataset.files,
    rows: loadedRowsOf(dataset),
  };
}

async function loadBothWays(path: string): Promise<{ sequential: LocalDataset; parallel: LocalDataset }> {
  clearDatasetCache();
  const sequential = await loadLocalDataset(path, { parseWorkers: 0 });
  clearDatasetCache();
  const parallel = await loadLocalDataset(path, { parseWorkers: 2 });
  clearDatasetCache();
  return { sequential, parallel };
}

test('parsing in worker threads gives the same dataset as parsing on one thread, across many chunks', async () => {
  const lines = dirtyLines(60_000, 1);
  const path = join(root, 'big.ndjson');
  // No newline after the last line: it is still read.
  writeFileSync(path, lines.join('\n'));
  const { sequential, parallel } = await loadBothWays(path);
  assert.ok(sequential.events.length > 40_000 && sequential.duplicates > 0 && sequential.skipped.length > 4000);
  assert.deepEqual(comparable(parallel), comparable(sequential));
  // Line numbers stay file-wide: line 4 of the file is the first truncated JSON line (i = 3).
  assert.deepEqual(parallel.skipped[0], { file: path, line: 4, reason: 'not valid JSON' });
  const malformed: Record<string, (text: string) => boolean> = {
    'not valid JSON': (text) => text === '{"event": "A", "properties": {',
    'not a JSON object': (text) => text === '[1, 2]',
    'no numeric "properties.time"': (text) => text === '{"event":"A","properties":{"distinct_id":"u1"}}',
  };
  for (const { line, reason } of parallel.skipped) assert.ok(malformed[reason]?.(lines[line - 1]), `line ${line} (${reason}) is ${lines[line - 1]}`);
});

test('gzip files, folders and profiles load the same way in parallel', async () => {
  const folder = join(root, 'folder');
  mkdirSync(join(folder, 'nested'), { recursive: true });
  writeFileSync(join(folder, 'a.ndjson.gz'), gzipSync(dirtyLines(30_000, 2).join('\n') + '\n'));
  writeFileSync(join(folder, 'nested', 'b.jsonl'), dirtyLines(2_000, 3).join('\r\n') + '\r\n');
  writeFileSync(join(folder, 'users.people.ndjson'), [JSON.stringify({ $distinct_id: 'u1', $properties: { plan: 'team' } }), 'oops'].join('\n'));
  const { sequential, parallel } = await loadBothWays(folder);
  assert.equal(parallel.files.length, 3);
  assert.deepEqual(parallel.profiles, [{ distinctId: 'u1', properties: { plan: 'team' } }]);
  assert.ok(parallel.skipped.some((s) => s.file.endsWith('b.jsonl')) && parallel.skipped.some((s) => s.file.endsWith('a.ndjson.gz')));
  assert.deepEqual(comparable(parallel), comparable(sequential));
});

test('a chunk reports each line with its reason and reads properties, times and ids as the loader documents', () => {
  const text = [
    JSON.stringify({ event: 'A', properties: { time: 1790000000.5, distinct_id: 42, $insert_id: '', x: 1 } }),
    '   ',
    'not json',
    JSON.stringify({ event: '', properties: { time: 1 } }),
    JSON.stringify({ event: 'B', properties: [] }),
    JSON.stringify({ event: 'B', properties: { time: 'soon' } }),
    JSON.stringify({ event: 'C', properties: { time: '1790000000123', $insert_id: 7 } }),
    'trailing line without newline',
  ].join('\n');
  const chunk = parseEventChunk(Buffer.from(text), true);
  assert.equal(chunk.lineCount, 8);
  assert.deepEqual(Array.from(chunk.times), [1790000000500, 1790000000123]);
  assert.deepEqual(chunk.users, ['42', '']);
  assert.deepEqual(chunk.skippedLines, [3, 4, 5, 6, 8]);
  assert.deepEqual(chunk.skippedReasons, ['not valid JSON', 'no "event" name', 'no "properties" object', 'no numeric "properties.time"', 'not valid JSON']);
  // Not the file's last chunk: the text after the last newline belongs to the next chunk.
  assert.equal(parseEventChunk(Buffer.from(text), false).lineCount, 7);
  const first = JSON.parse(Buffer.from(text).toString('utf8', chunk.starts[0], chunk.ends[0]));
  assert.equal(first.properties.x, 1);
});

test('insert ids read from the properties: an empty one is none, a number becomes text', async () => {
  const path = join(root, 'ids.ndjson');
  writeFileSync(
    path,
    [
      JSON.stringify({ event: 'A', properties: { time: 1790000000, $insert_id: '' } }),
      JSON.stringify({ event: 'C', properties: { time: 1790000001, $insert_id: 7 } }),
    ].join('\n'),
  );
  clearDatasetCache();
  const dataset = await loadLocalDataset(path);
  assert.deepEqual(
    dataset.events.map((e) => e.insertId),
    [undefined, '7'],
  );
});

test('an aborted parallel load is a cancellation and leaves no worker running', async () => {
  const path = join(root, 'abort.ndjson');
  writeFileSync(path, dirtyLines(20_000, 4).join('\n'));
  const controller = new AbortController();
  clearDatasetCache();
  const load = loadLocalDataset(path, { parseWorkers: 2, signal: controller.signal });
  controller.abort();
  await assert.rejects(load, (error: unknown) => (error as { kind?: string }).kind === 'cancelled');
  clearDatasetCache();
  const dataset = await loadLocalDataset(path, { parseWorkers: 2 });
  assert.ok(dataset.events.length > 10_000);
});

test('properties read out while parsing give the same columns and results as parsing them later', async () => {
  const lines = dirtyLines(30_000, 5);
  // Awkward values next to plain ones: lists, objects, escapes, numbers as text, missing ones.
  lines.push(
    JSON.stringify({
      event: 'Purchase',
      properties: { time: 1790000100, distinct_id: 'u1', n: '12', note: 'é "q" \\ \u2028', tags: { nested: [1, { a: null }] } },
    }),
    '{"event":"Purchase","properties":{"time":1790000200,"distinct_id":"u2","n":1,"n":2,"no\\u0074e":"escaped key"}}',
    JSON.stringify({ event: 'Purchase', properties: { time: 1790000300, distinct_id: 'u3', n: -0, note: null, tags: [] } }),
  );
  const path = join(root, 'extract.ndjson');
  writeFileSync(path, lines.join('\n'));
  const properties = ['n', 'note', 'tags', '$insert_id', 'time', 'distinct_id', 'absent', 'constructor'];
  const columnsOf = (dataset: LocalDataset): unknown =>
    NAMES.concat('Nope').map((name) => properties.map((property) => indexOf(dataset).table(name).column(property)));
  const results = (dataset: LocalDataset): unknown => [
    runLocalSegmentation(
      dataset,
      segmentation({
        event: 'Purchase',
        range: { from: '2026-09-21', to: '2026-09-23' },
        on: expr('properties["tags"]'),
        where: expr('properties["n"] >= 10'),
      }),
    ),
    runLocalSegmentation(
      dataset,
      segmentation({ event: 'Sign Up', range: { from: '2026-09-21', to: '2026-09-23' }, on: expr('properties["note"]'), type: 'unique' }),
    ),
    runLocalRetention(
      dataset,
      retention({
        bornEvent: 'Sign Up',
        returnEvent: undefined,
        range: { from: '2026-09-21', to: '2026-09-23' },
        on: expr('properties["n"] % 3'),
        where: expr('defined(properties["tags"])'),
      }),
    ),
  ];

  clearDatasetCache();
  const plain = await loadLocalDataset(path, { parseWorkers: 0 });
  const expectedColumns = columnsOf(plain);
  const expectedResults = results(plain);
  for (const [parseWorkers, events] of [
    [0, undefined],
    [2, undefined],
    [2, ['Purchase', 'Sign Up']],
    [0, ['Viewed Product']],
  ] as const) {
    clearDatasetCache();
    const extracted = await loadLocalDataset(path, { parseWorkers, extract: { properties, events: events && [...events] } });
    assert.equal(loadedRowsOf(extracted)?.columns.size, properties.length);
    // Queries first, on columns only; then every column against the plain load's.
    assert.deepStrictEqual(results(extracted), expectedResults);
    assert.deepStrictEqual(columnsOf(extracted), expectedColumns);
    assert.deepEqual(comparable(extracted), { ...(comparable(plain) as object), rows: loadedRowsOf(extracted) });
  }
  // Properties the load was not asked for: read out of every line in one pass when a query needs them.
  clearDatasetCache();
  const partly = await loadLocalDataset(path, { parseWorkers: 2, extract: { properties: ['n'], events: ['Purchase'] } });
  readColumnsFromLines(loadedRowsOf(partly)!, ['note', 'tags', 'n', 'absent']);
  assert.deepEqual([...loadedRowsOf(partly)!.columns.keys()], ['n', 'note', 'tags', 'absent']);
  assert.deepStrictEqual(results(partly), expectedResults);
  assert.deepStrictEqual(columnsOf(partly), expectedColumns);
  // And through a query, which asks for its columns first.
  clearDatasetCache();
  const later = await loadLocalDataset(path, { parseWorkers: 0 });
  assert.deepStrictEqual(results(later), expectedResults);
  assert.ok(loadedRowsOf(later)!.columns.has('tags'), 'the retention over every event read its column in one pass');
  assert.deepStrictEqual(columnsOf(later), expectedColumns);
  clearDatasetCache();
});

test('parse workers start in a process whose eval code is an ES module (as npm run bench runs the engine bench)', () => {
  const path = join(root, 'esm.ndjson');
  writeFileSync(path, dirtyLines(5_000, 6).join('\n'));
  const store = pathToFileURL(join(__dirname, '../../../../../server/src/queryEngine/backends/local/eventStore.ts')).href;
  // Imported as scripts/bench.mjs imports the engine bench (a CommonJS module seen from ESM).
  const script = `const m = await import(${JSON.stringify(store)}); const load = m.loadLocalDataset ?? m.default.loadLocalDataset; const d = await load(${JSON.stringify(path)}, { parseWorkers: 1 }); console.log(d.events.length);`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  assert.ok(Number(child.stdout.trim()) > 3_000);
});

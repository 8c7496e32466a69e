import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, test } from 'node:test';
import { crc32, gzipSync } from 'node:zlib';
import {
  cacheFileOf,
  CACHE_FORMAT_VERSION,
  DamagedCacheError,
  datasetCacheSettingsFromEnv,
  datasetCacheWritesSettled,
  readDatasetCache,
  type DatasetCacheSettings,
} from '../../../../../server/src/queryEngine/backends/local/datasetCache';
import {
  cacheIdentityOf,
  clearDatasetCache,
  eventCountOf,
  eventTimeOf,
  forgetLocalDataset,
  loadedRowsOf,
  loadLocalDataset,
  readColumnsFromLines,
} from '../../../../../server/src/queryEngine/backends/local/eventStore';
import { indexOf } from '../../../../../server/src/queryEngine/backends/local/datasetIndex';
import { runJql } from '../../../../../server/src/queryEngine/backends/local/jql/jqlRuntime';
import { LocalBackend } from '../../../../../server/src/queryEngine/backends/local/localBackend';
import type { RunContext } from '../../../../../server/src/queryEngine/analyticsBackend';
import { runLocalSegmentation } from '../../../../../server/src/queryEngine/backends/local/localSegmentation';
import { runLocalFunnel } from '../../../../../server/src/queryEngine/backends/local/localFunnel';
import { runLocalRetention } from '../../../../../server/src/queryEngine/backends/local/localRetention';
import { columnsReadBy } from '../../../../../server/src/queryEngine/backends/local/queryColumns';
import type { ExtractRequest } from '../../../../../server/src/queryEngine/backends/local/parseEventChunk';
import type { LocalDataset } from '../../../../../server/src/queryEngine/backends/local/localEvent';
import { buildQuerySpec } from '../../../../../server/src/queryContract/buildQuerySpec';
import { parseAqDocument } from '../../../../../server/src/languageService/parser/queryParser';
import type { FunnelSpec, QuerySpec, RetentionSpec, SegmentationSpec } from '../../../../../server/src/queryContract/querySpec';

const root = mkdtempSync(join(tmpdir(), 'aq-dataset-cache-'));
after(() => rmSync(root, { recursive: true, force: true }));
const eventStorePath = join(__dirname, '../../../../../server/src/queryEngine/backends/local/eventStore.ts');

let cacheDir = '';
let settings: DatasetCacheSettings;
beforeEach(() => {
  cacheDir = mkdtempSync(join(root, 'cache-'));
  settings = { dir: cacheDir, maxBytes: 1 << 30, minSourceBytes: 0 };
  clearDatasetCache();
});

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    state ^= state >>> 12;
    return state / 2 ** 32;
  };
}

/**
 * Lines of an export with every kind of value the loader meets: strings with escapes and
 * characters outside ASCII, integers past 2^53, floats, booleans, null, nested objects and arrays,
 * keys in varied order, times in seconds, milliseconds and text, numeric user ids, duplicates,
 * malformed and blank lines, and Windows line ends.
 */
function exportLines(seed: number, count: number): string {
  const next = random(seed);
  const pick = <T>(values: T[]): T => values[Math.floor(next() * values.length)];
  const values: unknown[] = [
    'plain',
    'ünïcödé ✓',
    'quote " and \\ backslash',
    'tab\tnew\nline',
    '',
    0,
    -3,
    2.5,
    1e21,
    true,
    false,
    null,
    { a: [1, { b: 'c' }] },
    [],
  ];
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const roll = next();
    if (roll < 0.03) {
      lines.push(pick(['{"event": "Broken", "properties": {', '[1, 2]', '', '{"event":"NoTime","properties":{"distinct_id":"u"}}']));
      continue;
    }
    if (roll < 0.06 && lines.length > 0) {
      lines.push(lines[lines.length - 1]);
      continue;
    }
    const properties: Record<string, unknown> = {};
    const keys = ['$browser', 'price', 'nested', 'list', 'flag', 'big', 'ünï key', '10', 'time', 'distinct_id', '$insert_id'];
    for (const key of keys.sort(() => next() - 0.5)) {
      if (key === 'time') properties.time = pick([1790000000 + Math.floor(next() * 1e6), 1790000000000 + Math.floor(next() * 1e9), String(1790000000 + i)]);
      else if (key === 'distinct_id') properties.distinct_id = pick([`user-${Math.floor(next() * 50)}`, Math.floor(next() * 50)]);
      else if (key === '$insert_id') properties.$insert_id = `id-${Math.floor(next() * count)}`;
      else if (next() < 0.7) properties[key] = pick(values);
    }
    let text = JSON.stringify({ event: pick(['Viewed Product', 'Purchase', 'Sign Up', 'Ëvent']), properties });
    if (next() < 0.05) text = text.replace('"big":', '"big": 123456789012345678901234567890, "big2":');
    lines.push(text);
  }
  return lines.map((line, i) => (i % 7 === 0 ? `${line}\r` : line)).join('\n') + '\n';
}

function writeSource(name: string, text: string, gzip = false): string {
  const path = join(root, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return path;
}

/** Everything a reader of a dataset sees, property values and key order included. */
function assertSameDataset(actual: LocalDataset, expected: LocalDataset): void {
  assert.equal(actual.events.length, expected.events.length);
  for (let i = 0; i < expected.events.length; i++) {
    const a = actual.events[i];
    const b = expected.events[i];
    assert.deepEqual([a.name, a.distinctId, a.time, a.insertId], [b.name, b.distinctId, b.time, b.insertId], `event ${i}`);
    assert.deepEqual(a.properties, b.properties, `properties of event ${i}`);
    assert.equal(JSON.stringify(a.properties), JSON.stringify(b.properties), `key order of event ${i}`);
  }
  assert.deepEqual(actual.skipped, expected.skipped);
  assert.equal(actual.duplicates, expected.duplicates);
  assert.deepEqual(actual.profiles, expected.profiles);
  assert.deepEqual(actual.files, expected.files);
}

async function loadUncached(path: string): Promise<LocalDataset> {
  clearDatasetCache();
  const dataset = await loadLocalDataset(path, { persistentCache: false });
  clearDatasetCache();
  return dataset;
}

/** Loads as a new process would: nothing in memory, the cache folder as it is. */
async function loadFresh(path: string, extract?: ExtractRequest): Promise<LocalDataset> {
  clearDatasetCache();
  const dataset = await loadLocalDataset(path, { persistentCache: settings, extract });
  await datasetCacheWritesSettled();
  return dataset;
}

async function entryIsValid(path: string): Promise<boolean> {
  return (await readDatasetCache(settings, await cacheIdentityOf(path))) !== undefined;
}

function entryFiles(): string[] {
  return readdirSync(cacheDir).sort();
}

test('a dataset loaded from the cache equals the one loaded from the export, for every property of every event', async () => {
  for (const [seed, gzip] of [
    [1, false],
    [2, true],
    [3, false],
  ] as const) {
    const path = writeSource(`equal-${seed}.ndjson${gzip ? '.gz' : ''}`, exportLines(seed, 400), gzip);
    const expected = await loadUncached(path);
    await loadFresh(path);
    assert.ok(await entryIsValid(path), 'the first load wrote an entry');
    const cached = await loadFresh(path);
    assertSameDataset(cached, expected);
  }
});

test('a first load that writes the entry (its line text goes to the file as it is parsed, and is read back from there) answers like the plain load', async () => {
  writeSource('first-load/a.ndjson', exportLines(41, 700));
  writeSource('first-load/b.ndjson.gz', `\n\n${exportLines(42, 700)}\n`, true);
  writeSource('first-load/shop.people.ndjson', '{"$distinct_id": "user-1", "$properties": {"plan": "pro"}}\n');
  const segmentation = specOf<SegmentationSpec>(
    `segmentation "Viewed Product"\n  on properties["$browser"]\n  where properties["price"] >= 0\n  from 2026-09-01 to 2026-10-31`,
  );
  const byUnreadProperty = specOf<SegmentationSpec>(`segmentation "Purchase"\n  on properties["ünï key"]\n  from 2026-09-01 to 2026-10-31`);
  const funnel = specOf<FunnelSpec>(`funnel "Viewed Product" -> "Purchase"\n  window 7 days\n  from 2026-09-01 to 2026-10-31`);
  const retention = specOf<RetentionSpec>(`retention "Sign Up" -> "Purchase"\n  unit day\n  from 2026-09-01 to 2026-10-31`);
  for (const path of [join(root, 'first-load'), join(root, 'first-load/b.ndjson.gz')]) {
    const plain = await loadUncached(path);
    // On this thread and in parse workers: chunks come back from a worker before their text is written.
    for (const parseWorkers of [0, 2]) {
      rmSync(cacheDir, { recursive: true, force: true });
      clearDatasetCache();
      const loaded = await loadLocalDataset(path, { persistentCache: settings, extract: columnsReadBy(segmentation), parseWorkers });
      assert.deepEqual(runLocalSegmentation(loaded, segmentation), runLocalSegmentation(plain, segmentation));
      assert.deepEqual(runLocalSegmentation(loaded, byUnreadProperty), runLocalSegmentation(plain, byUnreadProperty));
      assert.deepEqual(runLocalFunnel(loaded, funnel), runLocalFunnel(plain, funnel));
      assert.deepEqual(runLocalRetention(loaded, retention), runLocalRetention(plain, retention));
      assertSameDataset(loaded, plain);
      await datasetCacheWritesSettled();
      assert.ok(await entryIsValid(path), 'the first load wrote a whole entry');
      assertSameDataset(await loadFresh(path), plain);
      assert.deepEqual(
        readdirSync(join(cacheDir)).filter((name) => name.endsWith('.tmp')),
        [],
        'no temporary file is left',
      );
    }
    // An entry that would not fit the folder's bound is not started: the text stays in memory, and nothing is written.
    rmSync(cacheDir, { recursive: true, force: true });
    clearDatasetCache();
    const unbounded = await loadLocalDataset(path, { persistentCache: { ...settings, maxBytes: 10_000 } });
    await datasetCacheWritesSettled();
    assert.equal(existsSync(cacheDir), false);
    assertSameDataset(unbounded, plain);
  }
});

test('a first load in parse workers hands the stream pieces it has copied to them, and answers like the plain load over many chunks', async () => {
  // About 9 MB of text: several gunzip buffers and file reads per 2 MB chunk, a line's tail carried
  // into the next chunk from the same buffer, and lines past the line limit cut out of pieces.
  const text = exportLines(43, 100_000);
  const long = JSON.stringify({ event: 'Long', properties: { time: 1790000000, distinct_id: 'u', pad: 'x'.repeat(300_000) } });
  const lines = text.split('\n');
  lines.splice(5_000, 0, long);
  lines.splice(15_000, 0, long.replace('Long', 'Longer').replace('x'.repeat(10), 'y'.repeat(1_500_000)));
  const withLong = lines.join('\n');
  assert.ok(withLong.length > 8 << 20, `${withLong.length} bytes`);
  const limits = { maxLineBytes: 200_000, maxDecompressedBytes: 1 << 30 };
  for (const [name, gzip] of [
    ['pieces.ndjson', false],
    ['pieces.ndjson.gz', true],
  ] as const) {
    const path = writeSource(name, withLong, gzip);
    clearDatasetCache();
    const plain = await loadLocalDataset(path, { persistentCache: false, parseWorkers: 0, limits });
    assert.equal(plain.skipped.filter((line) => line.reason.startsWith('longer than')).length, 2);
    rmSync(cacheDir, { recursive: true, force: true });
    clearDatasetCache();
    const loaded = await loadLocalDataset(path, { persistentCache: settings, parseWorkers: 2, limits });
    assertSameDataset(loaded, plain);
    await datasetCacheWritesSettled();
    clearDatasetCache();
    const next = await loadLocalDataset(path, { persistentCache: settings, limits });
    assert.ok(loadedRowsOf(next)!.nameGroups, 'the next load reads the entry');
    assertSameDataset(next, plain);
  }
});

test('a first load cancelled while it writes the entry is a cancellation, leaves no file behind, and the next load answers right', async () => {
  const path = writeSource('cancelled.ndjson.gz', exportLines(44, 200_000), true);
  const plain = await loadUncached(path);
  rmSync(cacheDir, { recursive: true, force: true });
  clearDatasetCache();
  const controller = new AbortController();
  const load = loadLocalDataset(path, { persistentCache: settings, parseWorkers: 2, signal: controller.signal });
  // Cancelled once the entry being written holds a megabyte of line text: chunks are at the
  // workers, pieces have been handed over and work buffers are waiting to be written.
  let finished = false;
  load.then(
    () => (finished = true),
    () => (finished = true),
  );
  const partLength = (): number => {
    const part = existsSync(cacheDir) ? readdirSync(cacheDir).find((name) => name.endsWith('.tmp')) : undefined;
    return part ? statSync(join(cacheDir, part)).size : 0;
  };
  while (!finished && partLength() < 1 << 20) await new Promise((resolve) => setTimeout(resolve, 2));
  controller.abort();
  await assert.rejects(load, (error: unknown) => (error as { kind?: string }).kind === 'cancelled');
  await datasetCacheWritesSettled();
  assert.deepEqual(existsSync(cacheDir) ? readdirSync(cacheDir) : [], [], 'nothing is left in the cache folder');
  assertSameDataset(await loadFresh(path), plain);
  assert.ok(await entryIsValid(path), 'the next load wrote a whole entry');
});

test('duplicates next to their event or 30 KB from it, and long runs of one time, are dropped as in the plain load, first load and entry alike', async () => {
  const event = (name: string, time: number, user: string, insertId: unknown, n: number): string =>
    JSON.stringify({ event: name, properties: { time, distinct_id: user, $insert_id: insertId, n, pad: 'x'.repeat(n % 90) } });
  const lines: string[] = [];
  // Long runs of one time (past the pairwise comparison): ids repeat across users and names.
  for (let i = 0; i < 2_000; i++) lines.push(event(i % 2 ? 'A' : 'B', 1_790_000_000 + (i % 5), `u${i % 3}`, `L${i % 600}`, i));
  // Short runs: a copy right after its event, one about 30 KB later (the same chunk), an event of
  // the same time, user and name with another id, and ids that are numbers, empty or missing.
  const later = new Map<number, string>();
  for (let i = 0; i < 3_000; i++) {
    const time = 1_790_100_000 + i;
    const insertId = i % 11 === 0 ? i : i % 13 === 0 ? '' : i % 17 === 0 ? undefined : `S${i}`;
    const line = event('A', time, `v${i % 40}`, insertId, i);
    lines.push(line);
    if (i % 10 === 0) lines.push(line);
    if (i % 25 === 0) later.set(i + 300, line);
    if (i % 35 === 0) lines.push(event('A', time, `v${i % 40}`, `other${i}`, i));
    const copy = later.get(i);
    if (copy) lines.push(copy);
  }
  const path = writeSource('duplicates-read-back.ndjson', `${lines.join('\n')}\n`);
  // A later copy has the same $insert_id (not empty), name, user and time as an earlier event.
  const seen = new Set<string>();
  let expectedDuplicates = 0;
  for (const line of lines) {
    const { event: name, properties } = JSON.parse(line) as { event: string; properties: Record<string, unknown> };
    if (properties.$insert_id === undefined || properties.$insert_id === '') continue;
    const key = JSON.stringify([String(properties.$insert_id), name, properties.distinct_id, properties.time]);
    if (seen.has(key)) expectedDuplicates++;
    seen.add(key);
  }
  const plain = await loadUncached(path);
  assert.equal(plain.duplicates, expectedDuplicates);
  assert.equal(plain.events.length, lines.length - expectedDuplicates);
  assertSameDataset(await loadFresh(path), plain);
  assert.ok(await entryIsValid(path));
  assertSameDataset(await loadFresh(path), plain);
});

test('duplicates in the chunk of their event and in chunks far from it are dropped alike, parsed on this thread or in a worker', async () => {
  // About 6 MB, so the text is parsed in chunks of 2 MB: copies right after their event (read with
  // their chunk), copies about 3 MB later (another chunk: read back from the entry), and events of
  // the same time, user and name with another id, near and far.
  const event = (time: number, user: string, insertId: unknown, n: number): string =>
    JSON.stringify({ event: n % 3 ? 'A' : 'B', properties: { time, distinct_id: user, $insert_id: insertId, n, pad: 'p'.repeat(200 + (n % 50)) } });
  const lines: string[] = [];
  const far = new Map<number, string[]>();
  for (let i = 0; i < 24_000; i++) {
    const time = 1_790_000_000 + Math.floor(i / 2);
    const line = event(time, `u${i % 7}`, i % 9 === 0 ? '' : `id${i}`, i);
    lines.push(line);
    if (i % 10 === 0) lines.push(line);
    if (i % 15 === 0) far.set(i + 12_000, [...(far.get(i + 12_000) ?? []), line]);
    if (i % 35 === 0) far.set(i + 12_001, [...(far.get(i + 12_001) ?? []), event(time, `u${i % 7}`, `other${i}`, i)]);
    lines.push(...(far.get(i) ?? []));
  }
  const path = writeSource('duplicates-across-chunks.ndjson', `${lines.join('\n')}\n`);
  const seen = new Set<string>();
  let expectedDuplicates = 0;
  for (const line of lines) {
    const { event: name, properties } = JSON.parse(line) as { event: string; properties: Record<string, unknown> };
    if (properties.$insert_id === '') continue;
    const key = JSON.stringify([properties.$insert_id, name, properties.distinct_id, properties.time]);
    if (seen.has(key)) expectedDuplicates++;
    seen.add(key);
  }
  assert.ok(expectedDuplicates > 2_000);
  const plain = await loadUncached(path);
  assert.equal(plain.duplicates, expectedDuplicates);
  for (const parseWorkers of [0, 1]) {
    clearDatasetCache();
    rmSync(cacheDir, { recursive: true, force: true });
    const first = await loadLocalDataset(path, { persistentCache: settings, parseWorkers });
    await datasetCacheWritesSettled();
    assertSameDataset(first, plain);
    assertSameDataset(await loadFresh(path), plain);
  }
});

test('a folder source with profiles comes back whole from the cache; a changed people file is read again', async () => {
  const folder = join(root, 'folder-source');
  writeSource('folder-source/a.ndjson', exportLines(11, 200));
  writeSource('folder-source/b.ndjson.gz', exportLines(12, 200), true);
  writeSource(
    'folder-source/shop.people.ndjson',
    [
      '{"$distinct_id": "user-1", "$properties": {"plan": "pro", "nested": {"b": [1, 2.5e3, null]}, "10": "x", "a": "\\u00e9"}}',
      'not json',
      '{"$distinct_id": 7}',
      '{"$distinct_id": "user-2", "$properties": "no"}',
      '{"$distinct_id": "user-3", "$properties": {"big": 123456789012345678901234567890}}\r',
    ].join('\n'),
  );
  const expected = await loadUncached(folder);
  assert.equal(expected.profiles.length, 3);
  await loadFresh(folder);
  assert.ok(await entryIsValid(folder));
  const cached = await loadFresh(folder);
  assertSameDataset(cached, expected);
  assert.deepEqual(
    cached.profiles.map((profile) => JSON.stringify(profile.properties)),
    expected.profiles.map((profile) => JSON.stringify(profile.properties)),
  );
  writeSource('folder-source/shop.people.ndjson', '{"$distinct_id": "user-1", "$properties": {"plan": "free"}}\n');
  const changed = await loadFresh(folder);
  assert.deepEqual(changed.profiles, [{ distinctId: 'user-1', properties: { plan: 'free' } }]);
  assertSameDataset(changed, await loadUncached(folder));
});

test('columns read while loading are kept in the entry, and a query over them answers the same', async () => {
  const path = writeSource('columns.ndjson', exportLines(21, 600));
  const spec = segmentationSpec(
    `segmentation "Viewed Product"\n  on properties["$browser"]\n  where properties["price"] >= 0\n  from 2026-09-01 to 2026-10-31`,
  );
  const expected = runLocalSegmentation(await loadUncached(path), spec);
  await loadFresh(path, columnsReadBy(spec));
  const cached = await loadFresh(path);
  assert.deepEqual([...loadedRowsOf(cached)!.columns.keys()].sort(), ['$browser', 'price']);
  assert.deepEqual(runLocalSegmentation(cached, spec), expected);
});

test('columns a later query reads are added to the entry, for the next process', async () => {
  const path = writeSource('added-columns.ndjson', exportLines(23, 600));
  const plain = await loadUncached(path);
  await loadFresh(path, { properties: ['price'] });
  const cached = await loadFresh(path);
  assert.deepEqual([...loadedRowsOf(cached)!.columns.keys()], ['price']);
  readColumnsFromLines(loadedRowsOf(cached)!, ['$browser', 'nested']);
  await datasetCacheWritesSettled();
  const next = await loadFresh(path);
  assert.deepEqual([...loadedRowsOf(next)!.columns.keys()], ['price', '$browser', 'nested']);
  for (const property of ['price', '$browser', 'nested']) {
    assert.deepStrictEqual(indexOf(next).all.column(property), indexOf(plain).all.column(property), property);
  }
  assertSameDataset(next, plain);
  // After a load from the export too, even while its first write is still going on.
  const other = writeSource('added-columns-2.ndjson', exportLines(24, 600));
  clearDatasetCache();
  const loaded = await loadLocalDataset(other, { persistentCache: settings, extract: { properties: ['price'] } });
  readColumnsFromLines(loadedRowsOf(loaded)!, ['list']);
  await datasetCacheWritesSettled();
  assert.deepEqual([...loadedRowsOf(await loadFresh(other))!.columns.keys()], ['price', 'list']);
});

test('a stored column holds 32-bit whole numbers until a later chunk brings another number, and reads as JSON.parse reads it', async () => {
  // About 5 MB, parsed in 2 MB chunks: `n` is a small whole number or a text in the first chunks
  // and every other kind of number near the end; `z` a whole number but once -0 (not one of 32
  // bits: a 32-bit integer has no -0); `s` holds texts only.
  const late = ['2.5', '-0', '2147483648', '-2147483649', '2147483647', '-2147483648', '1e400', '1e-7', '0', '"7"'];
  const lines: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    const n = i > 19_000 && i % 7 === 0 ? late[(i / 7) % late.length] : i % 5 === 0 ? `"t${i % 3}"` : String(i - 10_000);
    lines.push(
      `{"event":"E","properties":{"time":${1_790_000_000 + i},"distinct_id":"u${i % 9}","n":${n},"z":${i === 15_000 ? '-0' : i},"s":"s${i % 4}","pad":"${'p'.repeat(200)}"}}`,
    );
  }
  const path = writeSource('widened-column.ndjson', `${lines.join('\n')}\n`);
  const expected = indexOf(await loadUncached(path)).all;
  for (const parseWorkers of [0, 1]) {
    clearDatasetCache();
    rmSync(cacheDir, { recursive: true, force: true });
    const first = await loadLocalDataset(path, { persistentCache: settings, parseWorkers, extract: { properties: ['n', 'z', 's'] } });
    await datasetCacheWritesSettled();
    const rows = loadedRowsOf(first)!;
    assert.ok(rows.columns.get('n')!.values instanceof Float64Array, 'n widened');
    assert.ok(rows.columns.get('z')!.values instanceof Float64Array, 'z widened');
    assert.ok(rows.columns.get('s')!.values instanceof Int32Array, 's kept narrow');
    for (const dataset of [first, await loadFresh(path)]) {
      for (const property of ['n', 's'])
        assert.deepStrictEqual(indexOf(dataset).all.column(property), expected.column(property), `${property}, ${parseWorkers} workers`);
    }
  }
});

test('a load with many more events than its first chunk suggests grows its arrays, narrow and widened columns alike', async () => {
  // The arrays are sized from the first chunk's bytes per event: long lines first (2 MB of about
  // 1,100 bytes each), then short ones, so the load outgrows them. `w` widens (a fraction) before
  // the arrays grow, `n` stays narrow, and `late` widens after.
  const lines: string[] = [];
  for (let i = 0; i < 40_000; i++) {
    const pad = i < 2_000 ? 'p'.repeat(1_050) : '';
    const w = i === 500 ? 0.5 : i;
    const late = i === 39_000 ? 2 ** 40 : i % 100;
    lines.push(`{"event":"E","properties":{"time":${1_790_000_000 + i},"distinct_id":"u${i % 11}","n":${i % 7},"w":${w},"late":${late},"pad":"${pad}"}}`);
  }
  const path = writeSource('outgrown-arrays.ndjson', `${lines.join('\n')}\n`);
  const properties = ['n', 'w', 'late'];
  const expected = indexOf(await loadUncached(path)).all;
  for (const parseWorkers of [0, 1]) {
    clearDatasetCache();
    rmSync(cacheDir, { recursive: true, force: true });
    const first = await loadLocalDataset(path, { persistentCache: settings, parseWorkers, extract: { properties } });
    await datasetCacheWritesSettled();
    assert.equal(first.events.length, lines.length);
    const columns = loadedRowsOf(first)!.columns;
    assert.deepEqual(
      properties.map((name) => columns.get(name)!.values.constructor.name),
      ['Int32Array', 'Float64Array', 'Float64Array'],
    );
    for (const dataset of [first, await loadFresh(path)]) {
      for (const property of properties)
        assert.deepStrictEqual(indexOf(dataset).all.column(property), expected.column(property), `${property}, ${parseWorkers} workers`);
    }
  }
});

test('properties no stored column holds are read out of the cached line text in one pass, equal to the plain load', async () => {
  const path = writeSource('later-columns.ndjson.gz', exportLines(22, 800), true);
  const plain = await loadUncached(path);
  await loadFresh(path);
  const cached = await loadFresh(path);
  const properties = ['$browser', 'nested', 'list', 'big', 'ünï key', '10', 'time', 'distinct_id', 'absent'];
  const rows = loadedRowsOf(cached)!;
  readColumnsFromLines(rows, properties);
  // The lines were parsed together (as a chunk), not left to be parsed one by one.
  const left = [...rows.columns.get('$browser')!.kinds].filter((kind) => kind === 7).length;
  const lineCount = rows.columns.get('$browser')!.kinds.length;
  assert.ok(left < lineCount / 10, `${left} of ${lineCount} lines were not read in the pass`);
  for (const name of ['Viewed Product', 'Purchase', 'Sign Up', 'Ëvent']) {
    for (const property of properties) {
      assert.deepStrictEqual(indexOf(cached).table(name).column(property), indexOf(plain).table(name).column(property), `${name} ${property}`);
    }
  }
});

test('the next process answers from the entry: it is keyed by path, size and modification time', async () => {
  const path = writeSource('next-process.ndjson', exportLines(31, 300));
  // A whole second, which utimes can set back exactly.
  const mtime = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  utimesSync(path, mtime, mtime);
  const expected = await loadUncached(path);
  await loadFresh(path);
  // Same size and modification time, other content: only an answer from the cache still has the old events.
  const { size } = statSync(path);
  const other = readFileSync(path, 'utf8').replace(/Purchase/g, 'Purchasf');
  assert.equal(Buffer.byteLength(other), size);
  writeFileSync(path, other);
  utimesSync(path, mtime, mtime);
  const child = await runChild(path);
  assert.equal(child.code, 0, child.stderr);
  const answer = JSON.parse(child.stdout) as { count: number; purchases: number };
  assert.equal(answer.count, expected.events.length);
  assert.equal(answer.purchases, expected.events.filter((event) => event.name === 'Purchase').length);
  assert.ok(answer.purchases > 0);
});

test('an entry is not used once the file changes: the data is read again and the entry replaced', async () => {
  const path = writeSource('changes.ndjson', exportLines(41, 300));
  await loadFresh(path);
  writeFileSync(path, exportLines(42, 350));
  // A different modification time even on a file system with coarse times.
  utimesSync(path, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
  const expected = await loadUncached(path);
  assertSameDataset(await loadFresh(path), expected);
  assert.ok(await entryIsValid(path), 'the entry was written again for the new content');
  assertSameDataset(await loadFresh(path), expected);
  assert.equal(entryFiles().length, 1, 'one entry per source');
});

test('the folder is bounded: the least recently used entries are evicted first', async () => {
  const paths = ['bound-a', 'bound-b', 'bound-c'].map((name, i) => writeSource(`${name}.ndjson`, exportLines(51 + i, 300)));
  await loadFresh(paths[0]);
  const entrySize = statSync(join(cacheDir, entryFiles()[0])).size;
  settings = { ...settings, maxBytes: Math.floor(entrySize * 2.5) };
  await sleep(30);
  await loadFresh(paths[1]);
  await sleep(30);
  // Reading A from its entry makes B the least recently used.
  await loadFresh(paths[0]);
  await sleep(30);
  await loadFresh(paths[2]);
  assert.equal(await entryIsValid(paths[0]), true);
  assert.equal(await entryIsValid(paths[1]), false, 'B, used longest ago, was evicted');
  assert.equal(await entryIsValid(paths[2]), true);
  assert.equal(entryFiles().length, 2);
  // An entry larger than the whole bound is not written at all.
  settings = { ...settings, maxBytes: 1000 };
  const big = writeSource('bound-big.ndjson', exportLines(59, 300));
  assertSameDataset(await loadFresh(big), await loadUncached(big));
  assert.equal(await entryIsValid(big), false);
});

test(
  'a first load whose line text cannot be written to the cache folder loads again with the text in memory',
  { skip: process.platform === 'win32' },
  async () => {
    const path = writeSource('full-disk.ndjson', exportLines(63, 3000));
    const expected = await loadUncached(path);
    const purchases = expected.events.filter((event) => event.name === 'Purchase').length;
    const priced = expected.events.filter((event) => event.properties.price !== undefined).length;
    const child = await runChild(path, 8);
    assert.equal(child.code, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), { count: expected.events.length, purchases, priced });
    assert.deepEqual(entryFiles(), [], 'no entry and no temporary file is left');
  },
);

test('two processes loading the same file at once both answer right and leave one whole entry', async () => {
  const path = writeSource('concurrent.ndjson.gz', exportLines(61, 3000), true);
  const expected = await loadUncached(path);
  const purchases = expected.events.filter((event) => event.name === 'Purchase').length;
  const priced = expected.events.filter((event) => event.properties.price !== undefined).length;
  const children = await Promise.all([runChild(path), runChild(path), runChild(path)]);
  for (const child of children) {
    assert.equal(child.code, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), { count: expected.events.length, purchases, priced });
  }
  assert.deepEqual(entryFiles(), [cacheFileOf(settings, await cacheIdentityOf(path)).slice(cacheDir.length + 1)], 'no temporary file is left');
  assertSameDataset(await loadFresh(path), expected);
});

/** Ways an entry is found damaged; each must be detected on opening, the data read from the export, and the entry rebuilt. */
const damages: Array<[string, (file: string) => void]> = [
  ['a flipped byte in the event names', (file) => flipByte(file, sectionOf(file, 'names').offset + 3)],
  ['a flipped byte in where each name starts', (file) => flipByte(file, sectionOf(file, 'nameStarts').offset + 4)],
  ['a flipped byte in the footer', (file) => flipByte(file, statSync(file).size - 40)],
  ['truncated to half', (file) => truncateSync(file, Math.floor(statSync(file).size / 2))],
  ['one byte short', (file) => truncateSync(file, statSync(file).size - 1)],
  ['empty', (file) => truncateSync(file, 0)],
  ['another format version', (file) => rewriteUInt32(file, 8, CACHE_FORMAT_VERSION + 1)],
  ['not a cache file', (file) => writeFileSync(file, 'x'.repeat(statSync(file).size))],
  [
    'a section length off by 8',
    (file) => damageFooter(file, (footer) => ({ ...footer, sections: footer.sections.map((s, i) => (i === 1 ? { ...s, length: s.length - 8 } : s)) })),
  ],
  ['a wrong event count', (file) => damageFooter(file, (footer) => ({ ...footer, count: footer.count + 1 }))],
];

for (const [what, damage] of damages) {
  test(`a damaged entry (${what}) is detected and rebuilt, never read`, async () => {
    const path = writeSource(`damaged-${what.replace(/\W+/g, '-')}.ndjson`, exportLines(71, 500));
    const expected = await loadUncached(path);
    await loadFresh(path, { properties: ['price'] });
    const file = cacheFileOf(settings, await cacheIdentityOf(path));
    damage(file);
    assert.equal(await entryIsValid(path), false);
    assertSameDataset(await loadFresh(path), expected);
    assert.equal(await entryIsValid(path), true, 'the entry was written again');
    assertSameDataset(await loadFresh(path), expected);
  });
}

test('damaged line text (read only when first needed) is detected then: the entry is deleted and the next load rebuilds it', async () => {
  const path = writeSource('damaged-text.ndjson', exportLines(81, 500));
  const expected = await loadUncached(path);
  await loadFresh(path);
  const file = cacheFileOf(settings, await cacheIdentityOf(path));
  flipByte(file, sectionOf(file, 'text0').offset + 200);
  // The rest of the entry passes its checks: times, users and names answer without the text.
  const cached = await loadFresh(path);
  assert.deepEqual(loadedRowsOf(cached)!.times, Float64Array.from(expected.events.map((event) => event.time)));
  assert.throws(() => cached.events[0].properties, DamagedCacheError);
  assert.equal(await entryIsValid(path), false, 'the damaged entry was deleted');
  forgetLocalDataset(path);
  assertSameDataset(await loadFresh(path), expected);
  assert.equal(await entryIsValid(path), true, 'the entry was written again');
});

test('damaged line ranges (read with the line text, when first needed) are detected then, like damaged text', async () => {
  const path = writeSource('damaged-ranges.ndjson', exportLines(82, 500));
  const expected = await loadUncached(path);
  await loadFresh(path);
  const file = cacheFileOf(settings, await cacheIdentityOf(path));
  flipByte(file, sectionOf(file, 'lineStarts').offset + 41);
  const cached = await loadFresh(path);
  assert.deepEqual(loadedRowsOf(cached)!.times, Float64Array.from(expected.events.map((event) => event.time)));
  assert.throws(() => loadedRowsOf(cached)!.lines.starts, DamagedCacheError);
  assert.equal(await entryIsValid(path), false, 'the damaged entry was deleted');
  forgetLocalDataset(path);
  assertSameDataset(await loadFresh(path), expected);
  assert.equal(await entryIsValid(path), true, 'the entry was written again');
});

/**
 * Sections read when first used, and how a reader first uses each: `id` is the name whose rows
 * hold the flipped byte (sections grouped by name are read, and checked, one name at a time).
 */
const readLater: Array<[string | ((id: number | string) => string), (dataset: LocalDataset, id: number) => unknown]> = [
  ['times', (dataset) => loadedRowsOf(dataset)!.times],
  ['users', (dataset) => loadedRowsOf(dataset)!.users],
  ['fileRows', (dataset) => loadedRowsOf(dataset)!.fileRows],
  ['nameIds', (dataset) => loadedRowsOf(dataset)!.nameIds],
  ['nameOrder', (dataset) => loadedRowsOf(dataset)!.nameOrder],
  ['userIds', (dataset) => loadedRowsOf(dataset)!.userIds],
  ['column0.values', (dataset) => loadedRowsOf(dataset)!.columns.get('price')!.values],
  ['timesByName', (dataset, id) => loadedRowsOf(dataset)!.nameGroups!.times(id)],
  ['usersByName', (dataset, id) => loadedRowsOf(dataset)!.nameGroups!.users(id)],
  // One name's part of a stored column (the first name's: its values are of mixed kinds, so a kind per row and 8-byte values).
  [(id) => `column0.name${id}.kinds`, (dataset, id) => loadedRowsOf(dataset)!.nameGroups!.column('price', id)],
  [(id) => `column0.name${id}.values`, (dataset, id) => loadedRowsOf(dataset)!.nameGroups!.column('price', id)],
];

for (const [sectionName, read] of readLater) {
  const section = typeof sectionName === 'string' ? sectionName : sectionName('N');
  test(`a damaged ${section} section (read when first used) is detected then: the entry is deleted, and a query on the source answers right`, async () => {
    const path = writeSource(`damaged-${section}.ndjson`, exportLines(83, 500));
    const expected = await loadUncached(path);
    await loadFresh(path, { properties: ['price'] });
    const file = cacheFileOf(settings, await cacheIdentityOf(path));
    const before = loadedRowsOf(await loadFresh(path))!;
    // The first name with rows: the flipped byte is in its first row (or the section's first row).
    const id = before.names.findIndex((_, name) => before.nameStarts![name + 1] > 0);
    flipByte(file, sectionOf(file, typeof sectionName === 'string' ? sectionName : sectionName(id)).offset + 2);
    const cached = await loadFresh(path);
    const rows = loadedRowsOf(cached)!;
    // Opening does not read it: the tables of names whose rows it does not touch answer.
    const other = rows.names.find((_, name) => name !== id)!;
    assert.deepEqual(indexOf(cached).table(other).times, indexOf(expected).table(other).times);
    // Nor does what a query reports besides its answer: the event count, the first and last time.
    const count = expected.events.length;
    assert.deepEqual(
      [eventCountOf(cached), eventTimeOf(cached, 0), eventTimeOf(cached, count - 1)],
      [count, expected.events[0].time, expected.events[count - 1].time],
    );
    assert.throws(() => read(cached, id), DamagedCacheError);
    assert.equal(await entryIsValid(path), false, 'the damaged entry was deleted');
    forgetLocalDataset(path);
    assertSameDataset(await loadFresh(path), expected);
    assert.equal(await entryIsValid(path), true, 'the entry was written again');
  });
}

test('the arrays read when first used are read before the file closes: line text first, then the rest, all equal to the plain load', async () => {
  const path = writeSource('text-then-rest.ndjson', exportLines(84, 500));
  const expected = await loadUncached(path);
  await loadFresh(path, { properties: ['price'] });
  const cached = await loadFresh(path);
  const rows = loadedRowsOf(cached)!;
  assert.ok(rows.lines.buffers.length > 0);
  assert.deepEqual(rows.nameIds, Int32Array.from(expected.events.map((event) => rows.names.indexOf(event.name))));
  assert.equal(rows.fileRows.length, expected.events.length);
  assert.deepEqual(indexOf(cached).table('Purchase').column('price'), indexOf(expected).table('Purchase').column('price'));
  assertSameDataset(cached, expected);
});

test('the query index of a dataset from the cache (rows grouped by name as stored) equals the one of the plain load', async () => {
  const folder = join(root, 'index-source');
  writeSource('index-source/events.ndjson', exportLines(41, 900));
  // Profiles of users with and without events, one of them twice (the last one counts).
  writeSource(
    'index-source/shop.people.ndjson',
    [
      '{"$distinct_id": "nobody-1", "$properties": {"plan": "a"}}',
      '{"$distinct_id": "user-1", "$properties": {"plan": "b"}}',
      '{"$distinct_id": "nobody-1", "$properties": {"plan": "c"}}',
    ].join('\n'),
  );
  const plain = indexOf(await loadUncached(folder));
  await loadFresh(folder, { properties: ['price', '$browser', 'nested'] });
  const cachedDataset = await loadFresh(folder);
  assert.ok(loadedRowsOf(cachedDataset)!.nameOrder, 'the entry holds the rows grouped by name');
  const cached = indexOf(cachedDataset);
  assert.deepEqual(cached.userIds, plain.userIds);
  assert.deepEqual(cached.profilesByUser, plain.profilesByUser);
  assert.deepEqual(cached.all.rowIds, plain.all.rowIds);
  for (const name of [...plain.names, 'Not An Event']) {
    const [a, b] = [cached.table(name), plain.table(name)];
    assert.deepEqual([a.rowIds, a.times, a.users], [b.rowIds, b.times, b.users], name);
    // The rows of a table are the events of that name, in time order.
    assert.deepEqual(
      [...a.rowIds].map((row) => cachedDataset.events[row].name),
      new Array(a.rowIds.length).fill(name),
    );
  }
});

test("sections larger than the writer's staging buffer (one name's times, users and column, over a megabyte each) come back whole", async () => {
  // 150,000 events of one name: its times and its number column take 1.2 MB each, and are written
  // in pieces; a second, small name has its parts between them.
  const lines: string[] = [];
  for (let i = 0; i < 150_000; i++) {
    const name = i % 1000 === 7 ? 'Sign Up' : 'Viewed Product';
    lines.push(
      JSON.stringify({
        event: name,
        properties: {
          time: 1_790_000_000 + ((i * 7919) % 150_000),
          distinct_id: `u${i % 4099}`,
          $insert_id: `i${i}`,
          price: i / 4,
          plan: `p${i % 300}`,
          mixed: i % 3 === 0 ? 'x' : i,
        },
      }),
    );
  }
  const path = writeSource('staged-sections.ndjson', `${lines.join('\n')}\n`);
  const properties = ['price', 'plan', 'mixed'];
  const plain = indexOf(await loadUncached(path));
  await loadFresh(path, { properties });
  const cachedDataset = await loadFresh(path);
  assert.ok(loadedRowsOf(cachedDataset)!.nameGroups, 'the entry is read by name');
  const cached = indexOf(cachedDataset);
  for (const name of ['Viewed Product', 'Sign Up']) {
    const [a, b] = [cached.table(name), plain.table(name)];
    assert.deepEqual([a.rowIds, a.times, a.users], [b.rowIds, b.times, b.users], name);
    for (const property of properties) assert.deepEqual(a.column(property), b.column(property), `${name}: ${property}`);
  }
});

test("profiles longer than one of the writer's pieces come back whole, a character on the boundary too", async () => {
  // The writer encodes the profiles in pieces of 2^18 UTF-16 units; here an emoji (two units) straddles the first boundary.
  const profileLine = (i: number, pad: string): string => `{"$distinct_id": "u${i}", "$properties": {"mood": "${'😀'.repeat(40)}"${pad}}}`;
  let lines: string[] = [];
  for (let spaces = 0; spaces < 200; spaces++) {
    const pad = ' '.repeat(spaces);
    lines = Array.from({ length: 4000 }, (_, i) => profileLine(i, i === 0 ? pad : ''));
    const code = `[${lines.join(',')}]`.charCodeAt(2 ** 18 - 1);
    if (code >= 0xd800 && code <= 0xdbff) break;
  }
  const stored = `[${lines.join(',')}]`.charCodeAt(2 ** 18 - 1);
  assert.ok(stored >= 0xd800 && stored <= 0xdbff, 'a surrogate pair straddles the boundary');
  const folder = join(root, 'long-profiles');
  writeSource('long-profiles/events.ndjson', exportLines(43, 50));
  writeSource('long-profiles/shop.people.ndjson', `${lines.join('\n')}\n`);
  const plain = await loadUncached(folder);
  await loadFresh(folder);
  const cached = await loadFresh(folder);
  assert.equal(cached.profiles.length, 4000);
  assert.deepEqual(cached.profiles, plain.profiles);
});

test('reading a stored column row by row (the fast path) gives what the column array gives, for every kind of value', async () => {
  const path = writeSource('column-reader.ndjson', exportLines(42, 900));
  const properties = ['price', '$browser', 'nested', 'list', 'big', 'absent'];
  await loadFresh(path, { properties });
  const dataset = await loadFresh(path);
  const index = indexOf(dataset);
  let compared = 0;
  const fastPaths = new Set<string>();
  for (const name of [...index.names, 'Not An Event']) {
    const table = index.table(name);
    const rowIds = table.rowIds;
    for (const property of properties) {
      const read = table.storedColumnReader(property);
      const column = index.readColumn(property, rowIds);
      // Rows the loader left to JSON.parse have no fast path.
      const leftToParse = [...rowIds].some((row) => loadedRowsOf(dataset)!.columns.get(property)!.kinds[loadedRowsOf(dataset)!.fileRows[row]] === 7);
      assert.equal(read === undefined, leftToParse, `${name} ${property}`);
      if (!read) continue;
      for (let row = 0; row < rowIds.length; row++) assert.deepStrictEqual(read(row), column[row], `${name} ${property} row ${row}`);
      compared += rowIds.length;
      fastPaths.add(property);
    }
  }
  assert.ok(compared > 500, `${compared} values compared`);
  assert.deepEqual([...fastPaths].sort(), [...properties].sort(), 'every kind of value went through the fast path');
  // And so compiled over, the same answers as over the plain load: the first query reads the
  // stored columns directly, the second over the arrays it then builds.
  const spec = segmentationSpec(`segmentation "Viewed Product"\n  on properties["nested"]\n  where properties["price"] >= 0\n  from 2026-09-01 to 2026-10-31`);
  const expected = runLocalSegmentation(await loadUncached(path), spec);
  assert.deepEqual(runLocalSegmentation(dataset, spec), expected);
  assert.deepEqual(runLocalSegmentation(dataset, spec), expected);
});

/**
 * Queries of every kind, with segments (texts, numbers, mixed kinds, objects), filters and several
 * events: each must answer the same from the cache (names' rows and stored columns read on their
 * own, segments counted by text number) as from the export and as over plain event objects.
 */
const QUERIES_OF_EVERY_KIND = [
  `segmentation "Opened App"\n  on properties["plan"]\n  where properties["price"] >= 1\n  from 2026-09-01 to 2026-10-31`,
  `segmentation "Paid"\n  type unique\n  on properties["plan"]\n  from 2026-09-01 to 2026-10-31`,
  `funnel "Opened App" -> "Paid"\n  on properties["plan"]\n  from 2026-09-01 to 2026-10-31`,
  `retention "Joined" -> "Paid"\n  on properties["plan"]\n  where properties["plan"] != "free"\n  from 2026-09-01 to 2026-10-31`,
  `segmentation "Viewed Product"\n  on properties["$browser"]\n  where properties["price"] >= 1\n  from 2026-09-01 to 2026-10-31`,
  `segmentation "Purchase"\n  type unique\n  on properties["flag"]\n  from 2026-09-01 to 2026-10-31`,
  `segmentation "Sign Up"\n  type average\n  unit week\n  on properties["nested"]\n  where properties["$browser"] == "plain" or properties["big"] > 0\n  from 2026-09-01 to 2026-10-31`,
  `segmentation "Ëvent"\n  on properties["big"]\n  from 2026-09-01 to 2026-10-31`,
  `segmentation "Viewed Product"\n  measure sum\n  on properties["price"]\n  from 2026-09-01 to 2026-10-31`,
  `segmentation "Purchase"\n  on properties["absent"]\n  unit hour\n  from 2026-09-20 to 2026-10-05`,
  `funnel "Viewed Product" -> "Purchase" -> "Sign Up"\n  on properties["$browser"]\n  where properties["price"] != 2.5\n  from 2026-09-01 to 2026-10-31`,
  `funnel "Sign Up" -> "Purchase"\n  reentry optimized\n  window 3 days\n  from 2026-09-01 to 2026-10-31`,
  `retention "Sign Up" -> "Purchase"\n  unit day\n  on properties["$browser"]\n  born_where properties["flag"] == true or properties["price"] >= 0\n  from 2026-09-01 to 2026-10-31`,
  `retention "Viewed Product" -> "Purchase"\n  retention_type compounded\n  where not properties["flag"]\n  from 2026-09-01 to 2026-10-31`,
  `retention "Purchase"\n  unit week\n  from 2026-09-01 to 2026-10-31`,
];

test('every kind of query answers the same over a dataset from the cache, from the export and over plain events', async () => {
  // Besides every kind of value, a property whose values are texts, or true, null or missing,
  // which a segmentation counts by text number (the text "true" and true are one segment).
  const generator = random(44);
  // The generator's numbers lie in [-0.5, 0.5): shifted into [0, 1).
  const next = (): number => (generator() + 1) % 1;
  const plans = ['free', 'pro', 'true', 'null', true, false, null, undefined];
  const planLines = Array.from({ length: 1500 }, (_, i) =>
    JSON.stringify({
      event: ['Opened App', 'Paid', 'Joined'][i % 3],
      properties: {
        time: 1790000000 + Math.floor(next() * 1e6),
        distinct_id: `user-${Math.floor(next() * 40)}`,
        plan: plans[Math.floor(next() * plans.length)],
        price: Math.floor(next() * 5),
      },
    }),
  );
  const path = writeSource('every-kind.ndjson', exportLines(43, 3000) + planLines.join('\n') + '\n');
  const specs = QUERIES_OF_EVERY_KIND.map(specOf);
  const loaded = await loadUncached(path);
  // Plain event objects, not the loader's rows: the queries' general paths.
  const plain: LocalDataset = { events: [...loaded.events], profiles: loaded.profiles, skipped: [], duplicates: 0, files: [] };
  // The entry stores the columns of the first queries (the others read their lines).
  await loadFresh(path, { properties: ['plan', '$browser', 'price', 'flag', 'nested'] });
  const cached = await loadFresh(path);
  assert.ok(loadedRowsOf(cached)!.nameGroups, 'the dataset is read from the entry');
  let answers = 0;
  for (const spec of specs) {
    const expected = answerOf(plain, spec);
    assert.deepEqual(answerOf(await loadUncached(path), spec), expected, `from the export: ${spec.title}`);
    assert.deepEqual(answerOf(cached, spec), expected, `from the cache: ${spec.title}`);
    // A second run reuses what the first built (columns, buckets): the same answer.
    assert.deepEqual(answerOf(cached, spec), expected, `from the cache, again: ${spec.title}`);
    answers += JSON.stringify(expected).length;
  }
  assert.ok(answers > 5000, 'the queries count something');
});

test('a query on the local source answers right when the cached line text turns out damaged', async () => {
  const previous = process.env.AQ_CACHE_DIR;
  process.env.AQ_CACHE_DIR = cacheDir;
  try {
    // Large enough to be cached with the default settings.
    let text = '';
    for (let seed = 91; Buffer.byteLength(text) < 4.2 * (1 << 20); seed++) text += exportLines(seed, 5000);
    const path = writeSource('backend-source.ndjson', text);
    const backend = new LocalBackend({ kind: 'local', name: 'shop', path }, { rootDir: root });
    const context: RunContext = { signal: new AbortController().signal, now: () => new Date('2026-11-01T12:00:00Z'), readTextFile: async () => '' };
    const first = segmentationSpec(`segmentation "Purchase"\n  from 2026-09-01 to 2026-10-31`);
    await backend.runQuery(first, context);
    await datasetCacheWritesSettled();
    const defaults = datasetCacheSettingsFromEnv()!;
    const file = cacheFileOf(defaults, await cacheIdentityOf(path));
    flipByte(file, sectionOf(file, 'text0').offset + 1000);
    clearDatasetCache();
    // `on` reads a property the entry holds no column of, so this query needs the line text.
    const spec = segmentationSpec(`segmentation "Purchase"\n  on properties["ünï key"]\n  from 2026-09-01 to 2026-10-31`);
    const answered = await backend.runQuery(spec, context);
    const expected = runLocalSegmentation(await loadUncached(path), spec);
    assert.deepEqual(answered.data, expected);
    assert.ok((expected as { series: unknown[] }).series.length > 1);
  } finally {
    if (previous === undefined) delete process.env.AQ_CACHE_DIR;
    else process.env.AQ_CACHE_DIR = previous;
  }
});

test('the JQL worker keeps its entries in the cache folder of the process that starts it', async () => {
  const previous = process.env.AQ_CACHE_DIR;
  process.env.AQ_CACHE_DIR = cacheDir;
  try {
    let text = '';
    for (let seed = 101; Buffer.byteLength(text) < 4.2 * (1 << 20); seed++) text += exportLines(seed, 5000);
    const path = writeSource('jql-source.ndjson', text);
    const expected = await loadUncached(path);
    const script = `function main() { return Events({ from_date: '2026-01-01', to_date: '2027-12-31' }).reduce(mixpanel.reducer.count()); }`;
    const { output } = await runJql({ script, params: {}, dataPath: path });
    assert.deepEqual(output, [expected.events.length]);
    const entry = cacheFileOf(datasetCacheSettingsFromEnv()!, await cacheIdentityOf(path));
    assert.ok(
      await waitUntil(() => readdirSync(join(cacheDir, 'datasets')).includes(entry.slice(entry.lastIndexOf('/') + 1))),
      'the worker wrote its entry there',
    );
  } finally {
    if (previous === undefined) delete process.env.AQ_CACHE_DIR;
    else process.env.AQ_CACHE_DIR = previous;
  }
});

async function waitUntil(check: () => boolean, ms = 10_000): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < ms; await sleep(50)) {
    try {
      if (check()) return true;
    } catch {
      // The folder is not there yet.
    }
  }
  return false;
}

test('AQ_LOCAL_CACHE_MB bounds the folder under AQ_CACHE_DIR, and 0 turns the cache off', () => {
  assert.deepEqual(datasetCacheSettingsFromEnv({ AQ_CACHE_DIR: '/c', AQ_LOCAL_CACHE_MB: '10' }), {
    dir: join('/c', 'datasets'),
    maxBytes: 10 << 20,
    minSourceBytes: 4 << 20,
  });
  assert.equal(datasetCacheSettingsFromEnv({ AQ_CACHE_DIR: '/c' })?.maxBytes, 4096 * (1 << 20));
  assert.equal(datasetCacheSettingsFromEnv({ AQ_LOCAL_CACHE_MB: '0' }), undefined);
});

function segmentationSpec(text: string): SegmentationSpec {
  return specOf<SegmentationSpec>(text);
}

function specOf<T extends QuerySpec = QuerySpec>(text: string): T {
  const [block] = parseAqDocument(text).queries;
  const built = buildQuerySpec(block, { now: new Date('2026-11-01T00:00:00Z'), defaultSource: { kind: 'local', name: 'test' } });
  if (!built.ok) throw new Error(built.errors.map((error) => error.message).join('; '));
  return built.spec as T;
}

/** Runs a segmentation, funnel or retention query over `dataset`. */
function answerOf(dataset: LocalDataset, spec: QuerySpec): unknown {
  if (spec.kind === 'segmentation') return runLocalSegmentation(dataset, spec);
  if (spec.kind === 'funnel') return runLocalFunnel(dataset, spec);
  if (spec.kind === 'retention') return runLocalRetention(dataset, spec);
  throw new Error(`no local runner for ${spec.kind}`);
}

/** Where a section of an entry lies, from its footer. */
function sectionOf(file: string, name: string): { offset: number; length: number } {
  const bytes = readFileSync(file);
  const footerLength = bytes.readUInt32LE(bytes.length - 16);
  const footerStart = bytes.length - 16 - footerLength;
  const footer = JSON.parse(bytes.toString('utf8', footerStart, footerStart + footerLength)) as FooterShape;
  const section = footer.sections.find((entry) => entry.name === name);
  if (!section) throw new Error(`no section ${name}`);
  return section;
}

function flipByte(file: string, position: number): void {
  const bytes = readFileSync(file);
  bytes[position] ^= 0x20;
  writeFileSync(file, bytes);
}

function rewriteUInt32(file: string, position: number, value: number): void {
  const bytes = readFileSync(file);
  bytes.writeUInt32LE(value, position);
  writeFileSync(file, bytes);
}

interface FooterShape {
  count: number;
  sections: Array<{ name: string; offset: number; length: number; crc: number }>;
}

/** Rewrites the footer (with a correct checksum of its own), so only the checks of its content can catch the change. */
function damageFooter(file: string, change: (footer: FooterShape) => FooterShape): void {
  const bytes = readFileSync(file);
  const footerLength = bytes.readUInt32LE(bytes.length - 16);
  const footerStart = bytes.length - 16 - footerLength;
  const footer = Buffer.from(JSON.stringify(change(JSON.parse(bytes.toString('utf8', footerStart, footerStart + footerLength)) as FooterShape)));
  const trailer = Buffer.from(bytes.subarray(bytes.length - 16));
  trailer.writeUInt32LE(footer.length, 0);
  trailer.writeUInt32LE(crc32(footer), 4);
  writeFileSync(file, Buffer.concat([bytes.subarray(0, footerStart), footer, trailer]));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A separate process that loads `path` with this test's cache folder and prints what it found. */
/** Loads `path` in a new process; with `maxFileKb`, a process that cannot write a file past that size (a full disk, as far as it can tell). */
function runChild(path: string, maxFileKb?: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `
    const { loadLocalDataset } = require(${JSON.stringify(eventStorePath)});
    const { datasetCacheWritesSettled } = require(${JSON.stringify(eventStorePath.replace('eventStore.ts', 'datasetCache.ts'))});
    (async () => {
      const dataset = await loadLocalDataset(${JSON.stringify(path)}, { persistentCache: ${JSON.stringify(settings)} });
      await datasetCacheWritesSettled();
      const purchases = dataset.events.filter((e) => e.name === 'Purchase').length;
      // Properties are read from the line text.
      const priced = dataset.events.filter((e) => e.properties.price !== undefined).length;
      process.stdout.write(JSON.stringify({ count: dataset.events.length, purchases, priced }));
    })().catch((error) => { console.error(error); process.exit(1); });`;
  return new Promise((resolve) => {
    const command = [process.execPath, '--import', 'tsx', '-e', script];
    // Node ignores SIGXFSZ, so a write past the limit fails with EFBIG instead of stopping the process.
    const child =
      maxFileKb === undefined
        ? spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn('bash', ['-c', `ulimit -f ${maxFileKb} && exec "$0" "$@"`, ...command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

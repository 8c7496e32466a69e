/**
 * Local sources that would exhaust memory or the stack: a gzip bomb, lines past the line limit
 * (plain and gzipped, with and without parse workers), a property nested 100,000 deep. Each is
 * contained: the bad line is skipped and reported with its line number, the good lines load, and a
 * bomb stops the load with a message that names the setting that raises the cap.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { clearDatasetCache, loadLocalDataset } from '../../../../../server/src/queryEngine/backends/local/eventStore';
import { localLimitsFromEnv } from '../../../../../server/src/queryEngine/backends/local/localLimits';
import { deepEventLine, eventLine, longEventLine, writeGzipBomb } from '../../../../fixtures/hostileKit';

const root = mkdtempSync(join(tmpdir(), 'aq-hostile-'));
after(() => rmSync(root, { recursive: true, force: true }));

const T = 1790000000;
const good = (n: number): string => eventLine('View', T + n, `u${n}`, `id-${n}`);

/** How many times this process has `path` open (Linux: /proc/self/fd), to check a failed load closed its file. */
function timesOpen(path: string): number {
  if (!existsSync('/proc/self/fd')) return 0;
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false;
    }
  }).length;
}

test('a gzip bomb (200 MB of spaces without a newline) stops at the decompression cap with a clear message', async () => {
  const path = join(root, 'bomb.ndjson.gz');
  writeGzipBomb(path, 200 << 20, [good(1)], [good(2)]);
  clearDatasetCache();
  const before = process.memoryUsage().rss;
  await assert.rejects(loadLocalDataset(path, { limits: { maxLineBytes: 1 << 20, maxDecompressedBytes: 50 << 20 } }), (error: Error) => {
    assert.match(error.message, /bomb\.ndjson\.gz" expands to more than 50 MiB when decompressed/);
    assert.match(error.message, /AQ_MAX_DECOMPRESSED_MB/);
    return true;
  });
  assert.ok(process.memoryUsage().rss - before < 150 << 20, 'the bomb was not held in memory');
  assert.equal(timesOpen(path), 0, 'the load was settled with its file closed');
});

test('a gzipped export that fails partway fails with a clear message once its file is closed, with and without parse workers', async () => {
  // Random text compresses about 2:1: most of the file is still unread when the load stops at a 1 MiB cap.
  const lines = Array.from({ length: 20000 }, (_, i) => eventLine('View', T + i, `u${i}`, randomBytes(100).toString('hex')));
  const whole = gzipSync(lines.join('\n') + '\n');
  const cases = [
    { name: 'cut', bytes: whole.subarray(0, whole.length >> 1), limits: {}, message: /: unexpected end of file/ },
    { name: 'capped', bytes: whole, limits: { maxDecompressedBytes: 1 << 20 }, message: /expands to more than 1 MiB when decompressed/ },
  ];
  for (const { name, bytes, limits, message } of cases) {
    for (const parseWorkers of [0, 1]) {
      const path = join(root, `${name}-${parseWorkers}.ndjson.gz`);
      writeFileSync(path, bytes);
      clearDatasetCache();
      await assert.rejects(loadLocalDataset(path, { parseWorkers, limits: { ...localLimitsFromEnv(), ...limits } }), (error: Error) => {
        assert.ok(error.message.includes(path), error.message);
        assert.match(error.message, message);
        return true;
      });
      assert.equal(timesOpen(path), 0, `${name}, ${parseWorkers} workers: the load was settled with its file closed`);
    }
  }
});

test('under the decompression cap, the bomb is one over-long line: skipped and reported, the events around it load', async () => {
  const path = join(root, 'bomb-small.ndjson.gz');
  writeGzipBomb(path, 20 << 20, [good(1)], [good(2)]);
  clearDatasetCache();
  const dataset = await loadLocalDataset(path, { limits: { maxLineBytes: 1 << 20, maxDecompressedBytes: 64 << 20 } });
  assert.equal(dataset.events.length, 2);
  assert.deepEqual(
    dataset.skipped.map((entry) => [entry.line, entry.reason]),
    [[2, 'longer than 1 MiB (the line limit; set AQ_MAX_LINE_BYTES to change it)']],
  );
});

for (const parseWorkers of [0, 2]) {
  test(`lines past the line limit are skipped with their line numbers (${parseWorkers} parse workers)`, async () => {
    const lines = [good(1), longEventLine(300_000, T + 5), good(2), longEventLine(50_000, T + 6), good(3)];
    for (let i = 10; i < 3000; i++) lines.push(good(i));
    lines.push(longEventLine(3_000_000, T + 7), good(4));
    const plain = join(root, `long-${parseWorkers}.ndjson`);
    writeFileSync(plain, lines.join('\n') + '\n');
    const gzipped = join(root, `long-${parseWorkers}.ndjson.gz`);
    writeFileSync(gzipped, gzipSync(lines.join('\n') + '\n'));
    for (const path of [plain, gzipped]) {
      clearDatasetCache();
      const dataset = await loadLocalDataset(path, { parseWorkers, limits: { maxLineBytes: 100_000 } });
      assert.deepEqual(
        dataset.skipped.map((entry) => entry.line),
        [2, lines.length - 1],
        path,
      );
      assert.match(dataset.skipped[0].reason, /^longer than 97\.7 KiB \(the line limit/);
      // Every other line is an event, the 50 KB one included.
      assert.equal(dataset.events.length, lines.length - 2, path);
      assert.ok(
        dataset.events.some((event) => event.name === 'Long'),
        'the line under the limit loads',
      );
    }
  });
}

test('an event with a property nested 100,000 deep is skipped as malformed; the file loads', async () => {
  const path = join(root, 'deep.ndjson');
  writeFileSync(path, [good(1), deepEventLine(100_000, T + 2), good(2), deepEventLine(254, T + 3, 'fine')].join('\n') + '\n');
  clearDatasetCache();
  const dataset = await loadLocalDataset(path);
  assert.deepEqual(
    dataset.skipped.map((entry) => [entry.line, entry.reason]),
    [[2, 'nested deeper than 256 levels']],
  );
  assert.equal(dataset.events.length, 3);
});

test('a profile line past the line limit or nested too deep is skipped and reported', async () => {
  const dir = join(root, 'with-people');
  mkdirSync(dir);
  writeFileSync(join(dir, 'events.ndjson'), good(1) + '\n');
  const profile = (id: string, extra: string): string => `{"$distinct_id":"${id}","$properties":{"plan":"free"${extra}}}`;
  writeFileSync(
    join(dir, 'users.people.ndjson'),
    [
      profile('p1', ''),
      profile('p2', `,"pad":"${'y'.repeat(200_000)}"`),
      profile('p3', `,"deep":${'['.repeat(5000)}${']'.repeat(5000)}`),
      profile('p4', ''),
    ].join('\n') + '\n',
  );
  clearDatasetCache();
  const dataset = await loadLocalDataset(dir, { limits: { maxLineBytes: 100_000 } });
  assert.deepEqual(
    dataset.profiles.map((p) => p.distinctId),
    ['p1', 'p4'],
  );
  assert.deepEqual(
    dataset.skipped.map((entry) => [entry.line, entry.reason.slice(0, 14)]),
    [
      [2, 'longer than 97'],
      [3, 'nested deeper '],
    ],
  );
});

test('a profile nested to the limit loads and one level deeper is skipped, written as tightly as JSON allows', async () => {
  const dir = join(root, 'people-at-the-limit');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir);
  writeFileSync(join(dir, 'events.ndjson'), good(1) + '\n');
  // The profile is level 1 and "$properties" level 2: `levels` more arrays inside it.
  const nested = (id: string, levels: number): string => `{"$distinct_id":"${id}","$properties":{"d":${'['.repeat(levels)}${']'.repeat(levels)}}}`;
  writeFileSync(join(dir, 'users.people.ndjson'), [nested('at-limit', 254), nested('past-limit', 255), nested('far-past', 400)].join('\n') + '\n');
  clearDatasetCache();
  const dataset = await loadLocalDataset(dir);
  assert.deepEqual(
    dataset.profiles.map((p) => p.distinctId),
    ['at-limit'],
  );
  assert.deepEqual(
    dataset.skipped.map((entry) => [entry.line, entry.reason]),
    [
      [2, 'nested deeper than 256 levels'],
      [3, 'nested deeper than 256 levels'],
    ],
  );
});

test('the limits are read from the environment, with documented defaults', () => {
  assert.deepEqual(localLimitsFromEnv({}), { maxLineBytes: 1 << 20, maxDecompressedBytes: undefined, jqlMemoryMb: undefined, jqlTimeoutMs: 60_000 });
  assert.deepEqual(localLimitsFromEnv({ AQ_MAX_LINE_BYTES: '2048', AQ_MAX_DECOMPRESSED_MB: '10', AQ_JQL_MEMORY_MB: '3000', AQ_JQL_TIMEOUT_S: '120' }), {
    maxLineBytes: 2048,
    maxDecompressedBytes: 10 << 20,
    jqlMemoryMb: 3000,
    jqlTimeoutMs: 120_000,
  });
  assert.equal(localLimitsFromEnv({ AQ_MAX_LINE_BYTES: 'lots' }).maxLineBytes, 1 << 20, 'a value that is not a positive number keeps the default');
});

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { clearDatasetCache, loadLocalDataset } from '../../../../../server/src/queryEngine/backends/local/eventStore';
import { BackendError } from '../../../../../server/src/queryEngine/backendErrors';

const root = mkdtempSync(join(tmpdir(), 'aq-event-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

const line = (event: string, user: string, time: number, insertId?: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ event, properties: { time, distinct_id: user, ...(insertId ? { $insert_id: insertId } : {}), ...extra } });

function write(name: string, lines: string[] | string): string {
  const path = join(root, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, Array.isArray(lines) ? lines.join('\n') + '\n' : lines);
  return path;
}

test('duplicates (same $insert_id, event, distinct_id and time) count once', async () => {
  const path = write('dups.ndjson', [
    line('Purchase', 'u1', 1790000000, 'id-1'),
    line('Purchase', 'u1', 1790000000, 'id-1'),
    line('Purchase', 'u1', 1790000001, 'id-1'),
    line('Purchase', 'u2', 1790000000, 'id-1'),
    line('Purchase', 'u3', 1790000000),
    line('Purchase', 'u3', 1790000000),
  ]);
  const dataset = await loadLocalDataset(path);
  assert.equal(dataset.events.length, 5);
  assert.equal(dataset.duplicates, 1);
});

test('duplicates far apart in the file and among many events of the same second are found', async () => {
  const sameSecond = Array.from({ length: 20 }, (_, i) => line('View', `u${i}`, 1790000500, `s-${i}`));
  const path = write('dups-far.ndjson', [
    line('Purchase', 'u1', 1790000000, 'id-1', { first: true }),
    ...sameSecond,
    line('View', 'u3', 1790000500, 's-3'),
    line('View', 'u7', 1790000500, 's-7'),
    line('Purchase', 'u1', 1790000000, 'id-1', { first: false }),
  ]);
  const dataset = await loadLocalDataset(path);
  assert.equal(dataset.duplicates, 3);
  assert.equal(dataset.events.length, 21);
  assert.equal(dataset.events[0].properties.first, true, 'the first copy in file order is kept');
});

test('malformed lines are skipped with their file, line number and reason; blank lines are ignored', async () => {
  const path = write('dirty.ndjson', [
    line('A', 'u1', 1790000000),
    '{"event": "A", "properties": {',
    line('A', 'u1', 1790000100),
    JSON.stringify({ properties: { time: 1790000000, distinct_id: 'u1' } }),
    '',
    JSON.stringify({ event: 'A', properties: { distinct_id: 'u1' } }),
    '[1, 2]',
    line('B', 'u2', 1790000200),
  ]);
  const dataset = await loadLocalDataset(path);
  assert.equal(dataset.events.length, 3);
  assert.deepEqual(
    dataset.skipped.map((s) => [s.file, s.line, s.reason]),
    [
      [path, 2, 'not valid JSON'],
      [path, 4, 'no "event" name'],
      [path, 6, 'no numeric "properties.time"'],
      [path, 7, 'not a JSON object'],
    ],
  );
});

test('time is read as seconds or milliseconds; events end up sorted by time', async () => {
  const path = write('times.ndjson', [line('A', 'u1', 1790000000123), line('A', 'u1', 1790000000), line('A', 'u1', 1789999999.5)]);
  const dataset = await loadLocalDataset(path);
  assert.deepEqual(
    dataset.events.map((e) => e.time),
    [1789999999500, 1790000000000, 1790000000123],
  );
});

test('events end up in the order of a plain stable sort by time, duplicates dropped after their first copy', async () => {
  // Times clustered and spread (equal times, runs, far outliers), users and names that tie: the
  // linear-time sort and its in-place moves are checked against Array.prototype.sort.
  let state = 7;
  const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const lines: string[] = [];
  const expected: Array<{ time: number; user: string; name: string; index: number; id: string }> = [];
  for (let index = 0; index < 5000; index++) {
    if (index > 0 && next() < 0.1) {
      // A copy of an earlier event, further down the file.
      const earlier = expected[Math.floor(next() * expected.length)];
      lines.push(line(earlier.name, earlier.user, earlier.time / 1000, earlier.id));
      expected.push({ ...earlier, index });
      continue;
    }
    const roll = next();
    const time =
      roll < 0.3 ? 1790000000 + Math.floor(next() * 20) : roll < 0.95 ? 1790000000 + Math.floor(next() * 1e6) : 1600000000 + Math.floor(next() * 1e8);
    const user = `u${Math.floor(next() * 30)}`;
    const name = next() < 0.5 ? 'A' : 'B';
    const id = `id-${Math.floor(next() * 3000)}`;
    lines.push(line(name, user, time, id));
    expected.push({ time: time * 1000, user, name, index, id });
  }
  const seen = new Set<string>();
  const kept = expected
    .sort((a, b) => a.time - b.time || a.index - b.index)
    .filter((event) => {
      const key = `${event.id}|${event.name}|${event.user}|${event.time}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  const dataset = await loadLocalDataset(write('sort.ndjson', lines), { persistentCache: false });
  assert.equal(dataset.duplicates, 5000 - kept.length);
  assert.ok(dataset.duplicates > 0);
  assert.deepEqual(
    dataset.events.map((event) => [event.time, event.distinctId, event.name, event.insertId]),
    kept.map((event) => [event.time, event.user, event.name, event.id]),
  );
});

test('gzip files are read, and a sibling x.people.ndjson gives the profiles', async () => {
  const path = join(root, 'shop.ndjson.gz');
  writeFileSync(path, gzipSync(`${line('A', 'u1', 1790000000)}\n${line('B', 'u2', 1790000001)}\n`));
  write('shop.people.ndjson', [JSON.stringify({ $distinct_id: 'u1', $properties: { plan: 'team' } }), 'oops']);
  const dataset = await loadLocalDataset(path);
  assert.deepEqual(
    dataset.events.map((e) => [e.name, e.distinctId]),
    [
      ['A', 'u1'],
      ['B', 'u2'],
    ],
  );
  assert.deepEqual(dataset.profiles, [{ distinctId: 'u1', properties: { plan: 'team' } }]);
  assert.deepEqual(
    dataset.skipped.map((s) => [s.line, s.reason]),
    [[2, 'not valid JSON']],
  );
});

test('a folder is read recursively: *.ndjson, *.json, *.gz events and *.people.ndjson profiles', async () => {
  write('folder/2026-10-01.ndjson', [line('A', 'u1', 1790000300)]);
  write('folder/nested/2026-10-02.json', [line('B', 'u2', 1790000100)]);
  writeFileSync(join(root, 'folder/nested/old.ndjson.gz'), gzipSync(line('C', 'u3', 1790000200)));
  write('folder/users.people.ndjson', [JSON.stringify({ $distinct_id: 'u2', $properties: { plan: 'free' } })]);
  write('folder/README.txt', 'not data');
  const dataset = await loadLocalDataset(join(root, 'folder'));
  assert.deepEqual(
    dataset.events.map((e) => e.name),
    ['B', 'C', 'A'],
  );
  assert.deepEqual(
    dataset.profiles.map((p) => p.distinctId),
    ['u2'],
  );
  assert.equal(dataset.files.length, 4);
});

test('lines split across read chunks are joined correctly', async () => {
  const lines = Array.from({ length: 12000 }, (_, i) => line('Viewed Product', `user-${i}`, 1790000000 + i, `id-${i}`, { padding: 'x'.repeat(200) }));
  const dataset = await loadLocalDataset(write('big.ndjson', lines));
  assert.equal(dataset.events.length, 12000);
  assert.equal(dataset.skipped.length, 0);
  assert.equal(dataset.events[11999].distinctId, 'user-11999');
});

test('a second load of unchanged files is served from memory; a changed file is read again', async () => {
  clearDatasetCache();
  const path = write('cached.ndjson', [line('A', 'u1', 1790000000)]);
  const first = await loadLocalDataset(path);
  assert.equal(await loadLocalDataset(path), first);
  writeFileSync(path, [line('A', 'u1', 1790000000), line('A', 'u2', 1790000001)].join('\n'));
  utimesSync(path, new Date(), new Date(Date.now() + 5000));
  const second = await loadLocalDataset(path);
  assert.notEqual(second, first);
  assert.equal(second.events.length, 2);
});

test('a missing path is a config error; an aborted signal cancels', async () => {
  await assert.rejects(
    loadLocalDataset(join(root, 'nope.ndjson')),
    (error: unknown) => error instanceof BackendError && error.kind === 'config' && /does not exist/.test(error.message),
  );
  clearDatasetCache();
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    loadLocalDataset(write('abort.ndjson', [line('A', 'u1', 1)]), { signal: controller.signal }),
    (error: unknown) => error instanceof BackendError && error.kind === 'cancelled',
  );
});

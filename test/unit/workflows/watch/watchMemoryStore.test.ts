/** The watch memory file: where it lives, that it round-trips, and that no failure throws. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { WatchMemory } from '../../../../server/src/workflows/watch/brokenEventWatcher';
import { loadWatchMemory, saveWatchMemory, watchMemoryPath } from '../../../../server/src/workflows/watch/watchMemoryStore';

const dir = mkdtempSync(join(tmpdir(), 'aq-watch-memory-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const KEY = { file: '/work/alerts.aq', queryTitle: 'Broken events', sourceName: 'site', eventTypes: [17, 18] };
const MEMORY: WatchMemory = { version: 1, reported: [['6719694023305478883', 1_790_000_000_000]], lastGoodPollAt: 1_790_000_060_000 };

describe('watch memory store', () => {
  it('names one file per watch under <cacheDir>/watch', () => {
    const path = watchMemoryPath(dir, KEY);
    assert.equal(dirname(path), join(dir, 'watch'));
    assert.match(path.slice(dirname(path).length + 1), /^[0-9a-f]{16}\.json$/);
    // The order of event types does not make another watch; every other field does.
    assert.equal(watchMemoryPath(dir, { ...KEY, eventTypes: [18, 17, 17] }), path);
    const others = [
      { ...KEY, file: '/work/other.aq' },
      { ...KEY, queryTitle: 'Excluded' },
      { ...KEY, sourceName: 'prod' },
      { ...KEY, eventTypes: [17] },
    ].map((key) => watchMemoryPath(dir, key));
    assert.equal(
      watchMemoryPath(dir, { ...KEY, eventTypes: [] }),
      watchMemoryPath(dir, { ...KEY, eventTypes: [17] }),
      'no types means broken events, as the watcher defaults to',
    );
    assert.equal(new Set([path, ...others]).size, 5);
  });

  it('saves atomically and loads what it saved', () => {
    const path = watchMemoryPath(join(dir, 'fresh', 'cache'), KEY);
    assert.equal(saveWatchMemory(path, MEMORY), undefined);
    assert.deepEqual(loadWatchMemory(path), MEMORY);
    assert.deepEqual(readdirSync(dirname(path)), [path.slice(dirname(path).length + 1)], 'a temporary file was left behind');
    const later: WatchMemory = { ...MEMORY, lastGoodPollAt: MEMORY.lastGoodPollAt! + 300_000 };
    assert.equal(saveWatchMemory(path, later), undefined);
    assert.deepEqual(loadWatchMemory(path), later);
  });

  it('loads nothing from a missing, corrupt or foreign file', () => {
    assert.equal(loadWatchMemory(join(dir, 'missing.json')), undefined);
    const corrupt = join(dir, 'corrupt.json');
    writeFileSync(corrupt, '{"version":1,"reported":[["a",1]');
    assert.equal(loadWatchMemory(corrupt), undefined);
    writeFileSync(corrupt, JSON.stringify({ version: 1, reported: { a: 1 } }));
    assert.equal(loadWatchMemory(corrupt), undefined);
    assert.equal(loadWatchMemory(dir), undefined, 'a folder');
  });

  it('returns an error message instead of throwing when it cannot write', () => {
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, '');
    const message = saveWatchMemory(join(blocker, 'watch', 'x.json'), MEMORY);
    assert.equal(typeof message, 'string');
    assert.match(message ?? '', /not-a-folder/);
    // The target path is a folder: the rename fails, and the temporary file is cleaned up.
    const folder = join(dir, 'folder-target', 'x.json');
    mkdirSync(join(folder, 'inside'), { recursive: true });
    assert.equal(typeof saveWatchMemory(folder, MEMORY), 'string');
    assert.ok(!existsSync(`${folder}.tmp`));
  });
});

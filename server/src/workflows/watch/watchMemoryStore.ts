/**
 * Keeps a watcher's memory (what it reported, when it last polled) in a small JSON file per watched
 * query, under the cache folder, so `aq watch` restarts and cron `--once` runs report each event once.
 * Nothing here throws: losing the memory only means events may be reported again.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BROKEN_EVENT_TYPE, isWatchMemory, type WatchMemory } from './brokenEventWatcher';

/** What makes two watches the same watch. */
export interface WatchMemoryKey {
  /** The .aq file, as an absolute path. */
  file: string;
  queryTitle: string;
  sourceName: string;
  /** The event type codes watched; none means broken events, as the watcher defaults to. */
  eventTypes: number[];
}

/** `<cacheDir>/watch/<16 hex chars of the key's sha256>.json`. */
export function watchMemoryPath(cacheDir: string, key: WatchMemoryKey): string {
  // Fixed key order, types sorted and deduplicated: the same watch always maps to the same file.
  const stable = JSON.stringify({
    eventTypes: [...new Set(key.eventTypes.length > 0 ? key.eventTypes : [BROKEN_EVENT_TYPE])].sort((a, b) => a - b),
    file: key.file,
    queryTitle: key.queryTitle,
    sourceName: key.sourceName,
  });
  const hash = createHash('sha256').update(stable).digest('hex').slice(0, 16);
  return join(cacheDir, 'watch', `${hash}.json`);
}

/** The stored memory, or undefined when the file is missing, unreadable or not a WatchMemory. */
export function loadWatchMemory(path: string): WatchMemory | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return isWatchMemory(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the memory atomically (a temporary file renamed over the old one), so a run killed
 * mid-write leaves the previous memory rather than half a file. Returns an error message, or
 * undefined when it was saved.
 */
export function saveWatchMemory(path: string, memory: WatchMemory): string | undefined {
  const temporary = `${path}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(temporary, JSON.stringify(memory));
    renameSync(temporary, path);
    return undefined;
  } catch (error) {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // The first error is the one worth reporting.
    }
    return (error as Error)?.message ?? String(error);
  }
}

/**
 * Resume support for `aq send` and Send Events: a small JSON file per input in the cache folder
 * (`<cache>/send/`, not beside the input, where it would end up in the user's commits) records
 * which batches reached the API, together with a hash of the input and of where it was sent. A
 * later resume skips those batches; a changed file or another destination starts over.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

interface ProgressFile {
  version: 1;
  inputHash: string;
  destination: string;
  completedBatches: number[];
  updatedAt: string;
}

/** `<cacheDir>/send/<16 hex chars of the input's absolute path>.json`. */
export function progressPathFor(inputPath: string, cacheDir: string): string {
  const hash = createHash('sha256').update(resolve(inputPath)).digest('hex').slice(0, 16);
  return join(cacheDir, 'send', `${hash}.json`);
}

/** Identifies the input and how it is cut into batches: a change to either invalidates progress. */
export function inputHashOf(text: string, planning: string): string {
  return createHash('sha256').update(planning).update('\n').update(text).digest('hex');
}

/** Batches already sent for this input and destination; empty when there is no matching record. */
export function loadProgress(path: string, inputHash: string, destination: string): Set<number> {
  if (!existsSync(path)) return new Set();
  try {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as Partial<ProgressFile>;
    if (saved.version !== 1 || saved.inputHash !== inputHash || saved.destination !== destination || !Array.isArray(saved.completedBatches)) return new Set();
    return new Set(saved.completedBatches.filter((index): index is number => Number.isInteger(index) && index >= 0));
  } catch {
    return new Set();
  }
}

/** Writes the record atomically (a crash mid-write must not lose what was already sent). */
export function saveProgress(path: string, inputHash: string, destination: string, completed: ReadonlySet<number>): void {
  const content: ProgressFile = { version: 1, inputHash, destination, completedBatches: [...completed].sort((a, b) => a - b), updatedAt: new Date().toISOString() };
  const temporary = `${path}.tmp`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(temporary, `${JSON.stringify(content)}\n`);
  renameSync(temporary, path);
}

export function clearProgress(path: string): void {
  rmSync(path, { force: true });
}

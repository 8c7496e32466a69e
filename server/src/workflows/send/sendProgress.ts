/**
 * Resume support for `aq send`: a small JSON file next to the input (`<file>.aq-send-progress.json`)
 * records which batches reached the API, together with a hash of the input and of where it was
 * sent. A later `--resume` skips those batches; a changed file or another destination starts over.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

export const PROGRESS_SUFFIX = '.aq-send-progress.json';

interface ProgressFile {
  version: 1;
  inputHash: string;
  destination: string;
  completedBatches: number[];
  updatedAt: string;
}

export function progressPathFor(inputPath: string): string {
  return `${inputPath}${PROGRESS_SUFFIX}`;
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
  writeFileSync(temporary, `${JSON.stringify(content)}\n`);
  renameSync(temporary, path);
}

export function clearProgress(path: string): void {
  rmSync(path, { force: true });
}

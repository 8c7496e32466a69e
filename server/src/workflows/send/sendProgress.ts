/**
 * Resume support for `aq send` and Send Events: a small JSON file per input in the cache folder
 * (`<cache>/send/`, not beside the input, where it would end up in the user's commits) records
 * which batches reached the API, together with a hash of the input and of where it was sent. A
 * later resume skips those batches; a changed file or another destination starts over. The
 * records the API rejected inside delivered batches are kept too: those batches are not sent
 * again, so without this a resumed run would forget them and report success.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { RecordFailure } from './sendBatches';

interface ProgressFile {
  version: 1;
  inputHash: string;
  destination: string;
  completedBatches: number[];
  /** Records rejected inside the completed batches (absent in files from older versions). */
  recordFailures?: RecordFailure[];
  updatedAt: string;
}

/** What earlier runs of the same input to the same destination achieved. */
export interface SavedProgress {
  completed: Set<number>;
  recordFailures: RecordFailure[];
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

/** Batches already sent for this input and destination and the records rejected in them; empty when there is no matching record. */
export function loadProgress(path: string, inputHash: string, destination: string): SavedProgress {
  const none: SavedProgress = { completed: new Set(), recordFailures: [] };
  if (!existsSync(path)) return none;
  try {
    const saved = JSON.parse(readFileSync(path, 'utf8')) as Partial<ProgressFile>;
    if (saved.version !== 1 || saved.inputHash !== inputHash || saved.destination !== destination || !Array.isArray(saved.completedBatches)) return none;
    return {
      completed: new Set(saved.completedBatches.filter((index): index is number => Number.isInteger(index) && index >= 0)),
      recordFailures: Array.isArray(saved.recordFailures) ? saved.recordFailures.filter(isRecordFailure) : [],
    };
  } catch {
    return none;
  }
}

function isRecordFailure(value: unknown): value is RecordFailure {
  const failure = value as Partial<RecordFailure> | null;
  return (
    typeof failure === 'object' &&
    failure !== null &&
    Number.isInteger(failure.line) &&
    typeof failure.message === 'string' &&
    (failure.field === undefined || typeof failure.field === 'string')
  );
}

/** Writes the record atomically (a crash mid-write must not lose what was already sent). */
export function saveProgress(
  path: string,
  inputHash: string,
  destination: string,
  completed: ReadonlySet<number>,
  recordFailures: readonly RecordFailure[] = [],
): void {
  const content: ProgressFile = {
    version: 1,
    inputHash,
    destination,
    completedBatches: [...completed].sort((a, b) => a - b),
    recordFailures: [...recordFailures],
    updatedAt: new Date().toISOString(),
  };
  const temporary = `${path}.tmp`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(temporary, `${JSON.stringify(content)}\n`);
  renameSync(temporary, path);
}

export function clearProgress(path: string): void {
  rmSync(path, { force: true });
}

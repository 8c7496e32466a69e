/**
 * `aq pull`: copies a Mixpanel project's raw events to a folder, one request and one file per day
 * (`YYYY-MM-DD.ndjson.gz`, the lines exactly as the export sent them), with a manifest beside
 * them. A day is streamed to a temporary file and renamed only once it is complete, so a cut
 * stream, an error or Ctrl+C never leaves a partial day; complete days are skipped on the next run.
 * Memory stays bounded: a day of any size flows through the decompressor, a line counter and the
 * compressor straight to disk.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Credentials, MixpanelSourceConfig } from '../../queryEngine/sourceConfig';
import { BackendError, isBackendError } from '../../queryEngine/backendErrors';
import type { HttpClient } from '../../queryEngine/httpClient';
import { RequestQueue } from '../../queryEngine/requestQueue';
import { exportError, exportParameters, exportRequest, type ExportFilter } from '../../queryEngine/backends/mixpanel/mixpanelExport';
import { plural } from '../../results/plural';
import { filterChanged, isDayComplete, readPullManifest, writePullManifest, type PulledDay } from './pullManifest';
import { pullProfiles } from './pullProfiles';

/** What a pull reports while it works; `message` is a line for a person. */
export interface PullProgress {
  message: string;
  /** Days done (pulled or skipped) and in the range. */
  done: number;
  total: number;
}

export interface PullOptions {
  source: MixpanelSourceConfig;
  credentials: Credentials | undefined;
  /** `AQ_<NAME>_BASE_URL` or the machine setting; replaces the export (and query) host. */
  baseUrlOverride?: string;
  from: string;
  to: string;
  filter: ExportFilter;
  outputDir: string;
  /** Pull complete days again. */
  force: boolean;
  /** Also pull user profiles (Engage) to `profiles.people.ndjson.gz`. */
  profiles: boolean;
  http: HttpClient;
  /** The source's export queue (60 an hour, 3 a second, 100 at once); see exportQueue(). */
  queue: RequestQueue;
  /** The source's Query API queue, for the Engage pages. */
  queryQueue: RequestQueue;
  signal: AbortSignal;
  onProgress?: (progress: PullProgress) => void;
  now?: () => Date;
  /** Longest silence from the export before the day is retried; default 5 min. */
  idleTimeoutMs?: number;
}

export interface PullReport {
  /** The days pulled by this run, in order. */
  pulled: Array<PulledDay & { day: string; durationMs: number }>;
  /** Complete days left alone. */
  skipped: string[];
  /** Pulled again because --event or --where differ from the recorded pull. */
  refiltered: string[];
  profiles?: { count: number; fileBytes: number };
  /** Why the pull stopped before the end: cancelled, or the error of the day (or profiles) that failed. */
  stoppedBy?: { reason: 'cancelled' } | { reason: 'failed'; day: string | 'profiles'; error: BackendError };
  /** A problem found before anything was requested (a manifest of another project). */
  problem?: string;
}

/** Mixpanel's Raw Export API limits (docs/api-notes.md, "Mixpanel rate limits"). */
export const EXPORT_LIMITS = { hourlyBudget: 60, perSecond: 3, maxConcurrent: 100 } as const;

/**
 * A queue with the export's limits. A 429 waits for Retry-After and the hourly budget waits for
 * its next free request (up to an hour), because a pull of more than 60 days must go on by itself.
 */
export function createExportQueue(options: { baseBackoffMs?: number; maxTries?: number; maxRetryAfterWaitMs?: number; now?: () => number } = {}): RequestQueue {
  return new RequestQueue({
    ...EXPORT_LIMITS,
    now: options.now,
    maxTries: options.maxTries ?? 6,
    baseBackoffMs: options.baseBackoffMs ?? 2000,
    // A server's Retry-After is waited out up to 10 minutes; the queue's own hourly budget is waited
    // out by pullEvents however long it takes (see waitForHourlyBudget).
    maxRetryAfterWaitMs: options.maxRetryAfterWaitMs ?? 10 * 60_000,
  });
}

const exportQueues = new Map<string, RequestQueue>();

/** One export queue per project in this process, so pulls one after another share the hourly budget. */
export function exportQueueFor(source: MixpanelSourceConfig): RequestQueue {
  const key = `${source.region}:${source.projectId}`;
  let queue = exportQueues.get(key);
  if (!queue) {
    queue = createExportQueue();
    exportQueues.set(key, queue);
  }
  return queue;
}

/** Temporary files carry this suffix; none matches a data file the local engine reads. */
const PARTIAL_SUFFIX = '.partial';
/** Hours a day may still go on somewhere after it ended in UTC (UTC−12); later it is over everywhere. */
const LATEST_TIMEZONE_HOURS = 14;
const DAY_MS = 86_400_000;

export async function pullEvents(options: PullOptions): Promise<PullReport> {
  const report: PullReport = { pulled: [], skipped: [], refiltered: [] };
  const now = options.now ?? (() => new Date());
  if (!options.credentials?.secret) throw new BackendError('auth', `No credentials for Mixpanel source "${options.source.name}".`);
  await mkdir(options.outputDir, { recursive: true });
  await removeLeftoverPartials(options.outputDir);
  const manifest = await readPullManifest(options.outputDir, options.source);
  if (typeof manifest === 'string') return { ...report, problem: manifest };

  const days = daysOf(options.from, options.to);
  const say = (message: string, done: number): void => options.onProgress?.({ message, done, total: days.length });
  const todo: string[] = [];
  for (const day of days) {
    const parameters = exportParameters(options.source, day, options.filter);
    if (!options.force && (await isDayComplete(options.outputDir, manifest, day, parameters))) report.skipped.push(day);
    else todo.push(day);
  }
  if (report.skipped.length > 0)
    say(`${plural(report.skipped.length, 'complete day')} already pulled, skipped (--force pulls them again)`, report.skipped.length);
  if (todo.length > EXPORT_LIMITS.hourlyBudget) {
    say(
      `${plural(todo.length, 'day')} to pull: Mixpanel allows ${EXPORT_LIMITS.hourlyBudget} export requests an hour, so this takes at least ${Math.ceil(todo.length / EXPORT_LIMITS.hourlyBudget) - 1} h`,
      report.skipped.length,
    );
  }

  for (const day of todo) {
    if (options.signal.aborted) {
      report.stoppedBy = { reason: 'cancelled' };
      break;
    }
    const parameters = exportParameters(options.source, day, options.filter);
    if (filterChanged(manifest, day, parameters)) report.refiltered.push(day);
    let started = Date.now();
    try {
      const sayForDay = (message: string): void => say(message, report.skipped.length + report.pulled.length);
      let pulled: PulledDay;
      for (;;) {
        try {
          pulled = await pullDay(options, day, parameters, now, sayForDay);
          break;
        } catch (error) {
          if (!isHourlyBudgetWait(error)) throw error;
          await waitForHourlyBudget(error.details.retryAfterMs!, day, options.signal, sayForDay);
          started = Date.now();
        }
      }
      manifest.days[day] = pulled;
      await writePullManifest(options.outputDir, manifest);
      const durationMs = Date.now() - started;
      report.pulled.push({ ...pulled, day, durationMs });
      const seconds = Math.max(durationMs / 1000, 0.001);
      say(
        `${day}: ${plural(pulled.events, 'event')}, ${formatMegabytes(pulled.bytes)} in ${seconds.toFixed(1)} s (${formatRate(pulled.events / seconds)} events/s, ${formatMegabytes(pulled.bytes / seconds)}/s)${pulled.dayWasOver ? '' : ' — the day is not over yet; the next run pulls it again'}`,
        report.skipped.length + report.pulled.length,
      );
    } catch (error) {
      if (options.signal.aborted || (isBackendError(error) && error.kind === 'cancelled')) {
        report.stoppedBy = { reason: 'cancelled' };
      } else {
        report.stoppedBy = { reason: 'failed', day, error: isBackendError(error) ? error : new BackendError('badResponse', (error as Error).message) };
      }
      break;
    }
  }

  if (options.profiles && !report.stoppedBy) {
    try {
      say('pulling user profiles…', days.length);
      const profiles = await pullProfiles({ ...options, now, onPage: (count) => say(`profiles: ${plural(count, 'profile')} so far`, days.length) });
      manifest.profiles = profiles;
      await writePullManifest(options.outputDir, manifest);
      report.profiles = { count: profiles.profiles, fileBytes: profiles.fileBytes };
    } catch (error) {
      report.stoppedBy =
        options.signal.aborted || (isBackendError(error) && error.kind === 'cancelled')
          ? { reason: 'cancelled' }
          : { reason: 'failed', day: 'profiles', error: isBackendError(error) ? error : new BackendError('badResponse', (error as Error).message) };
    }
  }
  return report;
}

/** One day: one export request, streamed to a temporary file that is renamed when complete. */
async function pullDay(
  options: PullOptions,
  day: string,
  parameters: Record<string, string>,
  now: () => Date,
  say: (message: string) => void,
): Promise<PulledDay> {
  const credentials = options.credentials!;
  const request = exportRequest(options.source, parameters, credentials, options.baseUrlOverride);
  const file = `${day}.ndjson.gz`;
  return options.queue.run(
    async (attempt) => {
      const temporary = join(options.outputDir, `.${file}.${randomBytes(4).toString('hex')}${PARTIAL_SUFFIX}`);
      let response;
      try {
        response = await options.http.openStream(request, { signal: options.signal, idleTimeoutMs: options.idleTimeoutMs ?? 300_000 });
      } catch (error) {
        throw retryableTransportError(error, day);
      }
      if (response.status !== 200) {
        const body = await readSmallBody(response.body);
        throw exportError(options.source, response.status, body, response.headers['retry-after'], credentials);
      }
      if (attempt > 1) say(`${day}: attempt ${attempt}`);
      const counter = new LineCounter();
      const hash = createHash('sha256');
      let fileBytes = 0;
      const tap = new Transform({
        transform(chunk: Buffer, _encoding, callback: TransformCallback) {
          hash.update(chunk);
          fileBytes += chunk.length;
          callback(null, chunk);
        },
      });
      const output = createWriteStream(temporary, { flags: 'wx' });
      const gzipped = /\bgzip\b/i.test(response.headers['content-encoding'] ?? '');
      try {
        const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream> = [response.body];
        if (gzipped) stages.push(createGunzip());
        stages.push(counter, createGzip(), tap, output);
        await (pipeline as (...streams: Array<NodeJS.ReadableStream | NodeJS.WritableStream>) => Promise<void>)(...stages);
        await syncFile(temporary);
        await rename(temporary, join(options.outputDir, file));
      } catch (error) {
        response.body.destroy();
        await rm(temporary, { force: true });
        const diskError = isFileSystemError(error) ? error : undefined;
        if (diskError)
          throw new BackendError(
            'config',
            `Cannot write ${temporary}: ${diskError.code === 'ENOSPC' ? 'no space left on the device' : diskError.message}. Nothing of ${day} was kept.`,
          );
        if (options.signal.aborted) throw new BackendError('cancelled', `The pull of ${day} was cancelled.`);
        // A stream cut mid-body (or a gzip stream that ends early): the day is asked for again, whole.
        throw new BackendError('network', `The export of ${day} was cut off after ${formatMegabytes(counter.bytes)}.`);
      }
      const pulledAt = now();
      return {
        file,
        events: counter.lines,
        bytes: counter.bytes,
        fileBytes,
        sha256: hash.digest('hex'),
        pulledAt: pulledAt.toISOString(),
        dayWasOver: pulledAt.getTime() >= Date.parse(`${day}T00:00:00Z`) + DAY_MS + LATEST_TIMEZONE_HOURS * 3_600_000,
        request: parameters,
      };
    },
    {
      signal: options.signal,
      retryable: true,
      onRetry: (failure, delayMs) => say(`${day}: ${retryReason(failure)} Trying again in ${formatWait(delayMs)}…`),
    },
  );
}

/** Errors of the disk (full, read-only, no permission), which asking Mixpanel again cannot fix. */
const FILE_SYSTEM_CODES = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EEXIST', 'EISDIR', 'ENOTDIR', 'ENOENT', 'EIO', 'EMFILE', 'ENFILE']);

function isFileSystemError(error: unknown): error is NodeJS.ErrnoException {
  const candidate = error as NodeJS.ErrnoException | undefined;
  return typeof candidate?.syscall === 'string' && typeof candidate.code === 'string' && FILE_SYSTEM_CODES.has(candidate.code);
}

/** The queue refused to send because this pull used the hour's requests (no HTTP status: Mixpanel was not asked). */
function isHourlyBudgetWait(error: unknown): error is BackendError {
  return isBackendError(error) && error.kind === 'rateLimited' && error.details.status === undefined && error.details.retryAfterMs !== undefined;
}

/**
 * Waits for the next request of the hour: the queue's own count, so a wait of up to an hour is
 * aq's decision, not a server's. Ctrl+C ends it at once.
 */
function waitForHourlyBudget(ms: number, day: string, signal: AbortSignal, say: (message: string) => void): Promise<void> {
  say(`${day}: ${retryReason(new BackendError('rateLimited', ''))} Waiting ${formatWait(ms)} for the next one…`);
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new BackendError('cancelled', `The pull of ${day} was cancelled.`));
    const timer = setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.min(Math.max(ms, 0), 2 ** 31 - 1),
    );
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new BackendError('cancelled', `The pull of ${day} was cancelled.`));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Why a day waits: the queue's own hourly budget (no HTTP status) is said in the export's terms. */
function retryReason(failure: BackendError): string {
  if (failure.kind === 'rateLimited' && failure.details.status === undefined) {
    return `Mixpanel allows ${EXPORT_LIMITS.hourlyBudget} export requests an hour and this pull has used them.`;
  }
  return failure.message;
}

function retryableTransportError(error: unknown, day: string): unknown {
  if (isBackendError(error) && error.kind === 'timeout') return new BackendError('network', `${error.message} (export of ${day})`);
  return error;
}

/** Counts the non-empty lines and bytes flowing through, passing them on unchanged. */
class LineCounter extends Transform {
  lines = 0;
  bytes = 0;
  /** Whether the current (unfinished) line has any byte yet. */
  private lineOpen = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      if (newline < 0) break;
      if (newline > start || this.lineOpen) this.lines++;
      this.lineOpen = false;
      start = newline + 1;
    }
    if (start < chunk.length) this.lineOpen = true;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.lineOpen) this.lines++;
    callback();
  }
}

/** The first 16 KB of an error answer; the rest is dropped. */
async function readSmallBody(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size > 16_384) break;
    }
  } catch {
    // What arrived is enough for the message.
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Temporary files of a run that was killed outright (no chance to clean up). */
async function removeLeftoverPartials(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith('.') && name.endsWith(PARTIAL_SUFFIX)) await rm(join(dir, name), { force: true });
  }
}

/** Every day from `from` to `to`, inclusive (`YYYY-MM-DD`). */
export function daysOf(from: string, to: string): string[] {
  const days: string[] = [];
  for (let time = Date.parse(`${from}T00:00:00Z`); time <= Date.parse(`${to}T00:00:00Z`); time += DAY_MS) days.push(new Date(time).toISOString().slice(0, 10));
  return days;
}

/** A `YYYY-MM-DD` that is a real date. */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const time = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === text;
}

export function formatMegabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(bytes >= 10_000_000 ? 0 : 2)} MB`;
}

function formatRate(perSecond: number): string {
  return perSecond >= 10_000 ? `${Math.round(perSecond / 1000)}k` : String(Math.round(perSecond));
}

function formatWait(ms: number): string {
  return ms >= 120_000 ? `${Math.ceil(ms / 60_000)} min` : `${Math.max(1, Math.round(ms / 1000))} s`;
}

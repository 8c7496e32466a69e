/**
 * Runs JQL scripts over local data in a worker with a memory limit and a time limit (the sandbox's
 * vm timeout, backed by a timer here that kills the worker for anything the vm timeout cannot
 * stop). The worker stays alive between runs, so a warm run does not reload the data; a worker
 * that was killed is replaced by the next run.
 *
 * The worker is a child process, not a worker thread: V8 aborts the whole process when one large
 * allocation overshoots a heap limit (`new Array(2e8).fill(0)` does), and a worker thread's
 * resourceLimits cannot stop that from taking the language server down with it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readSync, closeSync, readdirSync, statSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { BackendError } from '../../../backendErrors';
import { defaultCacheDir } from '../../../cacheDir';
import { DEFAULT_JQL_TIMEOUT_MS, DEFAULT_MAX_LINE_BYTES } from '../localLimits';
import type { JqlWorkerReply, JqlWorkerRequest } from './jqlWorkerProtocol';

export interface RunJqlOptions {
  script: string;
  /** The global `params` of the script. */
  params: Record<string, unknown>;
  /** A local source's data: a file or folder, as loadLocalDataset reads it. */
  dataPath: string;
  /** IANA zone of the project; dates and event times are in it. Default UTC. */
  timezone?: string;
  /** Default 60 000 (AQ_JQL_TIMEOUT_S). */
  timeoutMs?: number;
  /** Heap limit of the worker in MB, data included (AQ_JQL_MEMORY_MB). Default: sized from the data, see jqlHeapMbFor. */
  memoryMb?: number;
  /** Caps for reading the data, as loadLocalDataset takes them. */
  maxLineBytes?: number;
  maxDecompressedBytes?: number;
  signal?: AbortSignal;
  /** The worker script; by default the bundled jqlWorker.js next to this bundle, else the TypeScript source via tsx. */
  workerPath?: string;
}

export interface JqlRunResult {
  /** What main() returned, as JSON values (a collection becomes its array of items). */
  output: unknown[];
  /** Data problems that did not stop the run (skipped lines, duplicates). */
  warnings: string[];
}

/** Heap for the script and the worker itself, on top of what the data takes. */
const BASE_HEAP_MB = 512;
/**
 * Heap per MB of NDJSON text that a script reading every event needs: the events' properties are
 * parsed into the heap as the script reads them, and its groupBy or reduce works on copies. Measured
 * on the sample scaled to 1.2M events (316 MB of text): the parsed properties alone take ~370 MB,
 * and a groupBy over every event fails in a 512 MB heap and runs in 512 + 3.5 × 316 MB.
 */
const HEAP_PER_DATA_MB = 3.5;
const HEAP_STEP_MB = 256;
/** Never more than this share of the machine's memory, whatever the data. */
const MAX_HEAP_SHARE = 0.75;
/** A gzipped file whose decompressed size cannot be read is taken to expand this many times. */
const ASSUMED_GZIP_RATIO = 10;
/** How long past the limit the host waits for the sandbox's own timeout before killing the worker. */
const BACKSTOP_GRACE_MS = 1_000;

interface WorkerSlot {
  worker: ChildProcess | undefined;
  /** Runs on one worker are serialised: it holds one dataset and runs one script at a time. */
  tail: Promise<unknown>;
}

const TSX_REQUIRE_HOOK = ['tsx', 'cjs'].join('/');

const slots = new Map<string, WorkerSlot>();
let nextRequestId = 1;

/** Runs `main()` of a JQL script over a local dataset. Failures are BackendErrors (kind `script` for the script's own). */
export function runJql(options: RunJqlOptions): Promise<JqlRunResult> {
  const memoryMb = options.memoryMb ?? jqlHeapMbFor(options.dataPath);
  const workerPath = resolveWorkerPath(options.workerPath);
  const key = `${workerPath}\u0000${memoryMb}`;
  let slot = slots.get(key);
  if (!slot) {
    retireOtherSlots(workerPath, key);
    slots.set(key, (slot = { worker: undefined, tail: Promise.resolve() }));
  }
  const current = slot;
  const run = current.tail.then(() => runOnSlot(current, workerPath, memoryMb, options));
  current.tail = run.catch(() => undefined);
  return options.signal ? cancelWhileQueued(run, options.signal) : run;
}

/** A run waiting behind another one is cancelled at once; its turn then finds the signal aborted and is skipped. */
function cancelWhileQueued<T>(run: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelledError());
    signal.addEventListener('abort', onAbort, { once: true });
    run.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * The heap follows the data, so another source (or grown data) needs a worker of another size: the
 * workers of other sizes are stopped once their queued runs are done, so idle workers do not keep
 * their datasets in memory side by side.
 */
function retireOtherSlots(workerPath: string, keep: string): void {
  for (const [key, slot] of slots) {
    if (key === keep || !key.startsWith(`${workerPath}\u0000`)) continue;
    slots.delete(key);
    void slot.tail.then(() => (slot.worker ? stopWorker(slot.worker) : undefined));
  }
}

/** Stops every JQL worker (server shutdown, tests). */
export async function disposeJqlWorkers(): Promise<void> {
  const workers = [...slots.values()].map((slot) => slot.worker).filter((worker): worker is ChildProcess => worker !== undefined);
  slots.clear();
  await Promise.all(workers.map((worker) => stopWorker(worker)));
}

function stopWorker(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    worker.once('exit', () => resolve());
    worker.kill('SIGKILL');
  });
}

/**
 * The heap a worker gets by default for the data at `path`: a base for the script plus what the
 * events take once loaded (estimated from the size of their text), at most 3/4 of the machine's memory.
 */
export function jqlHeapMbFor(path: string): number {
  const ceiling = Math.floor((totalmem() / (1 << 20)) * MAX_HEAP_SHARE);
  // In steps of 256 MB: a file that grows a little keeps its worker (and the worker its loaded data).
  const wanted = BASE_HEAP_MB + Math.ceil(dataHeapMbFor(path) / HEAP_STEP_MB) * HEAP_STEP_MB;
  return Math.max(BASE_HEAP_MB, Math.min(ceiling, wanted));
}

/** What the data at `path` takes of the heap once a script has read it all (an estimate). */
function dataHeapMbFor(path: string): number {
  return Math.ceil((dataTextBytes(path) / (1 << 20)) * HEAP_PER_DATA_MB);
}

/** The size of the data's text: files as they are, gzipped files by the size their trailer records. */
function dataTextBytes(path: string): number {
  try {
    const info = statSync(path);
    if (!info.isDirectory()) return /\.gz$/i.test(path) ? gunzippedSize(path, info.size) : info.size;
    return readdirSync(path, { withFileTypes: true }).reduce((sum, entry) => sum + dataTextBytes(join(path, entry.name)), 0);
  } catch {
    // Missing or unreadable: the load reports it; the heap stays at its base.
    return 0;
  }
}

/** A gzip file ends with its decompressed size modulo 4 GiB; beyond, or for several members, an estimate. */
function gunzippedSize(path: string, compressed: number): number {
  if (compressed < 18) return 0;
  const trailer = Buffer.alloc(4);
  const handle = openSync(path, 'r');
  try {
    readSync(handle, trailer, 0, 4, compressed - 4);
  } finally {
    closeSync(handle);
  }
  const recorded = trailer.readUInt32LE(0);
  return recorded >= compressed ? recorded : compressed * ASSUMED_GZIP_RATIO;
}

function resolveWorkerPath(explicit: string | undefined): string {
  if (explicit) return explicit;
  const bundled = join(__dirname, 'jqlWorker.js');
  return existsSync(bundled) ? bundled : join(__dirname, 'jqlWorker.ts');
}

function spawnWorker(workerPath: string, memoryMb: number): ChildProcess {
  // Running from source (tests, development): load the TypeScript worker through tsx's require hook.
  // The name is not a literal so bundlers do not try to resolve tsx, which bundles never use.
  const loader = workerPath.endsWith('.ts') ? ['--require', require.resolve(TSX_REQUIRE_HOOK)] : [];
  const worker = fork(workerPath, [], {
    execArgv: [...loader, `--max-old-space-size=${memoryMb}`, '--disallow-code-generation-from-strings'],
    // The worker never needs the rest of the environment, which may hold the CLI's credentials; it
    // is told where this process keeps the dataset cache. Inside VS Code the server runs on
    // Electron's binary, which only behaves as Node with ELECTRON_RUN_AS_NODE set.
    env: { ELECTRON_RUN_AS_NODE: '1', AQ_CACHE_DIR: defaultCacheDir(), AQ_LOCAL_CACHE_MB: process.env.AQ_LOCAL_CACHE_MB ?? '' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'json',
  });
  // Keep the end of stderr: V8 says there why it aborted the process.
  let stderrTail = '';
  worker.stderr?.setEncoding('utf8');
  worker.stderr?.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
  });
  stderrTails.set(worker, () => stderrTail);
  return worker;
}

const stderrTails = new WeakMap<ChildProcess, () => string>();

/** The worker's last `SomeError: message` line on stderr, e.g. a worker file that cannot be found. */
function lastErrorLine(worker: ChildProcess): string | undefined {
  const lines = (stderrTails.get(worker)?.() ?? '').split('\n').filter((line) => /^\w*Error\b/.test(line.trim()));
  return lines.at(-1)?.trim().slice(0, 300);
}

function ranOutOfMemory(worker: ChildProcess): boolean {
  return /heap out of memory|Allocation failed|out of memory/i.test(stderrTails.get(worker)?.() ?? '');
}

/** An idle worker must not keep a CLI process alive; a busy one must. */
function setKeepsProcessAlive(worker: ChildProcess, busy: boolean): void {
  const channel = worker.channel as { ref(): void; unref(): void } | undefined;
  const stderr = worker.stderr as { ref?(): void; unref?(): void } | null;
  if (busy) {
    worker.ref();
    channel?.ref();
    stderr?.ref?.();
  } else {
    worker.unref();
    channel?.unref();
    stderr?.unref?.();
  }
}

function runOnSlot(slot: WorkerSlot, workerPath: string, memoryMb: number, options: RunJqlOptions): Promise<JqlRunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_JQL_TIMEOUT_MS;
  const signal = options.signal;
  return new Promise<JqlRunResult>((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelledError());
      return;
    }
    let worker = slot.worker;
    if (!worker) {
      const spawned = (worker = slot.worker = spawnWorker(workerPath, memoryMb));
      // A worker that dies between runs is replaced by the next run.
      spawned.once('exit', () => {
        if (slot.worker === spawned) slot.worker = undefined;
      });
    }
    const id = nextRequestId++;
    let started = false;
    let settled = false;
    let backstop: NodeJS.Timeout | undefined;

    const finish = (outcome: () => void, discardWorker: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(backstop);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
      if (discardWorker) {
        if (slot.worker === worker) slot.worker = undefined;
        worker.kill('SIGKILL');
      } else {
        setKeepsProcessAlive(worker, false);
      }
      outcome();
    };
    const fail = (error: BackendError, discardWorker: boolean): void => finish(() => reject(error), discardWorker);

    const onMessage = (reply: JqlWorkerReply): void => {
      if (reply.id !== id) return;
      if (reply.type === 'started') {
        started = true;
        backstop = setTimeout(() => fail(timeLimitError(timeoutMs), true), timeoutMs + BACKSTOP_GRACE_MS);
      } else if (reply.type === 'done') {
        finish(() => resolve({ output: toArray(JSON.parse(reply.outputJson)), warnings: reply.warnings }), false);
      } else if (reply.reason === 'timeout') {
        fail(timeLimitError(timeoutMs), false);
      } else if (reply.reason === 'tooLarge') {
        fail(new BackendError('tooLarge', reply.message), false);
      } else if (reply.reason === 'data') {
        fail(new BackendError(isKnownKind(reply.errorKind) ? reply.errorKind : 'config', reply.message), false);
      } else {
        fail(new BackendError('script', reply.message), false);
      }
    };
    const onError = (error: Error): void => fail(new BackendError('script', `The JQL worker could not be started: ${error.message}`), true);
    const onExit = (code: number | null, exitSignal: NodeJS.Signals | null): void => {
      if (ranOutOfMemory(worker)) {
        fail(outOfMemoryError(memoryMb, options.dataPath, started), true);
      } else {
        const reason = lastErrorLine(worker);
        fail(new BackendError('script', `The JQL worker stopped unexpectedly (${exitSignal ?? `exit code ${code}`})${reason ? `: ${reason}` : ''}`), true);
      }
    };
    const onAbort = (): void => fail(cancelledError(), true);

    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    signal?.addEventListener('abort', onAbort, { once: true });
    setKeepsProcessAlive(worker, true);
    const request: JqlWorkerRequest = {
      id,
      script: options.script,
      params: options.params ?? {},
      dataPath: options.dataPath,
      timezone: options.timezone ?? 'UTC',
      timeoutMs,
      maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
      maxDecompressedBytes: options.maxDecompressedBytes,
    };
    try {
      worker.send(request);
    } catch (error) {
      fail(new BackendError('script', `The JQL worker could not be reached: ${(error as Error).message}`), true);
    }
  });
}

function toArray(output: unknown): unknown[] {
  return Array.isArray(output) ? output : [output];
}

function timeLimitError(timeoutMs: number): BackendError {
  return new BackendError(
    'script',
    `JQL script exceeded the time limit of ${formatSeconds(timeoutMs)} s; to allow longer, set AQ_JQL_TIMEOUT_S to a number of seconds`,
  );
}

/**
 * Whose fault running out of memory was: the data's when it did not even load, or when the heap
 * was set below what this data needs and the data would take most of it; else the script's.
 */
function outOfMemoryError(memoryMb: number, dataPath: string, started: boolean): BackendError {
  const needed = jqlHeapMbFor(dataPath);
  const dataMb = dataHeapMbFor(dataPath);
  const raise = (atLeast: number): string =>
    `set AQ_JQL_MEMORY_MB to ${atLeast > memoryMb ? `at least ${atLeast}` : 'a larger number of megabytes'} (the machine has ${Math.round(totalmem() / (1 << 30))} GB)`;
  if (!started) {
    return new BackendError(
      'tooLarge',
      `The local data does not fit in the JQL worker's memory limit of ${memoryMb} MB: ${raise(needed)}, or query a smaller file`,
    );
  }
  if (memoryMb < needed && dataMb > memoryMb / 2) {
    return new BackendError(
      'tooLarge',
      `The JQL worker ran out of its ${memoryMb} MB of memory because of the size of the local data (about ${dataMb} MB once read), not the script: ${raise(needed)}, or unset it to let the limit follow the data`,
    );
  }
  return new BackendError(
    'script',
    `JQL script exceeded the memory limit of ${memoryMb} MB: keep less in the script (aggregate with groupBy or reduce), or ${raise(0)}`,
  );
}

function cancelledError(): BackendError {
  return new BackendError('cancelled', 'The JQL query was cancelled');
}

function formatSeconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

const BACKEND_ERROR_KINDS = new Set([
  'auth',
  'region',
  'plan',
  'notFound',
  'badRequest',
  'rateLimited',
  'server',
  'network',
  'timeout',
  'cancelled',
  'badResponse',
  'tooLarge',
  'config',
  'script',
]);

function isKnownKind(kind: string | undefined): kind is BackendError['kind'] {
  return kind !== undefined && BACKEND_ERROR_KINDS.has(kind);
}

/**
 * A few worker threads that run `parseEventChunk`, so a large export is parsed on every core while
 * the loading thread gunzips and assembles. The workers get the parser's source text instead of a
 * script file: the same code then works under tsx, in the server bundle and in the JQL worker bundle.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { insertIdsOfLikelyDuplicates, parseEventChunk, type ExtractRequest, type ParsedChunk } from './parseEventChunk';

/** A parsed chunk with its text, which went to the worker and came back without being copied. */
export interface ParsedChunkOf {
  parsed: ParsedChunk;
  chunk: Buffer;
}

/**
 * What a worker does before its first real chunk, so that V8 compiles the parser once. It starts
 * optimising the parser during the first chunk (the function is hot long before that chunk ends),
 * and what happened for the first time when that chunk returned made the optimised code wrong:
 * - the first ArrayBuffer moved out of the worker (the parsed columns, at the first reply): V8 then
 *   stops assuming that no buffer is ever detached, and throws away all code built on that;
 * - the objects the parser makes for the first time (the parsed chunk, its columns), and the paths
 *   at the end of a chunk it had not taken yet (its columns returned as views, or copied).
 * The compilations in flight were thrown away, or their code deoptimised at the end of every chunk,
 * and redone: at 1M events, two to three extra compilations of 50-150 ms each on the cores the
 * load shares with gunzip, and the worker parsing at a third of its speed meanwhile. So the worker
 * moves a buffer and parses these lines first. They take only paths every export takes: a path
 * taken here and never again would be compiled for nothing.
 */
const WARM_UP_LINES = [
  '{"event":"Viewed","properties":{"time":1700000000,"distinct_id":"a","shown":"x","count":2,"$insert_id":"1"}}',
  '{"event":"Viewed","properties":{"time":1700000001,"distinct_id":"a","shown":"y","count":3,"$insert_id":"2"}}',
  '{"event":"Other","properties":{"time":1700000002,"distinct_id":"b","shown":"x","$insert_id":"3"}}',
];
const WARM_UP_EXTRACT: ExtractRequest = { properties: ['shown', 'count'], events: ['Viewed'] };
/**
 * Each worker's first chunks, each with and without properties to read: one like most chunks (ended
 * by a newline, nearly full, so its columns are returned as views), one like a file's last (its
 * last line without a newline, its columns copied to their length).
 */
const WARM_UP_CHUNKS = [
  { text: `${Array.from({ length: 16 }, (_, i) => WARM_UP_LINES[i % WARM_UP_LINES.length]).join('\n')}\n`, final: false },
  { text: WARM_UP_LINES.join('\n'), final: true },
];

interface PendingChunk {
  resolve: (result: ParsedChunkOf) => void;
  reject: (error: Error) => void;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const parseEventChunk = ${parseEventChunk.toString()};
const insertIdsOfLikelyDuplicates = ${insertIdsOfLikelyDuplicates.toString()};
// Before the first real chunk: see WARM_UP_LINES. The request is cloned as a message's would be.
const detached = new ArrayBuffer(8);
structuredClone(detached, { transfer: [detached] });
for (const { text, final } of ${JSON.stringify(WARM_UP_CHUNKS)}) {
  for (const extract of [undefined, structuredClone(${JSON.stringify(WARM_UP_EXTRACT)})]) {
    const bytes = new TextEncoder().encode(text);
    insertIdsOfLikelyDuplicates(bytes, parseEventChunk(bytes, final, extract));
  }
}
parentPort.on('message', ({ id, chunk, final, extract, discarded }) => {
  // Memory the loading thread handed over to be dropped here (see ParsePool.discard).
  if (discarded) return;
  let parsed;
  try {
    parsed = parseEventChunk(chunk, final, extract);
    parsed.likelyDuplicates = insertIdsOfLikelyDuplicates(chunk, parsed);
  } catch (error) {
    parsed = undefined;
    parentPort.postMessage({ id, chunk, error: String(error && error.message || error) }, [chunk.buffer]);
  }
  if (parsed) {
    // The columns are moved, not copied, back to the loading thread.
    const moved = [chunk.buffer, parsed.times.buffer, parsed.nameIndexes.buffer, parsed.userIndexes.buffer, parsed.starts.buffer, parsed.ends.buffer, parsed.likelyDuplicates.rows.buffer];
    for (const column of parsed.columns) moved.push(column.kinds.buffer, column.values.buffer);
    parentPort.postMessage({ id, chunk, parsed }, moved);
  }
});
`;

/** Parse workers for one load; `close` must be called when the load ends, however it ends. */
export class ParsePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, PendingChunk>();
  private nextId = 0;
  private nextDiscard = 0;
  private failure: Error | undefined;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      // No inherited Node options: the source is plain CommonJS and needs no loader, and a process
      // started with `--input-type=module` (as `npm run bench` starts the engine bench) would make
      // it an ES module, where `require` does not exist. (A 2 MB young generation saved 2-3 MB at a
      // 1M load's peak, but promotes far more to the old one, and a CI run then aborted in V8 while
      // a worker was terminated, in a background compile's request for a collection: not kept.)
      const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
      // A pool left open by an aborted load must not keep the CLI alive.
      worker.unref();
      worker.on('message', (message: { id: number; chunk: Uint8Array; parsed?: ParsedChunk; error?: string }) => {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error !== undefined || !message.parsed) pending?.reject(new Error(message.error ?? 'parse worker sent no result'));
        else pending?.resolve({ parsed: message.parsed, chunk: Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength) });
      });
      worker.on('error', (error) => this.failAll(error));
      worker.on('exit', (code) => {
        if (this.pending.size > 0) this.failAll(new Error(`parse worker stopped (exit code ${code})`));
      });
      this.workers.push(worker);
    }
  }

  /**
   * Parses a chunk on the next worker in turn. The chunk's memory moves to the worker and back
   * (no copy): `chunk` must own its ArrayBuffer and must not be used until the promise settles.
   */
  parse(chunk: Buffer, final: boolean, extract?: ExtractRequest): Promise<ParsedChunkOf> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const worker = this.workers[id % this.workers.length];
    return new Promise<ParsedChunkOf>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, chunk, final, extract }, [chunk.buffer as ArrayBuffer]);
    });
  }

  /**
   * Hands memory the loading thread no longer needs to a worker, which drops it. Dropped on the
   * loading thread, it would be returned only at that thread's next collection, and that thread
   * makes too little garbage on its heap to collect often: at 1M events, 20-40 MB of spent
   * gunzip output was waiting for it at the load's peak. A worker makes garbage with every chunk
   * it parses and so collects far more often, and a closed pool's memory goes with its workers.
   * Memory that cannot be moved is left to the collector.
   */
  discard(buffers: ArrayBuffer[]): void {
    if (buffers.length === 0 || this.workers.length === 0) return;
    try {
      this.workers[this.nextDiscard++ % this.workers.length].postMessage({ discarded: true }, buffers);
    } catch {
      // Not movable (a pooled buffer, or one already moved): the collector returns it as before.
    }
  }

  get size(): number {
    return this.workers.length;
  }

  close(): void {
    for (const worker of this.workers) void worker.terminate();
    this.workers.length = 0;
  }

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

/**
 * Workers worth starting on this machine: one per core but one, at least one and at most four. The
 * loading thread and gunzip (on libuv's thread pool) keep the remaining core busy: with the byte
 * scanner a worker parses about as fast as that core gunzips and assembles, and a worker more than
 * the cores only competes with them (on a 2-core machine, two workers made cold bench runs 15-20% slower).
 */
export function defaultParseWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

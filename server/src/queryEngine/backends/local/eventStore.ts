/**
 * Loads a local source: Mixpanel raw-export NDJSON (plain or gzip, one file or a folder of them)
 * into memory, de-duplicated and sorted by time. Files are streamed in line-aligned chunks of a few
 * MB; large sources are parsed in worker threads (parsePool.ts). The chunks' text is kept, and an
 * event's properties are parsed from it on first read. Kept free of heavy imports: the JQL worker
 * bundles it too.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import type { Readable } from 'node:stream';
import { BackendError } from '../../backendErrors';
import type { LocalDataset, LocalEvent, LocalProfile, SkippedLine } from './localEvent';
import { parseEventChunk, type ParsedChunk } from './parseEventChunk';
import { defaultParseWorkers, ParsePool, type ParsedChunkOf } from './parsePool';

export interface LoadOptions {
  signal?: AbortSignal;
  /** Accepted for callers that pass a source's options through; event times stay UTC epoch ms. */
  timezone?: string;
  /** Worker threads that parse events; default: one per core (at most 4) for sources of 4 MB or more on disk, else none. */
  parseWorkers?: number;
}

/** Files of a folder source that hold events or profiles. */
const DATA_FILE = /\.(ndjson|jsonl|json)(\.gz)?$/i;
const PEOPLE_FILE = /\.people\.(ndjson|jsonl|json)(\.gz)?$/i;

/** Sources at least this large (on disk) are parsed in worker threads. */
const PARALLEL_PARSE_BYTES = 4 << 20;
/** Decompressed bytes per parse chunk: big enough to amortise a message, small enough to keep every worker busy. */
const CHUNK_BYTES = 2 << 20;

/** Datasets kept in memory; each may be hundreds of MB, so only the most recent few. */
const CACHE_SIZE = 2;
const cache = new Map<string, { fingerprint: string; dataset: Promise<LocalDataset> }>();

/**
 * Loads (or returns the cached copy of) the events and profiles at `path`. A second call with the
 * same files, unchanged (same mtimes and sizes), does not read them again.
 */
export async function loadLocalDataset(path: string, options: LoadOptions = {}): Promise<LocalDataset> {
  const files = await listSourceFiles(path);
  const fingerprint = await fingerprintOf([...files.events, ...files.people]);
  const cached = cache.get(path);
  if (cached && cached.fingerprint === fingerprint) {
    cache.delete(path);
    cache.set(path, cached);
    return cached.dataset;
  }
  const dataset = readDataset(files, options.signal, options.parseWorkers);
  cache.set(path, { fingerprint, dataset });
  while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  // A failed or cancelled load must not be served to the next caller.
  dataset.catch(() => {
    if (cache.get(path)?.dataset === dataset) cache.delete(path);
  });
  return dataset;
}

/** Forgets every cached dataset (tests, and the bench's cold runs). */
export function clearDatasetCache(): void {
  cache.clear();
}

interface SourceFiles {
  events: string[];
  people: string[];
}

async function listSourceFiles(path: string): Promise<SourceFiles> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new BackendError('config', `The local data "${path}" does not exist. Point the source's "path" at a Mixpanel export (.ndjson, .json or .gz) or a folder of them.`);
  }
  if (info.isDirectory()) {
    const all = (await walk(path)).filter((file) => DATA_FILE.test(file)).sort();
    return { events: all.filter((file) => !PEOPLE_FILE.test(file)), people: all.filter((file) => PEOPLE_FILE.test(file)) };
  }
  if (PEOPLE_FILE.test(path)) return { events: [], people: [path] };
  const stem = basename(path).replace(/\.gz$/i, '').replace(/\.(ndjson|jsonl|json)$/i, '');
  const people: string[] = [];
  for (const candidate of [`${stem}.people.ndjson`, `${stem}.people.ndjson.gz`]) {
    const sibling = join(dirname(path), candidate);
    if (await stat(sibling).then((s) => s.isFile(), () => false)) people.push(sibling);
  }
  return { events: [path], people };
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(full)));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}

async function fingerprintOf(files: string[]): Promise<string> {
  const parts = await Promise.all(files.map(async (file) => {
    const info = await stat(file);
    return `${file}:${info.mtimeMs}:${info.size}`;
  }));
  return parts.join('|');
}

/**
 * Per-row arrays of a loaded dataset (aligned with `dataset.events`), computed while each line is
 * still hot in the CPU cache; the query index starts from them instead of walking a million
 * event objects scattered over the heap again.
 */
export interface LoadedRows {
  times: Float64Array;
  /** User number per row; `userIds[n]` is user n's distinct_id. */
  users: Int32Array;
  userIds: string[];
  /** Event-name number per row; `names[n]` is name n. */
  nameIds: Int32Array;
  names: string[];
}

const loadedRows = new WeakMap<LocalDataset, LoadedRows>();

/** The per-row arrays of a dataset read by `loadLocalDataset`; undefined for one built by hand. */
export function loadedRowsOf(dataset: LocalDataset): LoadedRows | undefined {
  return loadedRows.get(dataset);
}

/**
 * An event whose properties stay as raw JSON text until first read: most queries read the
 * properties of one or two event names only, so a cold run parses the rest just once (in a worker,
 * for the name, user and time) instead of building every property object on the loading thread.
 */
class LazyEvent implements LocalEvent {
  private parsed: Record<string, unknown> | undefined;

  constructor(
    readonly name: string,
    readonly distinctId: string,
    readonly time: number,
    private readonly chunk: Buffer,
    private readonly start: number,
    private readonly end: number,
  ) {}

  get properties(): Record<string, unknown> {
    // The line parsed as an event with a properties object when it was loaded.
    this.parsed ??= (JSON.parse(this.chunk.toString('utf8', this.start, this.end)) as { properties: Record<string, unknown> }).properties;
    return this.parsed;
  }

  set properties(value: Record<string, unknown>) {
    this.parsed = value;
  }

  get insertId(): string | undefined {
    const insert = this.properties.$insert_id;
    return insert === undefined || insert === null || insert === '' ? undefined : String(insert);
  }
}

/** Collects events in file order with their time, user number and name number. */
class RowCollector {
  readonly events: LocalEvent[] = [];
  readonly times: number[] = [];
  readonly users: number[] = [];
  readonly nameIds: number[] = [];
  readonly userIds: string[] = [];
  readonly names: string[] = [];
  private readonly userNumbers = new Map<string, number>();
  private readonly nameNumbers = new Map<string, number>();

  /** Adds the events of one parsed chunk; `chunk` holds their lines' text. */
  addChunk(parsed: ParsedChunk, chunk: Buffer): void {
    const names = parsed.names.map((name) => this.numberOf(this.nameNumbers, this.names, name));
    const users = parsed.users.map((user) => this.numberOf(this.userNumbers, this.userIds, user));
    const { times, nameIndexes, userIndexes, starts, ends } = parsed;
    for (let i = 0; i < times.length; i++) {
      const name = nameIndexes[i];
      const user = userIndexes[i];
      this.events.push(new LazyEvent(parsed.names[name], parsed.users[user], times[i], chunk, starts[i], ends[i]));
      this.times.push(times[i]);
      this.users.push(users[user]);
      this.nameIds.push(names[name]);
    }
  }

  private numberOf(numbers: Map<string, number>, list: string[], key: string): number {
    let number = numbers.get(key);
    if (number === undefined) {
      number = list.length;
      list.push(key);
      numbers.set(key, number);
    }
    return number;
  }
}

async function readDataset(files: SourceFiles, signal: AbortSignal | undefined, parseWorkers: number | undefined): Promise<LocalDataset> {
  const collector = new RowCollector();
  const profiles: LocalProfile[] = [];
  const skipped: SkippedLine[] = [];

  const sizes = await Promise.all(files.events.map((file) => stat(file).then((info) => info.size)));
  const total = sizes.reduce((sum, size) => sum + size, 0);
  // Starting workers costs tens of milliseconds: small sources parse faster on this thread.
  const workers = parseWorkers ?? (total >= PARALLEL_PARSE_BYTES ? defaultParseWorkers() : 0);
  const pool = workers > 0 ? new ParsePool(workers) : undefined;
  try {
    for (const file of files.events) {
      await forEachChunk(file, signal, pool, (parsed, chunk, firstLine) => {
        parsed.skippedLines.forEach((line, i) => skipped.push({ file, line: firstLine + line, reason: parsed.skippedReasons[i] }));
        collector.addChunk(parsed, chunk);
      });
    }
  } finally {
    pool?.close();
  }
  for (const file of files.people) {
    await forEachLine(file, signal, (line, lineNumber) => {
      const result = parseProfileLine(line);
      if (typeof result === 'string') skipped.push({ file, line: lineNumber, reason: result });
      else profiles.push(result);
    });
  }

  const { order, duplicates } = dropDuplicates(collector, sortOrder(collector.times));
  const events = new Array<LocalEvent>(order.length);
  const rows: LoadedRows = {
    times: new Float64Array(order.length),
    users: new Int32Array(order.length),
    userIds: collector.userIds,
    nameIds: new Int32Array(order.length),
    names: collector.names,
  };
  for (let row = 0; row < order.length; row++) {
    const source = order[row];
    events[row] = collector.events[source];
    rows.times[row] = collector.times[source];
    rows.users[row] = collector.users[source];
    rows.nameIds[row] = collector.nameIds[source];
  }
  const dataset: LocalDataset = { events, profiles, skipped, duplicates, files: [...files.events, ...files.people] };
  loadedRows.set(dataset, rows);
  return dataset;
}

/**
 * The positions of `times` in ascending, stable order, in linear time: a counting sort into about
 * one bucket per event, then an insertion pass that only moves entries within their bucket. A
 * comparison sort of a million events costs more than parsing them.
 */
function sortOrder(times: number[]): Int32Array {
  const count = times.length;
  const order = new Int32Array(count);
  let min = Infinity;
  let max = -Infinity;
  let sorted = true;
  for (let i = 0; i < count; i++) {
    const time = times[i];
    order[i] = i;
    if (time < min) min = time;
    if (time > max) max = time;
    if (i > 0 && time < times[i - 1]) sorted = false;
  }
  if (sorted) return order;
  const bucketCount = Math.max(1, Math.min(count, 1 << 22));
  const width = (max - min) / bucketCount || 1;
  const keys = new Uint32Array(count);
  const starts = new Uint32Array(bucketCount + 1);
  for (let i = 0; i < count; i++) {
    const key = Math.min(bucketCount - 1, Math.floor((times[i] - min) / width));
    keys[i] = key;
    starts[key + 1]++;
  }
  for (let bucket = 0; bucket < bucketCount; bucket++) starts[bucket + 1] += starts[bucket];
  for (let i = 0; i < count; i++) order[starts[keys[i]]++] = i;
  for (let i = 1; i < count; i++) {
    const position = order[i];
    const time = times[position];
    let j = i - 1;
    if (times[order[j]] <= time) continue;
    while (j >= 0 && times[order[j]] > time) {
      order[j + 1] = order[j];
      j--;
    }
    order[j + 1] = position;
  }
  return order;
}

/** Runs of equal time at most this long are de-duplicated by pairwise comparison, longer ones by a set. */
const SMALL_RUN = 16;

/**
 * Drops later copies of an event (same $insert_id, name, distinct_id and time) from a time order.
 * Duplicates share their time, so after the stable sort they sit in the same run of equal times:
 * no hashing of every event is needed, and the first copy in file order is the one kept.
 */
function dropDuplicates(collector: RowCollector, order: Int32Array): { order: Int32Array; duplicates: number } {
  const { events, times, users, nameIds } = collector;
  // Same user and same name first, from the flat arrays: most equal-time neighbours differ there.
  const mayBeSame = (a: number, b: number): boolean => users[a] === users[b] && nameIds[a] === nameIds[b] && isSameEvent(events[a], events[b]);
  const kept = new Int32Array(order.length);
  let keptCount = 0;
  let start = 0;
  while (start < order.length) {
    const time = times[order[start]];
    let end = start + 1;
    while (end < order.length && times[order[end]] === time) end++;
    if (end - start === 1) {
      kept[keptCount++] = order[start];
    } else if (end - start <= SMALL_RUN) {
      const runStart = keptCount;
      for (let i = start; i < end; i++) {
        let duplicate = false;
        for (let k = runStart; k < keptCount && !duplicate; k++) duplicate = mayBeSame(kept[k], order[i]);
        if (!duplicate) kept[keptCount++] = order[i];
      }
    } else {
      const seen = new Set<string>();
      for (let i = start; i < end; i++) {
        const event = events[order[i]];
        if (event.insertId !== undefined) {
          const key = `${event.insertId}\u0000${event.name}\u0000${event.distinctId}`;
          if (seen.has(key)) continue;
          seen.add(key);
        }
        kept[keptCount++] = order[i];
      }
    }
    start = end;
  }
  return { order: kept.subarray(0, keptCount), duplicates: order.length - keptCount };
}

function isSameEvent(a: LocalEvent, b: LocalEvent): boolean {
  // Insert ids last: reading one may parse the event's line.
  return a.time === b.time && a.name === b.name && a.distinctId === b.distinctId && a.insertId !== undefined && a.insertId === b.insertId;
}

/** The file's bytes, gunzipped when it starts with the gzip magic bytes. */
async function openData(file: string): Promise<{ raw: Readable; stream: Readable }> {
  const gzipped = await startsWithGzipMagic(file);
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  // A deep read-ahead buffer lets gunzip (on the thread pool) run while this thread parses.
  const stream: Readable = gzipped ? raw.pipe(createGunzip({ chunkSize: 1 << 20, readableHighWaterMark: 8 << 20 } as ZlibOptions)) : raw;
  if (gzipped) raw.on('error', (error) => stream.destroy(error));
  return { raw, stream };
}

type ChunkHandler = (parsed: ParsedChunk, chunk: Buffer, firstLine: number) => void;

/**
 * Reads a file of events in line-aligned chunks and hands each parsed chunk, in file order, to
 * `onChunk` with the number of lines before it. With a pool, several chunks are parsed at once.
 */
async function forEachChunk(file: string, signal: AbortSignal | undefined, pool: ParsePool | undefined, onChunk: ChunkHandler): Promise<void> {
  throwIfAborted(signal);
  const { raw, stream } = await openData(file);
  const inFlight: Array<Promise<ParsedChunkOf>> = [];
  // Enough chunks queued that no worker waits for this thread, few enough to bound memory.
  const maxInFlight = pool ? 3 * pool.size : 0;
  let linesBefore = 0;
  const deliver = (parsed: ParsedChunk, chunk: Buffer): void => {
    onChunk(parsed, chunk, linesBefore);
    linesBefore += parsed.lineCount;
  };
  const submit = async (chunk: Buffer, final: boolean): Promise<void> => {
    if (!pool) {
      deliver(parseEventChunk(chunk, final), chunk);
      return;
    }
    const parsed = pool.parse(chunk, final);
    // Rejections are awaited in order below; this only stops an early one being reported as unhandled.
    parsed.catch(() => undefined);
    inFlight.push(parsed);
    while (inFlight.length > maxInFlight) {
      const next = await inFlight.shift()!;
      deliver(next.parsed, next.chunk);
    }
  };
  let pieces: Buffer[] = [];
  let pending = 0;
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      throwIfAborted(signal);
      pieces.push(piece);
      pending += piece.length;
      if (pending < CHUNK_BYTES || piece.indexOf(10) < 0) continue;
      const joined = joinPieces(pieces, pending);
      const cut = joined.lastIndexOf(10) + 1;
      pieces = cut < joined.length ? [Buffer.from(joined.subarray(cut))] : [];
      pending = joined.length - cut;
      await submit(joined.subarray(0, cut), false);
    }
    await submit(joinPieces(pieces, pending), true);
    while (inFlight.length > 0) {
      throwIfAborted(signal);
      const next = await inFlight.shift()!;
      deliver(next.parsed, next.chunk);
    }
  } catch (error) {
    if (error instanceof BackendError) throw error;
    throw new BackendError('badResponse', `Could not read "${file}": ${(error as Error).message}`);
  } finally {
    raw.destroy();
  }
}

/** The pieces in one buffer of its own (never a slice of Node's shared pool), so it can be moved to a worker. */
function joinPieces(pieces: Buffer[], length: number): Buffer {
  const joined = Buffer.allocUnsafeSlow(length);
  let offset = 0;
  for (const piece of pieces) offset += piece.copy(joined, offset);
  return joined;
}

/** Reads a file (gunzipping it when it starts with the gzip magic bytes) and calls back per non-blank line. */
async function forEachLine(file: string, signal: AbortSignal | undefined, onLine: (line: string, lineNumber: number) => void): Promise<void> {
  throwIfAborted(signal);
  const { raw, stream } = await openData(file);
  stream.setEncoding('utf8');
  let rest = '';
  let lineNumber = 0;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      throwIfAborted(signal);
      let start = 0;
      let newline = chunk.indexOf('\n');
      if (newline >= 0 && rest.length > 0) {
        lineNumber++;
        handleLine(rest + chunk.slice(0, newline), lineNumber, onLine);
        rest = '';
        start = newline + 1;
        newline = chunk.indexOf('\n', start);
      }
      while (newline >= 0) {
        lineNumber++;
        handleLine(chunk.slice(start, newline), lineNumber, onLine);
        start = newline + 1;
        newline = chunk.indexOf('\n', start);
      }
      rest += chunk.slice(start);
    }
  } catch (error) {
    if (error instanceof BackendError) throw error;
    throw new BackendError('badResponse', `Could not read "${file}": ${(error as Error).message}`);
  } finally {
    raw.destroy();
  }
  if (rest.length > 0) handleLine(rest, lineNumber + 1, onLine);
}

function handleLine(line: string, lineNumber: number, onLine: (line: string, lineNumber: number) => void): void {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (text.trim() === '') return;
  onLine(text, lineNumber);
}

async function startsWithGzipMagic(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new BackendError('cancelled', 'The query was cancelled.');
}

function parseProfileLine(line: string): LocalProfile | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const record = value as { $distinct_id?: unknown; $properties?: unknown };
  if (typeof record.$distinct_id !== 'string' && typeof record.$distinct_id !== 'number') return 'no "$distinct_id"';
  const properties = record.$properties;
  if (properties !== undefined && (typeof properties !== 'object' || properties === null || Array.isArray(properties))) return '"$properties" is not an object';
  return { distinctId: String(record.$distinct_id), properties: (properties ?? {}) as Record<string, unknown> };
}

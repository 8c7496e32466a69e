/**
 * Loads a local source: Mixpanel raw-export NDJSON (plain or gzip, one file or a folder of them)
 * into memory, de-duplicated and sorted by time. Files are streamed in line-aligned chunks of a few
 * MB; large sources are parsed in worker threads (parsePool.ts). What a loaded dataset holds is
 * columns (time, user and name numbers per row, plus the properties the query being loaded for
 * reads, picked out by the parser) and the decompressed text of the lines, from which anything else
 * is parsed on first read. Event objects (`dataset.events`) are only built when something asks for
 * them. A source of a few MB or more is also kept in the persistent dataset cache (datasetCache.ts)
 * once loaded, and the next process reads it from there. Kept free of heavy imports: the JQL worker
 * bundles it too.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import type { Readable, Writable } from 'node:stream';
import { BackendError } from '../../backendErrors';
import type { LoadedColumn, LoadedRows, LocalDataset, LocalEvent, LocalProfile, SkippedLine } from './localEvent';
import {
  insertIdsOfLikelyDuplicates,
  MAX_NESTING_DEPTH,
  nestingDepthExceeds,
  parseEventChunk,
  TOO_LONG_MARKER,
  type ExtractedColumn,
  type ExtractRequest,
  type ParsedChunk,
} from './parseEventChunk';
import { defaultParseWorkers, ParsePool, type ParsedChunkOf } from './parsePool';
import { decompressionCapOf, formatBytes, localLimitsFromEnv, type LocalLimits } from './localLimits';
import { addToTimeProfile, emptyTimeProfile, sortByTime, type SortedRows } from './sortByTime';
import {
  CacheEntryWriter,
  WRITE_BACKLOG_BYTES,
  datasetCacheSettingsFromEnv,
  finishDatasetCacheInBackground,
  readDatasetCache,
  writeDatasetCacheInBackground,
  type CachedRows,
  type CacheIdentity,
  type DatasetCacheSettings,
} from './datasetCache';

export interface LoadOptions {
  signal?: AbortSignal;
  /** Accepted for callers that pass a source's options through; event times stay UTC epoch ms. */
  timezone?: string;
  /** Worker threads that parse events; default: one per core but one (at least 1, at most 4) for sources of 4 MB or more on disk, else none. */
  parseWorkers?: number;
  /**
   * Properties to read out of the lines while they are parsed (the ones the query about to run
   * reads): their columns then cost nothing to build. Only for a load that reads the files; a
   * cached dataset is returned as it is, and other properties are parsed from the lines on first use.
   */
  extract?: ExtractRequest;
  /** Line length and decompression caps; default: from the environment (localLimitsFromEnv). */
  limits?: Pick<LocalLimits, 'maxLineBytes' | 'maxDecompressedBytes'>;
  /**
   * The persistent dataset cache (datasetCache.ts): read from when it holds the source as it is
   * now, written after a load from the files; false: neither. Default: datasetCacheSettingsFromEnv.
   */
  persistentCache?: DatasetCacheSettings | false;
}

type ReadLimits = NonNullable<LoadOptions['limits']>;

/** Files of a folder source that hold events or profiles. */
const DATA_FILE = /\.(ndjson|jsonl|json)(\.gz)?$/i;
const PEOPLE_FILE = /\.people\.(ndjson|jsonl|json)(\.gz)?$/i;
/** The manifest `aq pull` keeps beside the day files: JSON, but no events. */
export const PULL_MANIFEST_FILE = 'aq-pull.json';

/** Sources at least this large (on disk) are parsed in worker threads. */
const PARALLEL_PARSE_BYTES = 4 << 20;
/** Decompressed bytes per parse chunk: big enough to amortise a message, small enough to keep every worker busy. */
const CHUNK_BYTES = 2 << 20;
/** The largest piece a file's stream delivers (read or gunzipped): a chunk is usually at most this past CHUNK_BYTES. */
const PIECE_BYTES = 1 << 20;

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
  const dataset = loadDataset(path, files, options);
  cache.set(path, { fingerprint, dataset });
  while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  // A failed or cancelled load must not be served to the next caller.
  dataset.catch(() => {
    if (cache.get(path)?.dataset === dataset) cache.delete(path);
  });
  return dataset;
}

/** What the persistent cache keys and checks an entry of `path` by, read with `limits` (default: from the environment). */
export async function cacheIdentityOf(path: string, limits: ReadLimits = localLimitsFromEnv()): Promise<CacheIdentity> {
  return identityOf(path, await listSourceFiles(path), limits);
}

async function identityOf(path: string, files: SourceFiles, limits: ReadLimits): Promise<CacheIdentity> {
  const all = [...files.events, ...files.people];
  const infos = await Promise.all(all.map((file) => stat(file)));
  return {
    path: resolve(path),
    files: all.map((file, i) => ({ file: resolve(file), size: infos[i].size, mtimeMs: infos[i].mtimeMs })),
    limits: { maxLineBytes: limits.maxLineBytes, maxDecompressedBytes: limits.maxDecompressedBytes ?? null },
  };
}

/** From the persistent cache when it holds the source as it is now, else from the files (and then cached). */
async function loadDataset(path: string, files: SourceFiles, options: LoadOptions): Promise<LocalDataset> {
  const limits = options.limits ?? localLimitsFromEnv();
  const settings = options.persistentCache ?? datasetCacheSettingsFromEnv();
  const identity = await identityOf(path, files, limits);
  const cacheable = settings !== false && settings !== undefined && identity.files.reduce((sum, file) => sum + file.size, 0) >= settings.minSourceBytes;
  if (cacheable) {
    const cached = await readDatasetCache(settings, identity);
    throwIfAborted(options.signal);
    if (cached) {
      const dataset = datasetOf(cached, { skipped: cached.skipped, duplicates: cached.duplicates, files: [...files.events, ...files.people] }, () =>
        cached.profileRecords.map(profileOf),
      );
      // A copy rather than a spread, which would read the arrays read only when first used.
      const entryRows: CachedRows = copyOf(cached, Object.keys(cached) as Array<keyof CachedRows>);
      Object.defineProperty(entryRows, 'profileRecords', { value: [], enumerable: true, writable: true, configurable: true });
      cacheEntries.set(loadedRows.get(dataset)!, { settings, identity, rows: entryRows, writing: undefined, again: false });
      return dataset;
    }
  }
  // The entry is written while the source loads: its line text goes straight to the file (see
  // readDataset). An entry that would not fit the folder's bound is not started: the text stays in memory.
  const onDisk = identity.files.slice(0, files.events.length).map((file) => file.size);
  const sizes: EventFileSizes = { onDisk, decompressed: await decompressedSizeOf(files.events, onDisk, limits) };
  const fits = cacheable && settings && ENTRY_OVERHEAD * sizes.decompressed <= settings.maxBytes;
  const writer = fits ? await CacheEntryWriter.create(settings, identity).catch(() => undefined) : undefined;
  let read: Awaited<ReturnType<typeof readDataset>>;
  try {
    read = await readDataset(files, sizes, options.signal, options.parseWorkers, options.extract, limits, writer);
  } catch (error) {
    writer?.abandon();
    // The cache folder could not take the text (a full disk): load again, keeping it in memory.
    if (error instanceof LineTextNotWritten) return (await readDataset(files, sizes, options.signal, options.parseWorkers, options.extract, limits)).dataset;
    throw error;
  }
  const { dataset, rows, profileLines } = read;
  if (writer && settings) {
    const entry: CacheEntryOf = { settings, identity, rows: entryRowsOf(rows, dataset, profileLines), writing: undefined, again: false };
    const loaded = loadedRows.get(dataset)!;
    cacheEntries.set(loaded, entry);
    // The rest of the entry, after the answer (the caller does not wait for it).
    startWrite(loaded, entry, () => finishDatasetCacheInBackground(writer, entry.rows, rows.lines));
  }
  return dataset;
}

/**
 * What the cache entry of a first load holds. Made outside `loadDataset`: its getter, which lives
 * as long as the dataset, would keep that call's whole scope alive, the entry's writer (and its
 * 1 MB staging buffer) included.
 */
function entryRowsOf(rows: LoadedRows, { skipped, duplicates }: LocalDataset, profileLines: string[]): CachedRows {
  return {
    ...rows,
    skipped,
    duplicates,
    profileRecords: [],
    // Joined only when the entry is written, after the answer: the lines are kept for the profiles anyway.
    get profilesJson() {
      return `[${profileLines.join(',')}]`;
    },
  };
}

/** The line text of a load could not be written to the cache entry that was to hold it. */
class LineTextNotWritten extends Error {}

/** An entry's size for each byte of event text: the per-row arrays, the rows grouped by name and the columns come on top of the text (about a quarter in the sample). */
const ENTRY_OVERHEAD = 1.25;

/** Where a loaded dataset's cache entry is and what it holds, so columns read later can be added to it. */
interface CacheEntryOf {
  settings: DatasetCacheSettings;
  identity: CacheIdentity;
  /** The entry's content; its `columns` is the dataset's own map, so it grows with it. */
  rows: CachedRows;
  /** The write in progress, if any, and whether columns were added since it started. */
  writing: Promise<void> | undefined;
  again: boolean;
}

const cacheEntries = new WeakMap<LoadedRows, CacheEntryOf>();

/**
 * (Re)writes the cache entry of loaded rows in the background: after a load from the export, and
 * whenever properties are read into new columns later, so the next process has them too. One
 * write at a time per dataset; columns added during a write cause one more after it.
 */
function writeEntryOf(rows: LoadedRows, entry: CacheEntryOf): void {
  if (entry.writing) {
    entry.again = true;
    return;
  }
  startWrite(rows, entry, () => writeDatasetCacheInBackground(entry.settings, entry.identity, entry.rows));
}

function startWrite(rows: LoadedRows, entry: CacheEntryOf, write: () => Promise<void>): void {
  entry.writing = write().then(() => {
    entry.writing = undefined;
    if (entry.again) {
      entry.again = false;
      writeEntryOf(rows, entry);
    }
  });
}

/**
 * A dataset over loaded rows, whose event objects are built on first use of `dataset.events`,
 * and whose profiles (`makeProfiles`) on first use of `dataset.profiles`: most queries read
 * neither (a `user[…]` property or JQL does), and a profile object takes several times the memory
 * of its line.
 */
function datasetOf(rows: LoadedRows, rest: Omit<LocalDataset, 'events' | 'profiles'>, makeProfiles: () => LocalProfile[]): LocalDataset {
  const dataset = { ...rest } as unknown as LocalDataset;
  // Event objects cost more to build than a whole query over columns: only on first use.
  Object.defineProperty(dataset, 'events', { enumerable: true, configurable: true, get: () => materialize(dataset, rows) });
  let profiles: LocalProfile[] | undefined;
  Object.defineProperty(dataset, 'profiles', {
    enumerable: true,
    configurable: true,
    get: () => (profiles ??= makeProfiles()),
    set: (value: LocalProfile[]) => (profiles = value),
  });
  loadedRows.set(
    dataset,
    copyOf(rows, [
      'times',
      'users',
      'userIds',
      'names',
      'nameIds',
      'fileRows',
      'nameOrder',
      'nameStarts',
      'userCount',
      'span',
      'nameGroups',
      'lines',
      'columns',
    ]),
  );
  return dataset;
}

/**
 * The fields `keys` of `object`, getters kept as getters: a dataset from the cache reads some of
 * its arrays only when first used, and copying must not read them.
 */
function copyOf<T extends object, K extends keyof T>(object: T, keys: K[]): Pick<T, K> {
  const copy = {} as Pick<T, K>;
  for (const key of keys) {
    const descriptor = Object.getOwnPropertyDescriptor(object, key);
    if (descriptor) Object.defineProperty(copy, key, descriptor);
  }
  return copy;
}

/** Forgets the dataset of `path` kept in memory, so the next load reads it again. */
export function forgetLocalDataset(path: string): void {
  cache.delete(path);
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
    throw new BackendError(
      'config',
      `The local data "${path}" does not exist. Point the source's "path" at a Mixpanel export (.ndjson, .json or .gz) or a folder of them.`,
    );
  }
  if (info.isDirectory()) {
    const all = (await walk(path)).filter((file) => DATA_FILE.test(file) && basename(file) !== PULL_MANIFEST_FILE).sort();
    return { events: all.filter((file) => !PEOPLE_FILE.test(file)), people: all.filter((file) => PEOPLE_FILE.test(file)) };
  }
  if (PEOPLE_FILE.test(path)) return { events: [], people: [path] };
  const stem = basename(path)
    .replace(/\.gz$/i, '')
    .replace(/\.(ndjson|jsonl|json)$/i, '');
  const people: string[] = [];
  for (const candidate of [`${stem}.people.ndjson`, `${stem}.people.ndjson.gz`]) {
    const sibling = join(dirname(path), candidate);
    if (
      await stat(sibling).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      people.push(sibling);
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
  const parts = await Promise.all(
    files.map(async (file) => {
      const info = await stat(file);
      return `${file}:${info.mtimeMs}:${info.size}`;
    }),
  );
  return parts.join('|');
}

// The per-row arrays are declared beside the dataset types, so the dataset cache can share them.
export type { LoadedColumn, LoadedRows } from './localEvent';

const loadedRows = new WeakMap<LocalDataset, LoadedRows>();
const materialized = new WeakMap<LocalDataset, LocalEvent[]>();

/** The per-row arrays of a dataset read by `loadLocalDataset`; undefined for one built by hand. */
export function loadedRowsOf(dataset: LocalDataset): LoadedRows | undefined {
  return loadedRows.get(dataset);
}

/**
 * The event objects of a dataset if they exist already: always for a dataset built by hand; for a
 * loaded one only once something read `dataset.events` (queries over columns never need them).
 */
export function eventsIfBuilt(dataset: LocalDataset): LocalEvent[] | undefined {
  return loadedRows.has(dataset) ? materialized.get(dataset) : dataset.events;
}

/** How many events a dataset holds, without building its event objects. */
export function eventCountOf(dataset: LocalDataset): number {
  const rows = loadedRows.get(dataset);
  return rows ? (rows.span?.count ?? rows.times.length) : dataset.events.length;
}

/** The time of one event (rows in time order), without building its event objects. */
export function eventTimeOf(dataset: LocalDataset, row: number): number {
  const rows = loadedRows.get(dataset);
  if (!rows) return dataset.events[row].time;
  // The first and last time are in the cache entry's footer: the whole column is not read for them.
  if (rows.span && row === 0) return rows.span.first;
  if (rows.span && row === rows.span.count - 1) return rows.span.last;
  return rows.times[row];
}

/**
 * An event whose properties stay as raw JSON text until first read (JQL, a derived schema, a
 * property no column holds): only the events such a reader visits get a properties object.
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
    this.parsed ??= propertiesOfLine(this.chunk, this.start, this.end);
    return this.parsed;
  }

  set properties(value: Record<string, unknown>) {
    this.parsed = value;
  }

  get insertId(): string | undefined {
    return insertIdOf(this.properties);
  }
}

/**
 * Reads properties the load was not asked for out of every kept line, with the same parser (on
 * this thread), and adds them to `rows.columns`: one pass over the text, however many properties,
 * and no property objects. Lines of one piece of text are parsed together; their events come out
 * in file order, as they did when loaded (a piece whose events do not line up is left out, and its
 * rows are read from their lines one by one).
 */
export function readColumnsFromLines(rows: LoadedRows, names: string[]): void {
  const missing = [...new Set(names)].filter((name) => !rows.columns.has(name));
  if (missing.length === 0) return;
  const { buffers, bufferIds, starts, ends } = rows.lines;
  const count = bufferIds.length;
  const columns = missing.map((): LoadedColumn => ({ kinds: new Uint8Array(count).fill(7), values: new Int32Array(count), texts: [] }));
  const textNumbers = missing.map(() => new Map<string, number>());
  let first = 0;
  while (first < count) {
    const bufferId = bufferIds[first];
    let last = first + 1;
    while (last < count && bufferIds[last] === bufferId) last++;
    const from = starts[first];
    const parsed = parseEventChunk(buffers[bufferId].subarray(from, ends[last - 1]), true, { properties: missing });
    if (parsed.times.length === last - first && parsed.starts[0] === 0) {
      parsed.columns.forEach((column, j) => copyColumn(column, columns[j], first, textNumbers[j], columns[j].texts));
    }
    first = last;
  }
  missing.forEach((name, j) => rows.columns.set(name, columns[j]));
  const entry = cacheEntries.get(rows);
  if (entry) writeEntryOf(rows, entry);
}

/** The properties of one loaded row, parsed from its line (not kept). */
export function propertiesOfRow(rows: LoadedRows, row: number): Record<string, unknown> {
  const { buffers, bufferIds, starts, ends } = rows.lines;
  const line = rows.fileRows[row];
  return propertiesOfLine(buffers[bufferIds[line]], starts[line], ends[line]);
}

function propertiesOfLine(chunk: Buffer, start: number, end: number): Record<string, unknown> {
  return (JSON.parse(chunk.toString('utf8', start, end)) as { properties: Record<string, unknown> }).properties;
}

/** The rule `insertIdsOfLikelyDuplicates` follows in the parse workers too. */
function insertIdOf(properties: Record<string, unknown>): string | undefined {
  const insert = properties.$insert_id;
  if (insert === undefined || insert === null || insert === '') return undefined;
  try {
    return String(insert);
  } catch {
    // An object String() cannot convert (`{"toString": {}}`) is named by its kind, as a user is.
    return Object.prototype.toString.call(insert);
  }
}

/** The event objects of a loaded dataset, built on first use of `dataset.events`. */
function materialize(dataset: LocalDataset, rows: LoadedRows): LocalEvent[] {
  let events = materialized.get(dataset);
  if (!events) {
    const { times, users, userIds, nameIds, names, fileRows } = rows;
    const { buffers, bufferIds, starts, ends } = rows.lines;
    events = new Array<LocalEvent>(times.length);
    for (let row = 0; row < times.length; row++) {
      const line = fileRows[row];
      events[row] = new LazyEvent(names[nameIds[row]], userIds[users[row]], times[row], buffers[bufferIds[line]], starts[line], ends[line]);
    }
    materialized.set(dataset, events);
  }
  return events;
}

/** Where the lines of one parsed chunk are kept: the text buffer each lies in, and its byte range there. */
interface LocatedLines {
  bufferIds: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
}

/**
 * Collects parsed chunks in file order into one set of arrays (`rows`), numbering users, names
 * and texts dataset-wide as each chunk arrives (the loading thread mostly waits for the parse
 * workers meanwhile). The arrays are sized once, from the source's decompressed size and the
 * first chunk's bytes per event, with a little to spare: neither a copy of every chunk's arrays
 * nor arrays grown by doubling (each up to twice the memory) at the peak of the load.
 */
class ChunkCollector {
  /** The text the lines are kept in (pieces of the decompressed files), shared by every file; unused when lines go to a cache entry. */
  readonly buffers: Buffer[] = [];
  readonly userIds: string[] = [];
  readonly names: string[] = [];
  /** Per requested property, the texts its values refer to. */
  readonly texts: string[][] = [];
  /** What the sort needs to know of the times collected, gathered chunk by chunk. */
  readonly timeProfile = emptyTimeProfile();
  /** By file row, the insert ids read with their chunk (see `insertIdsOfLikelyDuplicates`): de-duplication starts from these. */
  readonly insertIds = new Map<number, string | undefined>();
  count = 0;
  private rows: FileRows;
  private readonly userNumbers = new Map<string, number>();
  private readonly nameNumbers = new Map<string, number>();
  private readonly textNumbers: Array<Map<string, number>> = [];
  private sized = false;

  constructor(
    readonly columnCount: number,
    /** The source's events' text, decompressed (an estimate): what the arrays are sized by. */
    private readonly expectedBytes: number,
  ) {
    for (let j = 0; j < columnCount; j++) {
      this.texts.push([]);
      this.textNumbers.push(new Map());
    }
    this.rows = fileRowsWith(0, columnCount);
  }

  /** Adds the events of one parsed chunk, whose lines are at `lines`. */
  addChunk(parsed: ParsedChunk, lines: LocatedLines): void {
    const count = parsed.times.length;
    if (count === 0) return;
    if (!this.sized) {
      this.sized = true;
      const bytesPerEvent = (parsed.ends[count - 1] + 1) / count;
      this.grow(Math.ceil((1.03 * this.expectedBytes) / bytesPerEvent) + count);
    }
    if (this.count + count > this.rows.times.length) this.grow(Math.ceil(1.5 * (this.count + count)));
    const userMap = numbersOf(this.userNumbers, this.userIds, parsed.users);
    const nameMap = numbersOf(this.nameNumbers, this.names, parsed.names);
    const { rows } = this;
    const first = this.count;
    rows.times.set(parsed.times, first);
    addToTimeProfile(this.timeProfile, parsed.times);
    rows.bufferIds.set(lines.bufferIds, first);
    rows.starts.set(lines.starts, first);
    rows.ends.set(lines.ends, first);
    const { userIndexes, nameIndexes } = parsed;
    for (let i = 0; i < count; i++) {
      rows.users[first + i] = userMap[userIndexes[i]];
      rows.nameIds[first + i] = nameMap[nameIndexes[i]];
    }
    parsed.columns.forEach((column, j) => copyColumn(column, rows.columns[j], first, this.textNumbers[j], this.texts[j]));
    const known = parsed.likelyDuplicates;
    if (known) for (let k = 0; k < known.rows.length; k++) this.insertIds.set(first + known.rows[k], known.ids[k] ?? undefined);
    this.count += count;
  }

  /** The events collected, in file order. */
  fileRows(): FileRows {
    const { rows, count } = this;
    return {
      times: rows.times.subarray(0, count),
      users: rows.users.subarray(0, count),
      nameIds: rows.nameIds.subarray(0, count),
      bufferIds: rows.bufferIds.subarray(0, count),
      starts: rows.starts.subarray(0, count),
      ends: rows.ends.subarray(0, count),
      columns: rows.columns.map(({ kinds, values }) => ({ kinds: kinds.subarray(0, count), values: values.subarray(0, count) })),
    };
  }

  private grow(capacity: number): void {
    const grown = fileRowsWith(capacity, this.columnCount);
    const { rows, count } = this;
    grown.times.set(rows.times.subarray(0, count));
    grown.users.set(rows.users.subarray(0, count));
    grown.nameIds.set(rows.nameIds.subarray(0, count));
    grown.bufferIds.set(rows.bufferIds.subarray(0, count));
    grown.starts.set(rows.starts.subarray(0, count));
    grown.ends.set(rows.ends.subarray(0, count));
    rows.columns.forEach((column, j) => {
      grown.columns[j].kinds.set(column.kinds.subarray(0, count));
      if (column.values instanceof Float64Array) grown.columns[j].values = new Float64Array(capacity);
      grown.columns[j].values.set(column.values.subarray(0, count));
    });
    this.rows = grown;
  }
}

function fileRowsWith(capacity: number, columnCount: number): FileRows {
  const rows: FileRows = {
    times: new Float64Array(capacity),
    users: new Int32Array(capacity),
    nameIds: new Int32Array(capacity),
    bufferIds: new Int32Array(capacity),
    starts: new Int32Array(capacity),
    ends: new Int32Array(capacity),
    columns: [],
  };
  for (let j = 0; j < columnCount; j++) rows.columns.push({ kinds: new Uint8Array(capacity), values: new Int32Array(capacity) });
  return rows;
}

/** The dataset-wide numbers of `keys`, numbering new ones in `list`. */
function numbersOf(numbers: Map<string, number>, list: string[], keys: string[]): Int32Array {
  const mapped = new Int32Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    let number = numbers.get(key);
    if (number === undefined) {
      number = list.length;
      list.push(key);
      numbers.set(key, number);
    }
    mapped[i] = number;
  }
  return mapped;
}

/**
 * Copies a parsed chunk's column into `target` from row `first`: kinds and values as they are,
 * then each text's value (the chunk's number of the text, a small whole number) renumbered into
 * the dataset's `texts`, numbered in `numbers`.
 */
function copyColumn(
  column: ExtractedColumn,
  target: { kinds: Uint8Array; values: Float64Array | Int32Array },
  first: number,
  numbers: Map<string, number>,
  texts: string[],
): void {
  const { kinds, values } = column;
  if (target.values instanceof Int32Array && !wholeNumbersOf32Bits(column)) {
    const wider = new Float64Array(target.values.length);
    wider.set(target.values.subarray(0, first));
    target.values = wider;
  }
  target.kinds.set(kinds, first);
  target.values.set(values, first);
  if (column.texts.length === 0) return;
  const renumbered = numbersOf(numbers, texts, column.texts);
  const targetValues = target.values;
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i];
    if (kind === 2 || kind === 6) targetValues[first + i] = renumbered[values[i] | 0];
  }
}

/** Every number of `column` is a 32-bit whole number (not -0), so an Int32Array holds it exactly. */
function wholeNumbersOf32Bits({ kinds, values }: ExtractedColumn): boolean {
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] !== 1) continue;
    const value = values[i];
    if ((value | 0) !== value || (value === 0 && 1 / value < 0)) return false;
  }
  return true;
}

/** The events of every chunk in file order (what `LoadedRows` holds in time order). */
interface FileRows {
  times: Float64Array;
  users: Int32Array;
  nameIds: Int32Array;
  bufferIds: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
  columns: Array<{ kinds: Uint8Array; values: Float64Array | Int32Array }>;
}

/** The sizes of a source's event files, measured once per load. */
interface EventFileSizes {
  /** Each event file's size on disk, in `files.events` order. */
  onDisk: number[];
  /** About how many bytes they hold decompressed (`decompressedSizeOf`). */
  decompressed: number;
}

async function readDataset(
  files: SourceFiles,
  sizes: EventFileSizes,
  signal: AbortSignal | undefined,
  parseWorkers: number | undefined,
  extract: ExtractRequest | undefined,
  limits: ReadLimits,
  writer?: CacheEntryWriter,
): Promise<{ dataset: LocalDataset; rows: LoadedRows; profileLines: string[] }> {
  const request = extract && extract.properties.length > 0 ? { properties: [...new Set(extract.properties)], events: extract.events } : undefined;
  const skipped: SkippedLine[] = [];
  const total = sizes.onDisk.reduce((sum, size) => sum + size, 0);
  const collector = new ChunkCollector(request?.properties.length ?? 0, sizes.decompressed);
  // Starting workers costs tens of milliseconds: small sources parse faster on this thread.
  const workers = parseWorkers ?? (total >= PARALLEL_PARSE_BYTES ? defaultParseWorkers() : 0);
  const pool = workers > 0 ? new ParsePool(workers) : undefined;
  // With an entry being written, each chunk's lines go to its file as soon as they are parsed, and
  // the dataset reads them back from there on first use (as one read from the cache later does):
  // the text, most of a source, is never all in memory. Without, the text is kept in memory.
  const keepLines: LineKeeper = writer
    ? { holdsPieces: false, keep: (parsed, work, _pieces, release) => writer.appendLines(work, parsed.starts, parsed.ends, release, parsed.linesBackToBack) }
    : {
        holdsPieces: true,
        keep: (parsed, work, pieces, release) => {
          const located = locateLines(parsed, work, pieces, collector.buffers);
          release();
          return located;
        },
      };
  const readEvents = async (): Promise<void> => {
    try {
      for (const file of files.events) {
        await forEachChunk(
          file,
          signal,
          pool,
          request,
          limits,
          keepLines,
          (parsed, lines, firstLine) => {
            parsed.skippedLines.forEach((line, i) => skipped.push({ file, line: firstLine + line, reason: parsed.skippedReasons[i] }));
            collector.addChunk(parsed, lines);
            // The chunk's arrays are now copied into the collector's: 36 bytes per event and 9 more
            // per stored column, which this thread would hold until its next collection (see ParsePool.discard).
            pool?.discard(arrayBuffersOf(parsed, lines));
          },
          writer && (() => writer.backlogBelow(WRITE_BACKLOG_BYTES)),
        );
      }
    } finally {
      pool?.close();
    }
  };
  // Profiles are read meanwhile: this thread mostly waits for the parse workers.
  const profilesRead = readProfiles(files.people, signal, limits);
  // Settled either way, so a failed event read does not leave this rejection unhandled.
  profilesRead.catch(() => undefined);
  await readEvents();
  const { skipped: skippedProfiles, lines: profileLines } = await profilesRead;

  if (writer) {
    try {
      await writer.endText();
    } catch (error) {
      throw new LineTextNotWritten((error as Error).message);
    }
  }

  const fileRows = collector.fileRows();
  const ranges = { bufferIds: fileRows.bufferIds, starts: fileRows.starts, ends: fileRows.ends };
  const lines = writer ? await writer.linesOf(ranges) : { buffers: collector.buffers, ...ranges };
  const lineText = writer
    ? (line: number): Buffer => writer.readLine(ranges.bufferIds[line], ranges.starts[line], ranges.ends[line])
    : (line: number): Buffer => collector.buffers[ranges.bufferIds[line]].subarray(ranges.starts[line], ranges.ends[line]);
  const sorted = sortByTime(fileRows, collector.timeProfile);
  const { kept, duplicates } = dropDuplicates(sorted, lineText, collector.insertIds);
  const count = kept.length;
  const rows: LoadedRows = {
    times: sorted.times,
    users: sorted.users,
    userIds: collector.userIds,
    names: collector.names,
    nameIds: sorted.nameIds,
    fileRows: sorted.order,
    lines,
    columns: new Map(),
  };
  if (duplicates > 0) {
    // Only the kept positions, still in time order, moved forward in place (a kept position is
    // never before its row): no second set of arrays.
    for (let row = 0; row < count; row++) {
      const position = kept[row];
      sorted.times[row] = sorted.times[position];
      sorted.users[row] = sorted.users[position];
      sorted.nameIds[row] = sorted.nameIds[position];
      sorted.order[row] = sorted.order[position];
    }
    rows.times = sorted.times.subarray(0, count);
    rows.users = sorted.users.subarray(0, count);
    rows.nameIds = sorted.nameIds.subarray(0, count);
    rows.fileRows = sorted.order.subarray(0, count);
  }
  request?.properties.forEach((name, j) => rows.columns.set(name, { ...fileRows.columns[j], texts: collector.texts[j] }));

  // The profile lines were checked as they were read; kept as text until a profile is asked for.
  const dataset = datasetOf(
    rows,
    { skipped: [...skipped, ...skippedProfiles], duplicates, files: [...files.events, ...files.people] },
    profileMakerOf(profileLines),
  );
  return { dataset, rows, profileLines };
}

/**
 * The memory of a parsed chunk's arrays and of its lines' positions. Each array has a buffer of its
 * own, which it may not fill (a parser's column is returned with its unused room).
 */
function arrayBuffersOf(parsed: ParsedChunk, lines: LocatedLines): ArrayBuffer[] {
  const arrays: ArrayBufferView[] = [
    parsed.times,
    parsed.nameIndexes,
    parsed.userIndexes,
    parsed.starts,
    parsed.ends,
    lines.bufferIds,
    lines.starts,
    lines.ends,
  ];
  for (const column of parsed.columns) arrays.push(column.kinds, column.values);
  return [...new Set(arrays.map((array) => array.buffer as ArrayBuffer))];
}

/**
 * Makes the profiles of checked profile lines when first asked. Made outside `readDataset`: a
 * function made there would keep that call's whole scope alive with the dataset (the collector's
 * file-order arrays and its maps of users and names, 8 MB and more at 1M events).
 */
function profileMakerOf(lines: string[]): () => LocalProfile[] {
  return () => lines.map((line) => profileOf(JSON.parse(line)));
}

/** The text of the people files' good profile lines, and their malformed lines. */
async function readProfiles(people: string[], signal: AbortSignal | undefined, limits: ReadLimits): Promise<{ skipped: SkippedLine[]; lines: string[] }> {
  const read = { skipped: [] as SkippedLine[], lines: [] as string[] };
  for (const file of people) {
    await forEachLine(
      file,
      signal,
      limits,
      (line, lineNumber) => {
        const problem = profileLineProblem(line);
        if (problem === undefined) read.lines.push(line);
        else read.skipped.push({ file, line: lineNumber, reason: problem });
      },
      (lineNumber, reason) => read.skipped.push({ file, line: lineNumber, reason }),
    );
  }
  return read;
}

/** Runs of equal time at most this long are de-duplicated by pairwise comparison, longer ones by a set. */
const SMALL_RUN = 16;

/**
 * Drops later copies of an event (same $insert_id, name, distinct_id and time) from the time
 * order: the positions in `sorted` that stay. Duplicates share their time, so after the stable
 * sort they sit in the same run of equal times: no hashing of every event is needed, and the first
 * copy in file order is the one kept. Insert ids are read from the lines, and only for events that
 * share their time, user and name with another (most were read with their chunk already).
 */
function dropDuplicates(
  sorted: SortedRows,
  lineText: (line: number) => Buffer,
  /** By file row: the insert ids known already; those looked up are added. */
  insertIds: Map<number, string | undefined>,
): { kept: Int32Array; duplicates: number } {
  const { order, times, users, nameIds } = sorted;
  const insertIdAt = (position: number): string | undefined => {
    const line = order[position];
    if (insertIds.has(line)) return insertIds.get(line);
    const text = lineText(line);
    const id = insertIdOf(propertiesOfLine(text, 0, text.length));
    insertIds.set(line, id);
    return id;
  };
  // Same user and same name first, from the flat arrays: most equal-time neighbours differ there.
  const isSame = (a: number, b: number): boolean => {
    if (users[a] !== users[b] || nameIds[a] !== nameIds[b]) return false;
    const id = insertIdAt(a);
    return id !== undefined && id === insertIdAt(b);
  };
  const count = order.length;
  const kept = new Int32Array(count);
  let keptCount = 0;
  let start = 0;
  while (start < count) {
    const time = times[start];
    let end = start + 1;
    while (end < count && times[end] === time) end++;
    if (end - start === 1) {
      kept[keptCount++] = start;
    } else if (end - start <= SMALL_RUN) {
      const runStart = keptCount;
      for (let i = start; i < end; i++) {
        let duplicate = false;
        for (let k = runStart; k < keptCount && !duplicate; k++) duplicate = isSame(kept[k], i);
        if (!duplicate) kept[keptCount++] = i;
      }
    } else {
      const seen = new Set<string>();
      for (let i = start; i < end; i++) {
        const id = insertIdAt(i);
        if (id !== undefined) {
          const key = `${id}\u0000${nameIds[i]}\u0000${users[i]}`;
          if (seen.has(key)) continue;
          seen.add(key);
        }
        kept[keptCount++] = i;
      }
    }
    start = end;
  }
  return { kept: kept.subarray(0, keptCount), duplicates: count - keptCount };
}

/**
 * About how many bytes the files hold decompressed: a gzipped file's size as its gzip trailer
 * states it (exact for a file of one gzip member under 4 GB; never more than the decompression
 * limit, so a trailer that lies costs no memory), a plain file's size on disk.
 */
async function decompressedSizeOf(files: string[], sizes: number[], limits: ReadLimits): Promise<number> {
  const expanded = await Promise.all(
    files.map(async (file, i) => {
      if (sizes[i] < 18) return sizes[i];
      const handle = await open(file, 'r');
      try {
        const head = Buffer.alloc(2);
        const tail = Buffer.alloc(4);
        await handle.read(head, 0, 2, 0);
        if (head[0] !== 0x1f || head[1] !== 0x8b) return sizes[i];
        await handle.read(tail, 0, 4, sizes[i] - 4);
        // The trailer holds the size modulo 2^32: a smaller number than the file itself means it wrapped (or several members).
        return Math.min(Math.max(tail.readUInt32LE(0), sizes[i]), decompressionCapOf(limits, sizes[i]));
      } finally {
        await handle.close();
      }
    }),
  );
  return expanded.reduce((sum, size) => sum + size, 0);
}

/**
 * The file's bytes, gunzipped when it starts with the gzip magic bytes. `stop` ends the reading,
 * early or not, and settles once the file is closed.
 */
async function openData(file: string): Promise<{ stop: () => Promise<void>; stream: Readable; gzipped: boolean }> {
  const gzipped = await startsWithGzipMagic(file);
  if (!gzipped) {
    const raw = createReadStream(file, { highWaterMark: PIECE_BYTES });
    const closed = new Promise<void>((resolve) => raw.once('close', resolve));
    return {
      stop: () => {
        raw.destroy();
        return closed;
      },
      stream: raw,
      gzipped,
    };
  }
  // A read-ahead buffer lets gunzip (on the thread pool) run while this thread waits for the
  // parse workers; each MB held here is memory at the load's peak.
  const stream = createGunzip({ chunkSize: PIECE_BYTES, readableHighWaterMark: 2 << 20 } as ZlibOptions);
  let stopped = false;
  const fed = feedCompressed(file, stream, () => stopped).catch((error: Error) => {
    stream.destroy(error);
  });
  return {
    stop: () => {
      stopped = true;
      // Also ends a write gunzip has not consumed yet, which the feeding may be waiting for.
      stream.destroy();
      return fed;
    },
    stream,
    gzipped,
  };
}

/**
 * Writes a gzipped file's bytes to `gunzip` from two buffers used in turn: a buffer is read into
 * again once gunzip has consumed it (its write's callback), which also holds the reading back to
 * gunzip's pace. A read stream makes a new buffer for every read instead, garbage the loading
 * thread held until its next collection, which comes rarely: about one compressed file's size
 * (22 MB at 1M events) of it by the end of a load, the load's peak.
 */
async function feedCompressed(file: string, gunzip: Writable, stopped: () => boolean): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const buffers = [Buffer.allocUnsafeSlow(PIECE_BYTES), Buffer.allocUnsafeSlow(PIECE_BYTES)];
    const consumed: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()];
    for (let turn = 0; ; turn ^= 1) {
      await consumed[turn];
      if (stopped()) return;
      const { bytesRead } = await handle.read(buffers[turn], 0, PIECE_BYTES, null);
      if (stopped()) return;
      if (bytesRead === 0) {
        gunzip.end();
        return;
      }
      consumed[turn] = new Promise<void>((resolve, reject) =>
        gunzip.write(buffers[turn].subarray(0, bytesRead), (error) => (error ? reject(error) : resolve())),
      );
      // The other turn's promise may be the one awaited first: this one must not be reported unhandled meanwhile.
      consumed[turn].catch(() => undefined);
    }
  } finally {
    await handle.close();
  }
}

/**
 * Counts the bytes a gzipped file expands to and stops the read past the cap: a small file that
 * expands to gigabytes (a decompression bomb) fails with a message instead of taking the memory.
 */
async function decompressionGuard(file: string, gzipped: boolean, limits: ReadLimits): Promise<(bytes: number) => void> {
  if (!gzipped) return () => undefined;
  const cap = decompressionCapOf(limits, (await stat(file)).size);
  let total = 0;
  return (bytes) => {
    total += bytes;
    if (total > cap) {
      throw new BackendError(
        'tooLarge',
        `"${file}" expands to more than ${formatBytes(cap)} when decompressed, the limit for this file; if the file is genuine, set AQ_MAX_DECOMPRESSED_MB to a larger number of megabytes`,
      );
    }
  };
}

/** Why a line past the line limit was skipped. */
function tooLongReason(limits: ReadLimits): string {
  return `longer than ${formatBytes(limits.maxLineBytes)} (the line limit; set AQ_MAX_LINE_BYTES to change it)`;
}

/** Pieces read ahead of the parsing before the stream is paused. */
const MAX_QUEUED_PIECES = 4;

/**
 * The stream's pieces one by one, as the stream made them. (A `for await` over the stream joins
 * pieces that wait in its buffer into new buffers: a copy of the whole file on this thread.)
 */
async function* piecesOf(stream: Readable): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const onData = (piece: Buffer): void => {
    queue.push(piece);
    if (queue.length >= MAX_QUEUED_PIECES) stream.pause();
    wake?.();
  };
  const onEnd = (): void => {
    ended = true;
    wake?.();
  };
  const onError = (error: Error): void => {
    failure = error;
    wake?.();
  };
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('close', onEnd);
  stream.on('error', onError);
  try {
    for (;;) {
      const piece = queue.shift();
      if (piece) {
        if (queue.length < MAX_QUEUED_PIECES / 2 && stream.isPaused()) stream.resume();
        yield piece;
        continue;
      }
      if (failure) throw failure;
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('close', onEnd);
    stream.off('error', onError);
  }
}

type ChunkHandler = (parsed: ParsedChunk, lines: LocatedLines, firstLine: number) => void;

/** Where a load keeps the lines of its parsed chunks. */
interface LineKeeper {
  /**
   * Keeps the lines of a parsed chunk (`work`, copied from the stream's `pieces`) and says where
   * each now is; calls `release` once `work` may be reused.
   */
  keep(parsed: ParsedChunk, work: Buffer, pieces: Buffer[], release: () => void): LocatedLines;
  /** Whether `keep` holds on to the stream's pieces; when not, a piece is spent once copied into a work buffer. */
  holdsPieces: boolean;
}

/**
 * Reads a file of events in line-aligned chunks and hands each parsed chunk, in file order, to
 * `onChunk` with the number of lines before it. With a pool, several chunks are parsed at once.
 *
 * `keepLines` keeps each chunk's lines (in memory or in the cache entry being written). Each chunk
 * is parsed in a work buffer that is reused for later chunks.
 */
async function forEachChunk(
  file: string,
  signal: AbortSignal | undefined,
  pool: ParsePool | undefined,
  extract: ExtractRequest | undefined,
  limits: ReadLimits,
  keepLines: LineKeeper,
  onChunk: ChunkHandler,
  /** Waited for before each chunk is parsed: where the lines go may need to catch up. */
  beforeChunk?: () => Promise<void>,
): Promise<void> {
  throwIfAborted(signal);
  const { stop, stream, gzipped } = await openData(file);
  const countDecompressed = await decompressionGuard(file, gzipped, limits);
  // A line past the line limit is not kept: its bytes are dropped as they arrive and a marker line
  // takes its place, which the parser reports as skipped with this reason (so line numbers stay right).
  const tooLongMarker = Buffer.from(`${TOO_LONG_MARKER}${tooLongReason(limits)}\n`);
  const inFlight: Array<{ result: Promise<ParsedChunkOf>; pieces: Buffer[] }> = [];
  // Enough chunks queued that no worker waits for this thread, few enough to bound memory: each is
  // a work buffer of up to 3 MB, and a third per worker took 3-5 MB more at a 1M load's peak, no less time.
  const maxInFlight = pool ? 2 * pool.size : 0;
  const spare: Buffer[] = [];
  let linesBefore = 0;
  const deliver = (parsed: ParsedChunk, work: Buffer, pieces: Buffer[]): void => {
    const lines = keepLines.keep(parsed, work, pieces, () => spare.push(Buffer.from(work.buffer, work.byteOffset, work.buffer.byteLength - work.byteOffset)));
    onChunk(parsed, lines, linesBefore);
    linesBefore += parsed.lineCount;
  };
  const submit = async (pieces: Buffer[], length: number, final: boolean): Promise<void> => {
    await beforeChunk?.();
    // A reused work buffer (pages already touched), or a new one with room to spare.
    const index = spare.findIndex((buffer) => buffer.length >= length);
    const work = (index >= 0 ? spare.splice(index, 1)[0] : Buffer.allocUnsafeSlow(Math.max(length, CHUNK_BYTES + PIECE_BYTES))).subarray(0, length);
    let offset = 0;
    for (const piece of pieces) offset += piece.copy(work, offset);
    if (pool && !keepLines.holdsPieces) pool.discard(spentBuffersOf(pieces));
    if (!pool) {
      const parsed = parseEventChunk(work, final, extract);
      parsed.likelyDuplicates = insertIdsOfLikelyDuplicates(work, parsed);
      deliver(parsed, work, pieces);
      return;
    }
    const result = pool.parse(work, final, extract);
    // Rejections are awaited in order below; this only stops an early one being reported as unhandled.
    result.catch(() => undefined);
    inFlight.push({ result, pieces });
    while (inFlight.length > maxInFlight) {
      const next = inFlight.shift()!;
      const done = await next.result;
      deliver(done.parsed, done.chunk, next.pieces);
    }
  };
  let pieces: Buffer[] = [];
  let pending = 0;
  /** Bytes of the unfinished last line held in `pieces`. */
  let lineLength = 0;
  /** Inside a line past the limit: bytes are dropped up to its newline. */
  let skipping = false;
  const append = (bytes: Buffer): void => {
    if (bytes.length === 0) return;
    pieces.push(bytes);
    pending += bytes.length;
  };
  const dropTail = (count: number): void => {
    while (count > 0) {
      const last = pieces[pieces.length - 1];
      const dropped = Math.min(count, last.length);
      if (dropped === last.length) pieces.pop();
      else pieces[pieces.length - 1] = last.subarray(0, last.length - dropped);
      pending -= dropped;
      count -= dropped;
    }
  };
  const take = (piece: Buffer): void => {
    if (!skipping && lineLength + piece.length <= limits.maxLineBytes) {
      // No line in this piece can pass the limit: the usual case, without a walk over its lines.
      const lastNewline = piece.lastIndexOf(10);
      lineLength = lastNewline < 0 ? lineLength + piece.length : piece.length - lastNewline - 1;
      append(piece);
      return;
    }
    let kept = 0;
    let position = 0;
    for (;;) {
      const newline = piece.indexOf(10, position);
      if (skipping) {
        if (newline < 0) return;
        skipping = false;
        kept = position = newline + 1;
        continue;
      }
      const end = newline < 0 ? piece.length : newline;
      if (lineLength + end - position > limits.maxLineBytes) {
        append(piece.subarray(kept, position));
        dropTail(lineLength);
        lineLength = 0;
        append(tooLongMarker);
        skipping = true;
        continue;
      }
      if (newline < 0) {
        lineLength += end - position;
        append(piece.subarray(kept));
        return;
      }
      lineLength = 0;
      position = newline + 1;
      if (piece.length - position <= limits.maxLineBytes) {
        // What is left is shorter than the limit, so none of its lines can pass it.
        lineLength = piece.length - (piece.lastIndexOf(10) + 1);
        append(piece.subarray(kept));
        return;
      }
    }
  };
  try {
    for await (const piece of piecesOf(stream)) {
      throwIfAborted(signal);
      if (piece.length === 0) continue;
      countDecompressed(piece.length);
      take(piece);
      if (pending < CHUNK_BYTES || pieces.length === 0) continue;
      const last = pieces[pieces.length - 1];
      const cut = last.lastIndexOf(10) + 1;
      if (cut === 0) continue;
      const chunk = pieces;
      pieces = [];
      if (cut < last.length) {
        chunk[chunk.length - 1] = last.subarray(0, cut);
        pieces.push(last.subarray(cut));
      }
      const length = pending - (last.length - cut);
      pending -= length;
      await submit(chunk, length, false);
    }
    await submit(pieces, pending, true);
    while (inFlight.length > 0) {
      throwIfAborted(signal);
      const next = inFlight.shift()!;
      const done = await next.result;
      deliver(done.parsed, done.chunk, next.pieces);
    }
  } catch (error) {
    if (error instanceof BackendError) throw error;
    throw new BackendError('badResponse', `Could not read "${file}": ${(error as Error).message}`);
  } finally {
    // The work buffers are not needed past this file, and are most of what this thread holds at the end of the reading.
    pool?.discard(spare.map((buffer) => buffer.buffer as ArrayBuffer));
    // A stream read through `piecesOf` is not closed by leaving the loop early, as `for await` would.
    await stop();
  }
}

/**
 * The memory of `pieces` (just copied into a work buffer) that nothing else uses: a piece that ends
 * where its buffer ends is the last one the stream made from that buffer (gunzip and the file
 * reader each start a new one once one is full), and the ones before it were copied before it.
 * A buffer from Node's small-buffer pool is shared, so it is never spent.
 */
function spentBuffersOf(pieces: Buffer[]): ArrayBuffer[] {
  const spent: ArrayBuffer[] = [];
  for (const piece of pieces) {
    const { buffer } = piece;
    if (buffer.byteLength > Buffer.poolSize && piece.byteOffset + piece.length === buffer.byteLength) spent.push(buffer as ArrayBuffer);
  }
  return spent;
}

/**
 * Where each event's line of a chunk lies among the pieces the chunk was copied from: a piece is
 * added to `buffers` when a line lies in it, and a line across two pieces is copied out of the
 * work buffer into one of its own. (The text is kept as the stream delivered it: no copy of the
 * file is made on this thread to keep it.)
 */
function locateLines(parsed: ParsedChunk, work: Buffer, pieces: Buffer[], buffers: Buffer[]): LocatedLines {
  const count = parsed.starts.length;
  const lines: LocatedLines = { bufferIds: new Int32Array(count), starts: new Int32Array(count), ends: new Int32Array(count) };
  const ids = new Int32Array(pieces.length).fill(-1);
  let piece = 0;
  let pieceStart = 0;
  for (let i = 0; i < count; i++) {
    const start = parsed.starts[i];
    const end = parsed.ends[i];
    while (pieceStart + pieces[piece].length <= start) pieceStart += pieces[piece++].length;
    if (end <= pieceStart + pieces[piece].length) {
      if (ids[piece] < 0) {
        ids[piece] = buffers.length;
        buffers.push(pieces[piece]);
      }
      lines.bufferIds[i] = ids[piece];
      lines.starts[i] = start - pieceStart;
      lines.ends[i] = end - pieceStart;
    } else {
      lines.bufferIds[i] = buffers.length;
      buffers.push(Buffer.from(work.subarray(start, end)));
      lines.starts[i] = 0;
      lines.ends[i] = end - start;
    }
  }
  return lines;
}

/** Reads a file (gunzipping it when it starts with the gzip magic bytes) and calls back per non-blank line. */
async function forEachLine(
  file: string,
  signal: AbortSignal | undefined,
  limits: ReadLimits,
  onLine: (line: string, lineNumber: number) => void,
  onSkipped: (lineNumber: number, reason: string) => void,
): Promise<void> {
  throwIfAborted(signal);
  const { stop, stream, gzipped } = await openData(file);
  const countDecompressed = await decompressionGuard(file, gzipped, limits);
  stream.setEncoding('utf8');
  let rest = '';
  let lineNumber = 0;
  // Inside a line past the line limit (counted in characters here, at most the bytes): dropped up to its newline.
  let skipping = false;
  const endLine = (text: string): void => {
    lineNumber++;
    if (skipping) onSkipped(lineNumber, tooLongReason(limits));
    else if (text.length > limits.maxLineBytes) onSkipped(lineNumber, tooLongReason(limits));
    else handleLine(text, lineNumber, onLine);
    skipping = false;
  };
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      throwIfAborted(signal);
      countDecompressed(Buffer.byteLength(chunk));
      let start = 0;
      let newline = chunk.indexOf('\n');
      if (newline >= 0 && (rest.length > 0 || skipping)) {
        endLine(rest + chunk.slice(0, newline));
        rest = '';
        start = newline + 1;
        newline = chunk.indexOf('\n', start);
      }
      while (newline >= 0) {
        endLine(chunk.slice(start, newline));
        start = newline + 1;
        newline = chunk.indexOf('\n', start);
      }
      if (!skipping) rest += chunk.slice(start);
      if (rest.length > limits.maxLineBytes) {
        rest = '';
        skipping = true;
      }
    }
  } catch (error) {
    if (error instanceof BackendError) throw error;
    throw new BackendError('badResponse', `Could not read "${file}": ${(error as Error).message}`);
  } finally {
    await stop();
  }
  if (skipping) onSkipped(lineNumber + 1, tooLongReason(limits));
  else if (rest.length > 0) handleLine(rest, lineNumber + 1, onLine);
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

/** Why a people-file line is not a profile, or undefined when it is one. */
function profileLineProblem(line: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  // Each level takes two characters (it opens and closes), so a shorter line cannot nest too deep
  // and needs no walk over its value (a profile is a few hundred characters; the walk cost 1.4 µs each).
  if (line.length > 2 * MAX_NESTING_DEPTH && nestingDepthExceeds(value, MAX_NESTING_DEPTH)) return `nested deeper than ${MAX_NESTING_DEPTH} levels`;
  const record = value as { $distinct_id?: unknown; $properties?: unknown };
  if (typeof record.$distinct_id !== 'string' && typeof record.$distinct_id !== 'number') return 'no "$distinct_id"';
  const properties = record.$properties;
  if (properties !== undefined && (typeof properties !== 'object' || properties === null || Array.isArray(properties))) return '"$properties" is not an object';
  return undefined;
}

/** The profile of a line `profileLineProblem` accepted, parsed again. */
function profileOf(value: unknown): LocalProfile {
  const record = value as { $distinct_id: string | number; $properties?: Record<string, unknown> };
  return { distinctId: String(record.$distinct_id), properties: record.$properties ?? {} };
}

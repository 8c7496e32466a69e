/**
 * The persistent dataset cache: the first load of a large local source writes what the loader
 * built — the per-row arrays (time, user and name numbers in time order), the text of every event's
 * line and the property columns read so far — to one file in `<cache folder>/datasets/`, and the
 * next process reads that file instead of gunzipping and parsing the export again.
 *
 * An entry is keyed by the source's path (and the line limits, which change what a load keeps);
 * it holds the size and modification time of every file it was read from, and is used only while
 * they are all unchanged. A file is written under a temporary name and renamed into place, so a
 * reader (another process loading the same source at the same moment) sees a whole old entry or a
 * whole new one, never half of one. Everything read back is checked — the magic bytes, the format
 * version, every length against the footer and a CRC-32 of the footer and of each section — and
 * an entry that fails a check is ignored (the source is read, and the entry written again): a
 * damaged cache costs time, never a wrong answer. The line text, most of an entry, and where each
 * line is in it are read only when something needs them (properties no stored column holds, JQL,
 * event objects), and so are each row's name number (funnels) and file position (stored columns):
 * a query over times, users, names and stored columns reads less than a tenth of the file. The rows
 * grouped by event name are stored too, so the query index starts without sorting (in a fresh
 * process, memory touched for the first time is what costs most). Sections read later are checked then;
 * if one fails, the entry is deleted and a `DamagedCacheError` thrown, which the local backend
 * answers by loading the export again. The folder is bounded: after a write, entries
 * are deleted least recently used first until the total fits (a read touches its entry).
 *
 * Layout (little-endian): `MAGIC` (8 bytes), format version (u32), 4 zero bytes, the sections one
 * after another, the footer (JSON: the identity, counts and each section's offset, length and
 * CRC-32), the footer's length (u32), its CRC-32 (u32) and `MAGIC` again.
 */
import { randomBytes, createHash } from 'node:crypto';
import { fstatSync, readSync } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { BackendError } from '../../backendErrors';
import { defaultCacheDir } from '../../cacheDir';
import type { GroupColumn, LoadedColumn, LoadedRows, NameGroups, SkippedLine } from './localEvent';
import { nameGroupsOf } from './rowsByName';

/** Where the cache lives and how large it may grow. */
export interface DatasetCacheSettings {
  /** The folder of cache entries. */
  dir: string;
  /** The folder's bound: after a write, least recently used entries are deleted until the total fits. */
  maxBytes: number;
  /** Sources smaller than this on disk load in well under a second from the export and are not cached. */
  minSourceBytes: number;
}

export const DEFAULT_CACHE_MAX_MB = 4096;
/** Below this a source loads from the export about as fast as from the cache. */
export const DEFAULT_CACHE_MIN_SOURCE_BYTES = 4 << 20;

/**
 * The cache settings of this process: `<AQ_CACHE_DIR or ~/.cache/aq>/datasets`, bounded by
 * AQ_LOCAL_CACHE_MB (default 4096); AQ_LOCAL_CACHE_MB=0 turns the cache off.
 */
export function datasetCacheSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): DatasetCacheSettings | undefined {
  const text = env.AQ_LOCAL_CACHE_MB;
  const megabytes = text === undefined || text.trim() === '' ? DEFAULT_CACHE_MAX_MB : Number(text);
  if (!Number.isFinite(megabytes) || megabytes <= 0) return undefined;
  return { dir: join(defaultCacheDir(env), 'datasets'), maxBytes: Math.round(megabytes * (1 << 20)), minSourceBytes: DEFAULT_CACHE_MIN_SOURCE_BYTES };
}

/** What an entry holds: the loader's arrays and what the load reported. */
export interface CachedRows extends LoadedRows {
  /** Malformed lines, of the event files then of the people files. */
  skipped: SkippedLine[];
  duplicates: number;
  /**
   * The profile lines the loader accepted, parsed (read only): one `JSON.parse` of the kept lines
   * joined into an array gives the values parsing each line gave.
   */
  profileRecords: unknown[];
  /** The profiles section as stored (a JSON array of the accepted lines), for writing the entry again. */
  profilesJson: string;
}

/** Which source, read how, an entry was made from: an entry is used only when this is equal. */
export interface CacheIdentity {
  /** The source as given (file or folder), made absolute. */
  path: string;
  /** Every event and people file, with its size and modification time. */
  files: Array<{ file: string; size: number; mtimeMs: number }>;
  /** Limits that change what a load keeps (a line past the line limit is skipped). */
  limits: { maxLineBytes: number; maxDecompressedBytes: number | null };
}

const MAGIC = Buffer.from('AQDSCACH', 'latin1');
/** Raised whenever what a load produces from the same file changes (parser, layout): older entries are then ignored. */
export const CACHE_FORMAT_VERSION = 3;
/** The sections read only with the line text (where each line is in it). */
const LINE_RANGE_SECTIONS = new Set(['lineBuffers', 'lineStarts', 'lineEnds']);
const PREFIX_BYTES = 16;
const TRAILER_BYTES = 16;
/** Line text is kept in sections of at most this size (whole lines), each one buffer once read. */
const TEXT_SECTION_BYTES = 256 << 20;
/** Bytes of an entry waiting to be written before the writer waits for them (a slow disk then holds back the reading, not memory). */
export const WRITE_BACKLOG_BYTES = 4 << 20;
/** The staging buffer sections made for an entry are written through (and the pieces they are made in). */
const STAGED_BYTES = 1 << 20;
/** A temporary file this old was left by a process that stopped while writing it. */
const STALE_TEMP_MS = 60 * 60 * 1000;
const ENTRY_SUFFIX = '.aqds';

interface SectionEntry {
  name: string;
  offset: number;
  length: number;
  crc: number;
  /** Sections of rows grouped by name: the CRC-32 of each name's part, so one name's rows are read and checked alone. */
  groups?: number[];
}

/**
 * How one name's rows of a stored column are kept: `kind` is the kind every row has (-1: they
 * differ, and a section holds a kind per row), `width` the bytes of each value (0: none, every
 * row's kind carries no value; 1 or 2: every value is a text's number, fewer than 256 or 65,536
 * texts; 8: numbers as they are).
 */
interface ColumnGroupForm {
  kind: number;
  width: 0 | 1 | 2 | 8;
}

/** The narrowest form that holds a column's kinds (and the values they have) at rows `at(0)`, …, `at(length - 1)`: one name's rows. */
function formOfRows(kinds: Uint8Array, length: number, at: (i: number) => number, textCount: number): ColumnGroupForm {
  let kind = length > 0 ? kinds[at(0)] : 0;
  let numbers = false;
  let texts = false;
  for (let i = 0; i < length; i++) {
    const rowKind = kinds[at(i)];
    if (rowKind !== kind) kind = -1;
    if (rowKind === 1) numbers = true;
    else if (rowKind === 2 || rowKind === 6) texts = true;
  }
  const width = numbers ? 8 : !texts ? 0 : textCount <= 256 ? 1 : textCount <= 65_536 ? 2 : 8;
  return { kind, width };
}

/** `text` as UTF-8, in pieces of at most about a megabyte (never splitting a character). */
function* textPieces(text: string): Generator<Buffer> {
  const per = STAGED_BYTES / 4;
  for (let start = 0; start < text.length;) {
    let end = Math.min(text.length, start + per);
    // A pair of UTF-16 surrogates is one character: it stays in one piece.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield Buffer.from(text.slice(start, end));
    start = end;
  }
}

/**
 * `value(0)`, …, `value(length - 1)` as `Kind`s, in pieces that are views of `scratch`: each piece
 * is overwritten by the next, so it must be used (copied) before asking for the next one.
 */
function* piecesOf<Kind extends Float64Array | Int32Array | Uint16Array | Uint8Array>(
  kind: { new (buffer: ArrayBuffer, offset: number, length: number): Kind; BYTES_PER_ELEMENT: number },
  scratch: ArrayBuffer,
  length: number,
  value: (i: number) => number,
): Generator<Kind> {
  const per = scratch.byteLength / kind.BYTES_PER_ELEMENT;
  for (let start = 0; start < length; start += per) {
    const piece = new kind(scratch, 0, Math.min(per, length - start));
    for (let i = 0; i < piece.length; i++) piece[i] = value(start + i);
    yield piece;
  }
}

interface Footer {
  identity: CacheIdentity;
  /** Events kept (time order) and lines read (file order, duplicates included). */
  count: number;
  /** Distinct users with events (the length of `userIds`, read only when needed). */
  userCount: number;
  /** The first and last event's time (none without events). */
  timeSpan: [number, number] | [];
  lineCount: number;
  duplicates: number;
  textSections: number;
  columns: string[];
  /** Per column, per name: how that name's rows of the column are stored. */
  columnForms: ColumnGroupForm[][];
  sections: SectionEntry[];
}

/** The entry file of a source: one per path and limits. */
export function cacheFileOf(settings: DatasetCacheSettings, identity: CacheIdentity): string {
  const key = createHash('sha256')
    .update(JSON.stringify([resolve(identity.path), identity.limits]))
    .digest('hex')
    .slice(0, 32);
  return join(settings.dir, `${key}${ENTRY_SUFFIX}`);
}

/**
 * The line text of an entry read from the cache turned out damaged when it was first needed (the
 * rest of the entry had passed its checks). The entry is deleted already; loading again reads the export.
 */
export class DamagedCacheError extends BackendError {
  constructor(readonly path: string) {
    super('badResponse', `The cached copy of the local data "${path}" is damaged; it was deleted, and the data is read again from the export.`);
  }
}

/** Closes an entry's file once nothing can read from it any more (every reader of an entry holds its `{ fd }`). */
const openEntries = new FinalizationRegistry<FileHandle>((handle) => void handle.close().catch(() => undefined));

const bytesOf = (array: ArrayBufferView): Buffer => Buffer.from(array.buffer, array.byteOffset, array.byteLength);

/** Writes progress in pending (not yet renamed) cache files, for `datasetCacheWritesSettled`. */
const pendingWrites = new Set<Promise<unknown>>();

/** Resolves once every cache write this process started has finished (written and renamed, or given up). */
export async function datasetCacheWritesSettled(): Promise<void> {
  while (pendingWrites.size > 0) await Promise.allSettled([...pendingWrites]);
}

/** Entry files being deleted (found damaged, or given up while written), for `readDatasetCache`. */
const pendingRemovals = new Set<Promise<unknown>>();

/**
 * Tracks the deletion of an entry's file, which its caller cannot wait for: a read of the cache
 * waits for it (so a load right after an entry was found damaged reads the export, not that entry
 * again), and so does `datasetCacheWritesSettled`.
 */
function trackRemoval(removal: Promise<unknown>): void {
  const settled = removal.catch(() => undefined);
  pendingRemovals.add(settled);
  pendingWrites.add(settled);
  void settled.finally(() => {
    pendingRemovals.delete(settled);
    pendingWrites.delete(settled);
  });
}

/**
 * Writes an entry for `rows` in the background (the caller does not wait: the answer is ready
 * before the file is); a failure (full disk, read-only folder) only means no entry.
 */
export function writeDatasetCacheInBackground(settings: DatasetCacheSettings, identity: CacheIdentity, rows: CachedRows): Promise<void> {
  const write = afterCurrentWork()
    .then(() => writeDatasetCache(settings, identity, rows))
    .catch(() => undefined);
  pendingWrites.add(write);
  void write.finally(() => pendingWrites.delete(write));
  return write;
}

/**
 * Resolves after the work already queued on this thread (the promise callbacks that follow a load
 * and answer the query run first; a timer or I/O callback does not).
 */
function afterCurrentWork(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Writes an entry for rows held in memory (or read from an entry), under a temporary name, renames
 * it into place, then trims the folder to its bound.
 */
export async function writeDatasetCache(settings: DatasetCacheSettings, identity: CacheIdentity, rows: CachedRows): Promise<void> {
  const { lines } = rows;
  const lineCount = lines.bufferIds.length;
  let textBytes = 0;
  for (let line = 0; line < lineCount; line++) textBytes += lines.ends[line] - lines.starts[line];
  // Arrays and texts are a small share next to the line text: a first estimate of the entry's size.
  if (textBytes + 20 * lineCount > settings.maxBytes) return;
  const writer = await CacheEntryWriter.create(settings, identity);
  try {
    const ranges = { bufferIds: new Int32Array(lineCount), starts: new Int32Array(lineCount), ends: new Int32Array(lineCount) };
    // Lines of one piece of text, one after another, go to the file together.
    let first = 0;
    while (first < lineCount) {
      const bufferId = lines.bufferIds[first];
      let last = first + 1;
      while (last < lineCount && lines.bufferIds[last] === bufferId) last++;
      const located = writer.appendLines(lines.buffers[bufferId], lines.starts.subarray(first, last), lines.ends.subarray(first, last));
      ranges.bufferIds.set(located.bufferIds, first);
      ranges.starts.set(located.starts, first);
      ranges.ends.set(located.ends, first);
      first = last;
      await writer.backlogBelow(WRITE_BACKLOG_BYTES);
    }
    await writer.endText();
    await writer.finish(rows, ranges);
  } catch (error) {
    writer.abandon();
    throw error;
  }
}

/**
 * Whether each line at `starts`/`ends` of `text` is ended by one newline (`\n`) and directly
 * followed by the next: the lines are then one run of `text`, as most of an export is.
 */
export function linesBackToBack(text: Uint8Array, starts: Int32Array, ends: Int32Array): boolean {
  for (let i = 0; i < starts.length; i++) {
    if (text[ends[i]] !== 10 || (i + 1 < starts.length && starts[i + 1] !== ends[i] + 1)) return false;
  }
  return true;
}

/** Where lines went: per line, its text section and byte range there. */
export interface LineRanges {
  bufferIds: Int32Array;
  starts: Int32Array;
  ends: Int32Array;
}

/**
 * One entry being written, under a temporary name: first the line text, appended chunk by chunk
 * (a first load appends each chunk as soon as it is parsed, so it never holds the whole text:
 * `linesOf` reads it back from this file when something needs it, as an entry read by a later
 * process does), then, once the load is done, the rest (`finish`), which renames it into place.
 * Writes run in the background; a failure is reported by `endText` and `finish`.
 */
export class CacheEntryWriter {
  private offset = 0;
  private readonly sections: SectionEntry[] = [];
  /** The text section being written: its number, where it starts, its length and CRC-32 so far. */
  private textSections = 0;
  private readonly textStarts: number[] = [];
  private sectionLength = 0;
  private sectionCrc = 0;
  private textEnded = false;
  private readonly writes = new Set<Promise<void>>();
  private pendingBytes = 0;
  private failure: Error | undefined;
  /** Sections made while the entry is finished are written through this, as they are made (see `finish`). */
  private readonly staged = new StagedBytes((data) => this.putAndWait(data));

  private constructor(
    private readonly settings: DatasetCacheSettings,
    private readonly identity: CacheIdentity,
    private readonly file: string,
    private readonly temp: string,
    private readonly handle: FileHandle,
  ) {
    const prefix = Buffer.alloc(PREFIX_BYTES);
    MAGIC.copy(prefix, 0);
    prefix.writeUInt32LE(CACHE_FORMAT_VERSION, 8);
    this.put(prefix);
    this.textStarts.push(this.offset);
  }

  /** Opens a new temporary file for the entry of `identity`. */
  static async create(settings: DatasetCacheSettings, identity: CacheIdentity): Promise<CacheEntryWriter> {
    const file = cacheFileOf(settings, identity);
    await mkdir(settings.dir, { recursive: true });
    const temp = `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
    // Read too: a first load reads a few lines back while it loads (the de-duplication's insert ids).
    return new CacheEntryWriter(settings, identity, file, temp, await open(temp, 'wx+'));
  }

  /** Writes `data` next, in the background; `written` runs once it is on file (or failed), when the caller may reuse `data`. */
  private put(data: Buffer, written?: () => void): void {
    const position = this.offset;
    this.offset += data.length;
    this.pendingBytes += data.length;
    const write = this.writeAll(data, position).catch((error: Error) => {
      this.failure ??= error;
    });
    this.writes.add(write);
    void write.finally(() => {
      this.writes.delete(write);
      this.pendingBytes -= data.length;
      written?.();
    });
  }

  /** Writes `data` next; resolves once it is on file, rejects if a write failed. */
  private putAndWait(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.put(data, () => (this.failure ? reject(this.failure) : resolve())));
  }

  /** A write can be short (a file size limit, a full disk): the rest is written again, which then reports why. */
  private async writeAll(data: Buffer, position: number): Promise<void> {
    for (let done = 0; done < data.length;) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, position + done);
      if (bytesWritten <= 0) throw new Error('the cache file takes no more bytes');
      done += bytesWritten;
    }
  }

  /** Resolves once at most `bytes` wait to be written. */
  async backlogBelow(bytes: number): Promise<void> {
    while (this.pendingBytes > bytes && this.writes.size > 0) await Promise.race(this.writes);
  }

  private async allWritten(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes]);
    if (this.failure) throw this.failure;
  }

  /**
   * Appends the lines at `starts`/`ends` of `text`, each followed by a newline (as in the export,
   * so a run of lines is a chunk the parser reads whole), and returns where each now is. `written`
   * runs once `text` is no longer needed. `backToBack` is what the parser found out about these lines
   * (`ParsedChunk.linesBackToBack`), when they come from it: they are then not walked again for it.
   */
  appendLines(text: Buffer, starts: Int32Array, ends: Int32Array, written?: () => void, backToBack?: boolean): LineRanges {
    const count = starts.length;
    const located: LineRanges = { bufferIds: new Int32Array(count), starts: new Int32Array(count), ends: new Int32Array(count) };
    if (count === 0) {
      written?.();
      return located;
    }
    // Lines one after another, each ended by one newline (most chunks of an export), are written
    // as they are; others (blank or malformed lines between, CRLF, no final newline) are copied together first.
    const contiguous = backToBack ?? linesBackToBack(text, starts, ends);
    let run: Buffer;
    if (contiguous) {
      run = text.subarray(starts[0], ends[count - 1] + 1);
    } else {
      let length = 0;
      for (let i = 0; i < count; i++) length += ends[i] - starts[i] + 1;
      run = Buffer.allocUnsafe(length);
      let at = 0;
      for (let i = 0; i < count; i++) {
        at += text.copy(run, at, starts[i], ends[i]);
        run[at++] = 10;
      }
    }
    if (this.sectionLength > 0 && this.sectionLength + run.length > TEXT_SECTION_BYTES) this.endTextSection();
    let position = this.sectionLength;
    for (let i = 0; i < count; i++) {
      located.bufferIds[i] = this.textSections;
      located.starts[i] = position;
      located.ends[i] = position + ends[i] - starts[i];
      position = located.ends[i] + 1;
    }
    this.sectionCrc = crc32(run, this.sectionCrc);
    this.sectionLength += run.length;
    if (contiguous) {
      this.put(run, written);
    } else {
      this.put(run);
      written?.();
    }
    return located;
  }

  private endTextSection(): void {
    this.sections.push({ name: `text${this.textSections}`, offset: this.textStarts[this.textSections], length: this.sectionLength, crc: this.sectionCrc });
    this.textSections++;
    this.textStarts.push(this.offset);
    this.sectionLength = 0;
    this.sectionCrc = 0;
  }

  /** Ends the line text: waits for it to be on file (throws if a write failed). */
  async endText(): Promise<void> {
    if (!this.textEnded) this.endTextSection();
    this.textEnded = true;
    await this.allWritten();
  }

  /** The bytes of one line already on file (after `endText`), read synchronously. */
  readLine(bufferId: number, start: number, end: number): Buffer {
    const line = readExactly(this.handle.fd, end - start, this.textStarts[bufferId] + start);
    if (!line) throw new Error('the line text ends early');
    return line;
  }

  /**
   * The lines at `ranges` (after `endText`) as a loaded dataset holds them: the text is read from
   * this file on first use, exactly as from an entry a later process reads (through a handle of
   * their own, which stays valid when the entry is renamed, evicted or never kept).
   */
  async linesOf(ranges: LineRanges): Promise<CachedRows['lines']> {
    const handle = await open(this.temp, 'r');
    const opened = { fd: handle.fd };
    // Closed when the dataset reading from it is collected, as an entry's handle is.
    openEntries.register(opened, handle);
    const textSections = this.sections.filter((section) => section.name.startsWith('text'));
    return lazyLines(opened, textSections, damagedEntry(this.file, this.identity.path), () => ranges);
  }

  /**
   * Writes the rest of the entry (after `endText`): `rows` but their line text, which is on file
   * already at `ranges`; then renames the file into place and trims the folder. An entry past the
   * folder's bound, or one whose writes failed, is deleted instead.
   */
  async finish(rows: CachedRows, ranges: LineRanges): Promise<void> {
    let renamed = false;
    try {
      const names = rows.names.length;
      const { order: nameOrder, starts: nameStarts } = nameGroupsOf(rows);
      /** Arrays the rows hold already: written as they are, without a copy (`groups`: the CRC-32 of each name's part, for a section grouped by name). */
      const section = async (name: string, data: Buffer, groups?: number[]): Promise<void> => {
        await this.staged.flush();
        this.sections.push({ name, offset: this.offset, length: data.length, crc: crc32(data), ...(groups ? { groups } : {}) });
        this.put(data);
      };
      /**
       * A section made here, written through the staging buffer as it is made: at most that
       * buffer's worth of it is in memory. Made per name (`parts`, one per name, each one or more
       * pieces), with each name's part's CRC-32 (the whole one chained from them) when `grouped`.
       */
      const madeSection = async (name: string, parts: Iterable<Iterable<ArrayBufferView>>, grouped: boolean): Promise<void> => {
        const offset = this.offset + this.staged.length;
        const groups: number[] = [];
        let crc = 0;
        for (const part of parts) {
          let partCrc = 0;
          for (const piece of part) {
            const bytes = bytesOf(piece);
            if (grouped) partCrc = crc32(bytes, partCrc);
            crc = crc32(bytes, crc);
            await this.staged.add(bytes);
          }
          if (grouped) groups.push(partCrc);
        }
        this.sections.push({ name, offset, length: this.offset + this.staged.length - offset, crc, ...(grouped ? { groups } : {}) });
      };
      const perName = <T>(each: (start: number, end: number) => Iterable<T>): Iterable<Iterable<T>> =>
        Array.from({ length: names }, (_, id) => each(nameStarts[id], nameStarts[id + 1]));
      await section('times', bytesOf(rows.times));
      await section('users', bytesOf(rows.users));
      await section('nameIds', bytesOf(rows.nameIds));
      await section('fileRows', bytesOf(rows.fileRows));
      await section(
        'nameOrder',
        bytesOf(nameOrder),
        Array.from({ length: names }, (_, id) => crc32(bytesOf(nameOrder.subarray(nameStarts[id], nameStarts[id + 1])))),
      );
      await section('nameStarts', bytesOf(nameStarts));
      // The rows' times and users per name are made in pieces of one scratch buffer, each copied
      // into the staging buffer before the next is made.
      const scratch = new ArrayBuffer(STAGED_BYTES);
      await madeSection(
        'timesByName',
        perName((start, end) => piecesOf(Float64Array, scratch, end - start, (i) => rows.times[nameOrder[start + i]])),
        true,
      );
      await madeSection(
        'usersByName',
        perName((start, end) => piecesOf(Int32Array, scratch, end - start, (i) => rows.users[nameOrder[start + i]])),
        true,
      );
      await section('lineBuffers', bytesOf(ranges.bufferIds));
      await section('lineStarts', bytesOf(ranges.starts));
      await section('lineEnds', bytesOf(ranges.ends));
      await section('userIds', Buffer.from(JSON.stringify(rows.userIds)));
      await section('names', Buffer.from(JSON.stringify(rows.names)));
      await section('skipped', Buffer.from(JSON.stringify(rows.skipped)));
      await madeSection('profiles', [textPieces(rows.profilesJson)], false);
      const columns = [...rows.columns.keys()];
      const columnForms: ColumnGroupForm[][] = [];
      for (const [j, name] of columns.entries()) {
        const column = rows.columns.get(name)!;
        await section(`column${j}.kinds`, bytesOf(column.kinds));
        // The section holds 8-byte numbers, however the loaded column holds them.
        if (column.values instanceof Float64Array) await section(`column${j}.values`, bytesOf(column.values));
        else await madeSection(`column${j}.values`, [piecesOf(Float64Array, scratch, column.values.length, (i) => column.values[i])], false);
        await section(`column${j}.texts`, Buffer.from(JSON.stringify(column.texts)));
        // Each name's rows of the column again, in `nameOrder`'s order and in the narrowest form that
        // holds them: a query over one name reads that name's part only, and little of it.
        const forms: ColumnGroupForm[] = [];
        for (let id = 0; id < names; id++) {
          const start = nameStarts[id];
          const length = nameStarts[id + 1] - start;
          const at = (i: number): number => rows.fileRows[nameOrder[start + i]];
          const form = formOfRows(column.kinds, length, at, column.texts.length);
          forms.push(form);
          if (form.kind < 0) await madeSection(`column${j}.name${id}.kinds`, [piecesOf(Uint8Array, scratch, length, (i) => column.kinds[at(i)])], false);
          if (form.width > 0) {
            const value = (i: number): number => column.values[at(i)];
            const pieces =
              form.width === 1
                ? piecesOf(Uint8Array, scratch, length, value)
                : form.width === 2
                  ? piecesOf(Uint16Array, scratch, length, value)
                  : piecesOf(Float64Array, scratch, length, value);
            await madeSection(`column${j}.name${id}.values`, [pieces], false);
          }
        }
        columnForms.push(forms);
      }
      await this.staged.flush();
      const footer: Footer = {
        identity: this.identity,
        count: rows.times.length,
        userCount: rows.userIds.length,
        timeSpan: rows.times.length === 0 ? [] : [rows.times[0], rows.times[rows.times.length - 1]],
        lineCount: ranges.bufferIds.length,
        columnForms,
        duplicates: rows.duplicates,
        textSections: this.textSections,
        columns,
        sections: this.sections,
      };
      const footerBytes = Buffer.from(JSON.stringify(footer));
      const trailer = Buffer.alloc(TRAILER_BYTES);
      trailer.writeUInt32LE(footerBytes.length, 0);
      trailer.writeUInt32LE(crc32(footerBytes), 4);
      MAGIC.copy(trailer, 8);
      this.put(footerBytes);
      this.put(trailer);
      await this.allWritten();
      await this.handle.close();
      if (this.offset > this.settings.maxBytes) return;
      await rename(this.temp, this.file);
      renamed = true;
    } finally {
      if (!renamed) this.abandon();
    }
    await trimCacheFolder(this.settings, this.file);
  }

  /**
   * Gives the entry up: the temporary file is deleted (a dataset reading lines from it keeps its
   * own handle; see `trackRemoval` for who waits for it).
   */
  abandon(): void {
    trackRemoval(Promise.allSettled([this.handle.close(), unlink(this.temp)]));
  }
}

/**
 * Bytes gathered into one buffer, written when it is full (or flushed): what a section made piece
 * by piece costs in memory is this buffer, not the section's size.
 */
class StagedBytes {
  private buffer: Buffer | undefined;
  /** Bytes waiting in the buffer. */
  length = 0;

  /** `write` must take its data (as the entry's next bytes) before it first awaits. */
  constructor(private readonly write: (data: Buffer) => Promise<void>) {}

  /** Copies `bytes` in: the caller may reuse them once this resolves. */
  async add(bytes: Buffer): Promise<void> {
    for (let from = 0; from < bytes.length;) {
      this.buffer ??= Buffer.allocUnsafeSlow(STAGED_BYTES);
      const copied = bytes.copy(this.buffer, this.length, from);
      this.length += copied;
      from += copied;
      if (this.length === this.buffer.length) await this.flush();
    }
  }

  /** Writes what waits; the buffer is used again once it is on file. */
  async flush(): Promise<void> {
    if (this.length === 0) return;
    const data = this.buffer!.subarray(0, this.length);
    this.length = 0;
    await this.write(data);
  }
}

/**
 * Writes the rest of a first load's entry (`CacheEntryWriter.finish`) in the background, as
 * `writeDatasetCacheInBackground` writes a whole one.
 */
export function finishDatasetCacheInBackground(writer: CacheEntryWriter, rows: CachedRows, ranges: LineRanges): Promise<void> {
  // Started once the current work is done: `finish` first computes every section on this thread
  // (the rows grouped by name, the stored columns per name, their CRC-32s: about 0.3 s for a
  // million events), which would otherwise run before the query waiting for this load is answered.
  const write = afterCurrentWork()
    .then(() => writer.finish(rows, ranges))
    .catch(() => undefined);
  pendingWrites.add(write);
  void write.finally(() => pendingWrites.delete(write));
  return write;
}

/**
 * The entry for `identity`, checked whole, or undefined when there is none or it does not match
 * the source as it is now or fails a check (see the top of this file).
 */
export async function readDatasetCache(settings: DatasetCacheSettings, identity: CacheIdentity): Promise<CachedRows | undefined> {
  if (pendingRemovals.size > 0) await Promise.all(pendingRemovals);
  const file = cacheFileOf(settings, identity);
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch {
    return undefined;
  }
  let rows: CachedRows | undefined;
  try {
    rows = await readEntry(handle, identity, file);
  } catch {
    rows = undefined;
  }
  if (!rows) {
    await handle.close().catch(() => undefined);
    return undefined;
  }
  // Least recently used goes first when the folder is trimmed.
  const now = new Date();
  await utimes(file, now, now).catch(() => undefined);
  return rows;
}

/** Reads `length` bytes at `position` into a buffer of its own (so typed arrays over it start aligned), or undefined past the end. */
function readExactly(fd: number, length: number, position: number): Buffer | undefined {
  const buffer = Buffer.allocUnsafeSlow(length);
  let done = 0;
  while (done < length) {
    const read = readSync(fd, buffer, done, length - done, position + done);
    if (read === 0) return undefined;
    done += read;
  }
  return buffer;
}

/**
 * Opens an entry: checks the prefix, the footer and the identity, and reads only the small
 * sections (names, where each name's rows start, skipped lines). Everything else is read when
 * first used, each with one synchronous read into a buffer of its own (typed arrays are views over
 * it, not copies) and checked then against its CRC-32 (see the top of this file). In a fresh
 * process, memory touched for the first time is what costs most (each page is faulted in), so a
 * query reads the rows of the names it asks about (`nameGroups`: times, users and stored columns
 * of one name, in one read each) and none of the whole-dataset arrays, user ids or profiles
 * unless it needs them.
 */
async function readEntry(handle: FileHandle, identity: CacheIdentity, file: string): Promise<CachedRows | undefined> {
  // What reads the entry later holds this, and the file stays open until it is garbage.
  const opened = { fd: handle.fd };
  const fd = handle.fd;
  const size = fstatSync(fd).size;
  if (size < PREFIX_BYTES + TRAILER_BYTES) return undefined;
  const prefix = readExactly(fd, PREFIX_BYTES, 0);
  if (!prefix || !prefix.subarray(0, 8).equals(MAGIC) || prefix.readUInt32LE(8) !== CACHE_FORMAT_VERSION) return undefined;
  const trailer = readExactly(fd, TRAILER_BYTES, size - TRAILER_BYTES);
  if (!trailer || !trailer.subarray(8).equals(MAGIC)) return undefined;
  const footerLength = trailer.readUInt32LE(0);
  const footerStart = size - TRAILER_BYTES - footerLength;
  if (footerStart < PREFIX_BYTES) return undefined;
  const footerBytes = readExactly(fd, footerLength, footerStart);
  if (!footerBytes || crc32(footerBytes) !== trailer.readUInt32LE(4)) return undefined;
  const footer = JSON.parse(footerBytes.toString('utf8')) as Footer;
  if (JSON.stringify(footer.identity) !== JSON.stringify(identity)) return undefined;

  const textSections: SectionEntry[] = [];
  const sectionByName = new Map<string, SectionEntry>();
  for (const entry of footer.sections) {
    if (!(entry.offset >= PREFIX_BYTES && entry.length >= 0 && entry.offset + entry.length <= footerStart)) return undefined;
    if (entry.name.startsWith('text')) textSections.push(entry);
    else sectionByName.set(entry.name, entry);
  }
  /** A section's bytes, read and checked against its CRC-32 (undefined when it is missing or fails). */
  const bytesOfSection = (name: string): Buffer | undefined => {
    const entry = sectionByName.get(name);
    const data = entry && readExactly(opened.fd, entry.length, entry.offset);
    return data && crc32(data) === entry.crc ? data : undefined;
  };
  const { count, lineCount, userCount } = footer;
  if (!Number.isInteger(userCount) || userCount < 0 || userCount > count) return undefined;
  const { timeSpan } = footer;
  if (!(Array.isArray(timeSpan) && timeSpan.length === (count === 0 ? 0 : 2) && timeSpan.every(Number.isFinite))) return undefined;
  const typed = <T>(name: string, make: (buffer: ArrayBuffer, length: number) => T, bytesPer: number, length: number): T => {
    const entry = sectionByName.get(name);
    // The length first, from the footer: a wrong one is not worth reading.
    const data = entry?.length === length * bytesPer ? bytesOfSection(name) : undefined;
    if (!data) throw new Error(`cache section ${name} is damaged or has the wrong length`);
    return make(data.buffer as ArrayBuffer, length);
  };
  const json = <T>(name: string): T => {
    const data = bytesOfSection(name);
    if (!data) throw new Error(`cache section ${name} is damaged or missing`);
    return JSON.parse(data.toString('utf8')) as T;
  };
  const f64 = (buffer: ArrayBuffer, length: number): Float64Array => new Float64Array(buffer, 0, length);
  const i32 = (buffer: ArrayBuffer, length: number): Int32Array => new Int32Array(buffer, 0, length);
  const u8 = (buffer: ArrayBuffer, length: number): Uint8Array => new Uint8Array(buffer, 0, length);

  const sectionLengths: number[] = [];
  for (let i = 0; i < footer.textSections; i++) {
    const entry = textSections.find((section) => section.name === `text${i}`);
    if (!entry) return undefined;
    sectionLengths.push(entry.length);
  }
  // Every section read later exists with the right length (and, grouped by name, a CRC-32 per
  // name): what is left to find damaged on first use is content.
  const names = json<string[]>('names');
  const grouped = ['nameOrder', 'timesByName', 'usersByName'];
  const expectedLengths = new Map<string, number>([
    ['times', count * 8],
    ['users', count * 4],
    ['nameIds', count * 4],
    ['fileRows', count * 4],
    ['nameOrder', count * 4],
    ['timesByName', count * 8],
    ['usersByName', count * 4],
    ['nameStarts', (names.length + 1) * 4],
    ...[...LINE_RANGE_SECTIONS].map((name): [string, number] => [name, lineCount * 4]),
    ...footer.columns.flatMap((_, j): Array<[string, number]> => [
      [`column${j}.kinds`, lineCount],
      [`column${j}.values`, lineCount * 8],
    ]),
  ]);
  for (const [name, length] of expectedLengths) if (sectionByName.get(name)?.length !== length) return undefined;
  for (const name of grouped) if (sectionByName.get(name)?.groups?.length !== names.length) return undefined;
  for (const name of ['userIds', 'profiles', 'skipped', ...footer.columns.map((_, j) => `column${j}.texts`)]) if (!sectionByName.has(name)) return undefined;
  const nameStarts = typed('nameStarts', i32, 4, names.length + 1);
  if (!startsInOrder(nameStarts, count)) return undefined;
  if (footer.columnForms?.length !== footer.columns.length) return undefined;
  for (const [j, forms] of footer.columnForms.entries()) {
    if (forms.length !== names.length) return undefined;
    for (const [id, { kind, width }] of forms.entries()) {
      const length = nameStarts[id + 1] - nameStarts[id];
      if (!(Number.isInteger(kind) && kind >= -1 && kind <= 7 && [0, 1, 2, 8].includes(width))) return undefined;
      if (kind < 0 && sectionByName.get(`column${j}.name${id}.kinds`)?.length !== length) return undefined;
      if (width > 0 && sectionByName.get(`column${j}.name${id}.values`)?.length !== length * width) return undefined;
    }
  }

  const damaged = damagedEntry(file, identity.path);
  // Sections read when first used, then checked as those read on opening were.
  const lazy = <T>(read: () => T, valid: (value: T) => boolean = () => true): (() => T) => {
    let value: T | undefined;
    let done = false;
    const load = (): T => {
      if (!done) {
        let readValue: T | undefined;
        try {
          readValue = read();
        } catch {
          throw damaged();
        }
        if (!valid(readValue)) throw damaged();
        value = readValue;
        done = true;
      }
      return value as T;
    };
    return load;
  };
  const lines = lazyLines(opened, textSections, damaged, () => {
    const ranges = {
      bufferIds: typed('lineBuffers', i32, 4, lineCount),
      starts: typed('lineStarts', i32, 4, lineCount),
      ends: typed('lineEnds', i32, 4, lineCount),
    };
    // Every line lies inside its section, so no read of a line can run past the text.
    for (let line = 0; line < lineCount; line++) {
      const length = sectionLengths[ranges.bufferIds[line]];
      if (length === undefined || ranges.starts[line] < 0 || ranges.starts[line] > ranges.ends[line] || ranges.ends[line] > length) {
        throw new Error('a line of the cache lies outside its text');
      }
    }
    return ranges;
  });
  const userIds = lazy(
    () => json<string[]>('userIds'),
    (ids) => Array.isArray(ids) && ids.length === userCount,
  );
  const profilesJson = lazy(() => {
    const data = bytesOfSection('profiles');
    if (!data) throw new Error('cache section profiles is damaged');
    return data.toString('utf8');
  });
  const profileRecords = lazy(() => JSON.parse(profilesJson()) as unknown[]);
  const rowsLazily: Record<string, () => unknown> = {
    times: lazy(() => typed('times', f64, 8, count)),
    users: lazy(
      () => typed('users', i32, 4, count),
      (users) => allBelow(users, userCount),
    ),
    nameIds: lazy(
      () => typed('nameIds', i32, 4, count),
      (ids) => allBelow(ids, names.length),
    ),
    fileRows: lazy(
      () => typed('fileRows', i32, 4, count),
      (positions) => allBelow(positions, lineCount),
    ),
    nameOrder: lazy(
      () => typed('nameOrder', i32, 4, count),
      (order) => groupedByName(order, nameStarts),
    ),
    userIds,
    profileRecords,
    profilesJson,
  };

  /** One name's part of a section grouped by name, read and checked against that part's CRC-32 on its own. */
  const groupOf = <T extends Float64Array | Int32Array | Uint8Array>(
    name: string,
    make: new (buffer: ArrayBuffer, offset: number, length: number) => T,
    nameId: number,
  ): T => {
    const entry = sectionByName.get(name)!;
    const bytesPer = make === (Float64Array as unknown) ? 8 : make === (Int32Array as unknown) ? 4 : 1;
    const length = nameStarts[nameId + 1] - nameStarts[nameId];
    const data = readExactly(opened.fd, length * bytesPer, entry.offset + nameStarts[nameId] * bytesPer);
    if (!data || crc32(data) !== entry.groups![nameId]) throw new Error(`cache section ${name} is damaged`);
    return new make(data.buffer as ArrayBuffer, 0, length);
  };
  /** Reads each name's part once, on first use. */
  const perName = <T>(read: (nameId: number) => T, valid: (value: T, nameId: number) => boolean = () => true): ((nameId: number) => T) => {
    const loaded = new Map<number, () => T>();
    return (nameId) => {
      let load = loaded.get(nameId);
      if (!load) {
        load = lazy(
          () => read(nameId),
          (value) => valid(value, nameId),
        );
        loaded.set(nameId, load);
      }
      return load();
    };
  };
  const columnNumber = new Map(footer.columns.map((name, j) => [name, j]));
  const columnGroups = footer.columns.map((_, j) => {
    const texts = lazy(() => json<string[]>(`column${j}.texts`));
    const group = perName(
      (nameId): GroupColumn => {
        const { kind, width } = footer.columnForms[j][nameId];
        const length = nameStarts[nameId + 1] - nameStarts[nameId];
        const kinds = kind >= 0 ? kind : typed(`column${j}.name${nameId}.kinds`, u8, 1, length);
        const values =
          width === 0
            ? new Uint8Array(0)
            : width === 1
              ? typed(`column${j}.name${nameId}.values`, u8, 1, length)
              : width === 2
                ? typed(`column${j}.name${nameId}.values`, (buffer, n) => new Uint16Array(buffer, 0, n), 2, length)
                : typed(`column${j}.name${nameId}.values`, f64, 8, length);
        return { kinds, values, texts: texts() };
      },
      // Text numbers of one or two bytes are used as they are: each names one of the texts.
      ({ kinds, values, texts }) =>
        (typeof kinds === 'number' || kinds.every((kind) => kind <= 7)) && (values instanceof Float64Array || values.every((text) => text < texts.length)),
    );
    return { texts, group };
  });
  const nameGroups: NameGroups = {
    rowIds: perName(
      (nameId) => groupOf('nameOrder', Int32Array, nameId),
      (rowIds) => ascendingBelow(rowIds, count),
    ),
    times: perName((nameId) => groupOf('timesByName', Float64Array, nameId)),
    users: perName(
      (nameId) => groupOf('usersByName', Int32Array, nameId),
      (users) => allBelow(users, userCount),
    ),
    column: (property, nameId) => {
      const j = columnNumber.get(property);
      return j === undefined ? undefined : columnGroups[j].group(nameId);
    },
  };

  const rows = {
    names,
    nameStarts,
    userCount,
    span: count === 0 ? undefined : { count, first: timeSpan[0], last: timeSpan[1] },
    nameGroups,
    lines,
    columns: new Map(),
    skipped: json<SkippedLine[]>('skipped'),
    duplicates: footer.duplicates,
  } as unknown as CachedRows;
  for (const [key, load] of Object.entries(rowsLazily)) Object.defineProperty(rows, key, { enumerable: true, configurable: true, get: load });
  for (const [j, name] of footer.columns.entries()) {
    const column = {} as LoadedColumn;
    const kinds = lazy(() => typed(`column${j}.kinds`, u8, 1, lineCount));
    const values = lazy(() => typed(`column${j}.values`, f64, 8, lineCount));
    Object.defineProperty(column, 'kinds', { enumerable: true, get: kinds });
    Object.defineProperty(column, 'values', { enumerable: true, get: values });
    Object.defineProperty(column, 'texts', { enumerable: true, get: columnGroups[j].texts });
    rows.columns.set(name, column);
  }
  openEntries.register(opened, handle);
  return rows;
}

/** Every number is at least 0 and below `end`: an index the query code relies on without checking again. */
function allBelow(numbers: Int32Array, end: number): boolean {
  for (let i = 0; i < numbers.length; i++) if (!(numbers[i] >= 0 && numbers[i] < end)) return false;
  return true;
}

/** Row numbers of one name: each at least 0, below `end`, and above the one before (so each row once). */
function ascendingBelow(numbers: Int32Array, end: number): boolean {
  let previous = -1;
  for (let i = 0; i < numbers.length; i++) {
    if (!(numbers[i] > previous && numbers[i] < end)) return false;
    previous = numbers[i];
  }
  return true;
}

/** Where each name's rows start: from 0 to the row count, never going back. */
function startsInOrder(starts: Int32Array, count: number): boolean {
  if (starts[0] !== 0 || starts[starts.length - 1] !== count) return false;
  for (let name = 1; name < starts.length; name++) if (starts[name] < starts[name - 1]) return false;
  return true;
}

/** The stored name order holds every row once, each name's rows where its start says. */
function groupedByName(order: Int32Array, starts: Int32Array): boolean {
  if (!startsInOrder(starts, order.length)) return false;
  const seen = new Uint8Array(order.length);
  for (let i = 0; i < order.length; i++) {
    const row = order[i];
    if (!(row >= 0 && row < order.length) || seen[row] === 1) return false;
    seen[row] = 1;
  }
  return true;
}

/** What a section of the entry `file` that fails a check is answered with: the entry is deleted, and the error says the source will be read again. */
function damagedEntry(file: string, source: string): () => DamagedCacheError {
  return () => {
    trackRemoval(unlink(file));
    return new DamagedCacheError(source);
  };
}

/**
 * The lines of an entry, whose `buffers` (the text sections) are read from the still open file
 * on first use, each checked against its CRC-32. The file stays open while anything can still read
 * from it (see `openEntries`): an entry replaced or evicted meanwhile by another process is still
 * read whole (a file is only ever renamed into place or deleted, never written over).
 */
function lazyLines(
  opened: { fd: number },
  sections: SectionEntry[],
  damaged: () => DamagedCacheError,
  readRanges: () => { bufferIds: Int32Array; starts: Int32Array; ends: Int32Array },
): CachedRows['lines'] {
  const lines = {} as CachedRows['lines'];
  const settle = <K extends keyof CachedRows['lines']>(key: K, value: CachedRows['lines'][K]): void => {
    Object.defineProperty(lines, key, { value, enumerable: true, writable: true, configurable: true });
  };
  let ranges: ReturnType<typeof readRanges> | undefined;
  const rangesChecked = (): NonNullable<typeof ranges> => {
    if (!ranges) {
      try {
        ranges = readRanges();
      } catch {
        throw damaged();
      }
      settle('bufferIds', ranges.bufferIds);
      settle('starts', ranges.starts);
      settle('ends', ranges.ends);
    }
    return ranges;
  };
  const readText = (): Buffer[] => {
    rangesChecked();
    return sections
      .sort((a, b) => Number(a.name.slice(4)) - Number(b.name.slice(4)))
      .map((entry) => {
        const data = readExactly(opened.fd, entry.length, entry.offset);
        if (!data || crc32(data) !== entry.crc) throw damaged();
        return data;
      });
  };
  Object.defineProperty(lines, 'buffers', {
    enumerable: true,
    configurable: true,
    get: () => {
      const buffers = readText();
      settle('buffers', buffers);
      return buffers;
    },
  });
  for (const key of ['bufferIds', 'starts', 'ends'] as const) {
    Object.defineProperty(lines, key, { enumerable: true, configurable: true, get: () => rangesChecked()[key] });
  }
  return lines;
}

/**
 * Deletes entries, least recently used first, until the folder fits its bound (never `keep`, the
 * entry just written), and temporary files a stopped process left behind. Another process may be
 * trimming at the same time: a file already gone is not an error.
 */
export async function trimCacheFolder(settings: DatasetCacheSettings, keep?: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(settings.dir);
  } catch {
    return;
  }
  const now = Date.now();
  const entries: Array<{ file: string; size: number; used: number }> = [];
  for (const name of names) {
    const file = join(settings.dir, name);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) continue;
    if (name.endsWith('.tmp')) {
      if (now - info.mtimeMs > STALE_TEMP_MS) await unlink(file).catch(() => undefined);
      continue;
    }
    if (name.endsWith(ENTRY_SUFFIX)) entries.push({ file, size: info.size, used: info.mtimeMs });
  }
  let total = entries.reduce((sum, entry) => sum + entry.size, 0);
  entries.sort((a, b) => a.used - b.used);
  for (const entry of entries) {
    if (total <= settings.maxBytes) break;
    if (entry.file === keep) continue;
    await unlink(entry.file).catch(() => undefined);
    total -= entry.size;
  }
}

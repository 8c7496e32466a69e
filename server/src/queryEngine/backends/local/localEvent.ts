/**
 * One event of a local source, as read from a Mixpanel raw export line
 * `{ "event": name, "properties": { "time", "distinct_id", "$insert_id", … } }`.
 */
export interface LocalEvent {
  name: string;
  distinctId: string;
  /** Milliseconds since the epoch, UTC (export `time` may be seconds or milliseconds). */
  time: number;
  insertId: string | undefined;
  /** All properties as exported, including `time`, `distinct_id` and `$insert_id`. */
  properties: Record<string, unknown>;
}

/** One user profile of a local source, from a `*.people.ndjson` file (`{ "$distinct_id", "$properties" }`). */
export interface LocalProfile {
  distinctId: string;
  properties: Record<string, unknown>;
}

/** A line that could not be read; reported, never fatal. */
export interface SkippedLine {
  file: string;
  /** 1-based line number. */
  line: number;
  reason: string;
}

/** Everything a local source holds, events sorted by time. */
export interface LocalDataset {
  events: LocalEvent[];
  profiles: LocalProfile[];
  skipped: SkippedLine[];
  /** Events dropped as duplicates of an earlier one (same $insert_id, name, distinct_id, time). */
  duplicates: number;
  files: string[];
}

/**
 * Per-row arrays of a loaded dataset (rows in time order, as `dataset.events`), made from the
 * parser's columns: the query index starts from them, and never needs the event objects.
 */
export interface LoadedRows {
  times: Float64Array;
  /** User number per row; `userIds[n]` is user n's distinct_id. */
  users: Int32Array;
  userIds: string[];
  /** Event-name number per row; `names[n]` is name n. */
  names: string[];
  nameIds: Int32Array;
  /** The position in file order (in `lines` and `columns`) of each row. */
  fileRows: Int32Array;
  /** Row numbers grouped by name (see rowsByName.ts), when the load has them (from the dataset cache); else the query index groups them. */
  nameOrder?: Int32Array;
  /** Where each name's rows start in `nameOrder` (and, last, the row count); with `nameOrder`. */
  nameStarts?: Int32Array;
  /** Distinct users with events (`userIds.length`), known without reading `userIds` (from the dataset cache). */
  userCount?: number;
  /** The number of events and the first and last time, known without reading `times` (from the dataset cache). */
  span?: { count: number; first: number; last: number };
  /** From the dataset cache: each name's rows read on their own, when first used (see `NameGroups`). */
  nameGroups?: NameGroups;
  /**
   * Where each event's line is, in file order: its piece of text (`buffers[bufferIds[i]]`) and byte
   * range. From the dataset cache, `buffers` is read from the entry on first use (and may throw a
   * `DamagedCacheError` then).
   */
  lines: { buffers: Buffer[]; bufferIds: Int32Array; starts: Int32Array; ends: Int32Array };
  /** Properties read out of the lines while they were parsed (`LoadOptions.extract`), by name. */
  columns: Map<string, LoadedColumn>;
}

/**
 * One property's value per event in file order (read row `r` at `fileRows[r]`), as the parser read
 * it: `kinds[i]` as in `ExtractedColumn` (1 a number in `values`, 2 a string and 6 an object or
 * array's JSON text at `texts[values[i]]`, 7 read the event's line), `texts` shared by all events.
 * Dropped duplicates keep their entries.
 */
export interface LoadedColumn {
  kinds: Uint8Array;
  /**
   * 32-bit whole numbers while every value is one (a text's number always is; most properties'
   * numbers are, prices and counts among them): half the memory of a column of 8-byte numbers,
   * which a load holds at its peak. Widened once a value is not.
   */
  values: Float64Array | Int32Array;
  texts: string[];
}

/**
 * One event name's rows (its group in `nameOrder`, so in time order), read straight from the
 * dataset cache: a query reads the names it asks about and nothing of the others. Each call reads
 * that part of the entry (and checks it) the first time, and may throw a `DamagedCacheError`.
 */
export interface NameGroups {
  /** The rows' numbers in the whole dataset (`nameOrder`'s group). */
  rowIds(nameId: number): Int32Array;
  times(nameId: number): Float64Array;
  users(nameId: number): Int32Array;
  /** A stored column's kinds and values of the name's rows, in the same order; undefined when the entry stores no such column. */
  column(property: string, nameId: number): GroupColumn | undefined;
}

/**
 * A stored column over some rows (a table's, in its order), as `LoadedColumn` but possibly
 * narrower: `kinds` one number when every row has that kind, and `values` text numbers of one or
 * two bytes when every value is a text's number (empty when no row's kind has a value).
 */
export interface GroupColumn {
  kinds: Uint8Array | number;
  values: Float64Array | Uint16Array | Uint8Array;
  texts: string[];
}

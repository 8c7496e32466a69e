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

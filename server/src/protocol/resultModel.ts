/**
 * The one result model every backend produces and every consumer reads: the results webview, the
 * CLI's table/CSV/JSON output and the CSV exporter. Plain JSON (no classes, no Dates, no Maps), so
 * it crosses the LSP connection and the webview's postMessage unchanged.
 */
import type { QueryKind, SourceKind } from '../languageService/parser/queryAst';

/** A time series per segment: segmentation, insights, sum/average. */
export interface SeriesData {
  kind: 'series';
  unit: 'minute' | 'hour' | 'day' | 'week' | 'month';
  /** Bucket labels in ascending order: `YYYY-MM-DD` for day and coarser, `YYYY-MM-DDTHH:MM` below. */
  dates: string[];
  /** One per segment, largest total first. `segment` is null when the query has no `on`. */
  series: Array<{ segment: string | null; values: number[]; total: number }>;
  /** What the numbers are. */
  measure: 'general' | 'unique' | 'average' | 'sum' | 'numeric';
}

/** Ordered funnel steps, per segment. */
export interface FunnelData {
  kind: 'funnel';
  steps: string[];
  /** The overall row has `segment: null`; one more per `on` value. */
  segments: Array<{
    segment: string | null;
    /** Users reaching each step. */
    counts: number[];
    /** counts[i] / counts[0] (1 for step 0; 0 when nobody entered). */
    overallConversion: number[];
    /** counts[i] / counts[i-1] (1 for step 0). */
    stepConversion: number[];
    /** Average seconds from the previous step; null for step 0 or when unknown. */
    avgTimeSeconds: Array<number | null>;
  }>;
  window: { count: number; unit: string } | undefined;
  /** With `unit`: the bucket size of `byDate`. */
  unit?: 'day' | 'week' | 'month';
  /**
   * With `unit`: one funnel per date bucket, oldest first, counting the users who entered in that
   * bucket (a user can enter on several dates). `segments` stays the funnel over the whole range.
   */
  byDate?: Array<{ date: string; segments: FunnelData['segments'] }>;
}

/** Cohorts by birth date with retained counts per interval. */
export interface RetentionData {
  kind: 'retention';
  unit: 'day' | 'week' | 'month';
  retentionType: 'birth' | 'compounded';
  cohorts: Array<{
    /** `YYYY-MM-DD`, the cohort's first day. */
    date: string;
    /** Users born in the cohort (Mixpanel's `first`). */
    size: number;
    /** retained[i]: users returning in interval i (0 is the birth interval). */
    retained: number[];
    /** Segment value when the query has `on`; null otherwise. */
    segment: string | null;
  }>;
}

/** Free-form rows: JQL output and anything tabular without a better shape. */
export interface RowsData {
  kind: 'rows';
  columns: Array<{ name: string; type: 'string' | 'number' | 'boolean' | 'json' }>;
  rows: Array<Array<string | number | boolean | null>>;
  /**
   * Parallel to `rows`, where a value came back as an `[id, name]` pair (Piwik PRO's enumerated
   * dimensions): the row shows the name, this keeps the id; null for every other cell.
   */
  cellIds?: Array<Array<string | number | null>>;
}

/** A Piwik PRO event inside a debugger session. Ids are strings: they overflow JS numbers. */
export interface DebuggerEvent {
  eventId: string;
  index: number;
  serverTime: string;
  type: { code: number; label: string };
  url?: string;
  title?: string;
  errorMessage?: string;
  exclusionReason?: string;
  /** Everything else the API returned for the event, coded fields as `[code, label]`. */
  fields: Record<string, unknown>;
  /** Raw tracking requests from /api/tracker/v1/log, when `logs` was asked for. */
  logs?: Array<Record<string, unknown>>;
}

export interface DebuggerSession {
  sessionId: string;
  visitorId: string;
  serverTime: string;
  updatedAt: string;
  entryUrl?: string;
  totalEvents: number;
  events: DebuggerEvent[];
  fields: Record<string, unknown>;
}

export interface DebuggerData {
  kind: 'debugger';
  sessions: DebuggerSession[];
}

export type ResultData = SeriesData | FunnelData | RetentionData | RowsData | DebuggerData;

/** A problem that did not stop the query: skipped input lines, a clipped result, a deprecation. */
export interface ResultWarning {
  code: string;
  message: string;
}

/** What `limit` cut: `shown` of `total` (undefined when the backend does not say how many there were). */
export interface LimitNotice {
  noun: 'segments' | 'sessions';
  shown: number;
  total?: number;
  /** The `limit` in force (the query's, or the default). */
  limit: number;
}

export interface QueryResult {
  title: string;
  queryKind: QueryKind;
  source: { kind: SourceKind; name: string };
  /** The resolved date range, when the query has one. */
  range?: { from: string; to: string };
  chart?: 'line' | 'bar' | 'pie' | 'table';
  /** True when `clean` was applied. */
  cleaned: boolean;
  data: ResultData;
  /**
   * `compare previous`: the same query over the range of the same length just before `range`;
   * bucket i of `data` is compared with bucket i of `comparison.data`.
   */
  comparison?: { range: { from: string; to: string }; data: SeriesData };
  meta: {
    /** ISO timestamp of when the answer was computed (not when a cached copy was served). */
    computedAt: string;
    durationMs: number;
    /** Set when the answer came from the cache. */
    cachedAgeMs?: number;
    rowCount: number;
    seriesCount: number;
    warnings: ResultWarning[];
    /**
     * The number the analyst asked for, in a few words: "12,345 events", "1,729 → 647 · 37.4 %",
     * "week 1 · 63 %", "3 broken events". Shown first in the outcome line and the panel header.
     */
    headline?: string;
    /** Set when `limit` (or the backend's own cap) left segments or sessions out. */
    limited?: LimitNotice;
  };
  /**
   * The backend's raw response for "show raw", as text, clipped to a bounded size
   * (`rawTruncated` says so). Never holds a credential.
   */
  raw?: string;
  rawTruncated?: boolean;
}

/**
 * A query with its defaults applied and its dates resolved: what a backend runs. Built from a
 * `QueryBlock` by `buildQuerySpec` (buildQuerySpec.ts), which is pure (the clock and time zone are
 * passed in), so the CLI, the server and the tests all get the same spec from the same text.
 */
import type { Expression, QueryKind, SourceKind, TextSpan } from '../languageService/parser/queryAst';

/** Inclusive calendar dates, `YYYY-MM-DD`, in the source's time zone. */
export interface DateRange {
  from: string;
  to: string;
}

export type TimeUnit = 'minute' | 'hour' | 'day' | 'week' | 'month';

/** A range written relative to today: `last N days|weeks|months`, `today`, `yesterday`. */
export type RelativeDates = { clause: 'last'; count: number; unit: 'day' | 'week' | 'month' } | { clause: 'today' | 'yesterday' };

/** What the query reads from: the nearest `use` line above it, or the workspace default. */
export interface SourceRef {
  kind: SourceKind;
  /** Source name (mixpanel/piwik) or data path (local), as written. */
  name: string;
}

interface SpecBase {
  kind: QueryKind;
  /** The `### Title`, or `Query N` (1-based) when untitled. */
  title: string;
  /** 0-based position in its file. */
  index: number;
  source: SourceRef | undefined;
  chart: 'line' | 'bar' | 'pie' | 'table' | undefined;
  clean: boolean;
}

export interface SegmentationSpec extends SpecBase {
  kind: 'segmentation';
  event: string;
  on: Expression | undefined;
  where: Expression | undefined;
  range: DateRange;
  /** Default `day`. */
  unit: TimeUnit;
  /** The query wrote `unit`: its headline is the last bucket rather than the range's total. */
  unitStated?: boolean;
  /** `compare previous`: also run over the range of the same length just before `range`. */
  compare?: 'previous';
  /** Default `general`. */
  type: 'general' | 'unique' | 'average';
  /** `count` unless a `measure` clause asks for sum/average/numeric of `on`. */
  measure: 'count' | 'sum' | 'average' | 'numeric';
  buckets: number | undefined;
  /** Default 60 (Mixpanel's default). */
  limit: number;
}

export interface FunnelSpec extends SpecBase {
  kind: 'funnel';
  /** Ad-hoc steps; empty for a saved funnel. */
  steps: string[];
  savedId: number | undefined;
  on: Expression | undefined;
  where: Expression | undefined;
  range: DateRange;
  /** Conversion window; default 7 days. Undefined on a saved funnel without `window` (its own applies). */
  window: { count: number; unit: 'minute' | 'hour' | 'day' } | undefined;
  /** With a unit, one funnel per date bucket as well as the whole range. */
  unit: TimeUnit | undefined;
  /** Counting mode: Mixpanel's default (first entry only; also when absent) or its Optimized Re-entry. */
  reentry?: 'default' | 'optimized';
  /** Default 255 (Mixpanel's default). */
  limit: number;
}

export interface InsightsSpec extends SpecBase {
  kind: 'insights';
  bookmarkId: number;
  /** Mixpanel's /insights uses the report's saved range; a range here narrows the returned series. */
  range: DateRange | undefined;
}

export interface RetentionSpec extends SpecBase {
  kind: 'retention';
  bornEvent: string;
  /** Undefined: any event counts as a return. */
  returnEvent: string | undefined;
  on: Expression | undefined;
  where: Expression | undefined;
  bornWhere: Expression | undefined;
  range: DateRange;
  /** Default `day`. */
  unit: 'day' | 'week' | 'month';
  /** Default 1 (plus the 0th bucket). */
  intervalCount: number;
  /** Default `birth`. */
  retentionType: 'birth' | 'compounded';
  /**
   * `rolling` (default, Mixpanel's): interval N is N to N+1 units after the cohort event (a day is
   * 24 hours, a week 7 days, a month 30 days). `calendar` (`calendar_windows`): interval N is the
   * Nth calendar day, week or month after the cohort's own.
   */
  windows: 'rolling' | 'calendar';
  /** `unbounded_retention`: interval N counts users who came back in interval N or any later one. */
  unbounded: boolean;
  limit: number;
}

export interface JqlSpec extends SpecBase {
  kind: 'jql';
  /** As written; the host resolves it against the .aq file's folder. */
  scriptPath: string;
  /** The `params` object plus `from_date` and `to_date` from the range. */
  params: Record<string, unknown>;
  range: DateRange;
}

export interface DebuggerSpec extends SpecBase {
  kind: 'debugger';
  appId: string;
  /** Event type codes; empty means all. */
  eventTypes: number[];
  /** Minutes, 1–300, default 30. */
  lookupWindow: number;
  /** Default 100 (the API's default). */
  limit: number;
  logs: boolean;
}

/** A Piwik PRO column of a report: a column id, with a transformation when written as a call. */
export interface ReportColumn {
  columnId: string;
  transformationId?: string;
  /** Where it is written, so an error the API reports about it lands on it. */
  span: TextSpan;
}

/** One condition of `filters` / `metric_filters`, with the API's operator name. */
export interface ReportCondition {
  column: ReportColumn;
  operator: string;
  /** As written; an enumerated dimension's label is turned into its id when the request is built. `null` for empty / not_empty. */
  value: string | number | boolean | null;
}

/** Piwik PRO's and/or nesting; the top level is always a group. */
export interface ReportFilter {
  operator: 'and' | 'or';
  conditions: Array<ReportFilter | ReportCondition>;
}

export type ReportUnit = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year';

export interface ReportSpec extends SpecBase {
  kind: 'report';
  websiteId: string;
  /** The time dimension put first when set. */
  unit: ReportUnit | undefined;
  dimensions: ReportColumn[];
  metrics: ReportColumn[];
  where: ReportFilter | undefined;
  having: ReportFilter | undefined;
  /** `order_by`: the index into the request's columns (the time column counts) and the direction. */
  order: { index: number; direction: 'asc' | 'desc' } | undefined;
  /** Rows wanted; undefined leaves the API's default (100). */
  limit: number | undefined;
  range: DateRange;
  /**
   * The relative clause `range` was resolved from, if any: the backend resolves it again in the
   * website's own time zone when the source sets none.
   */
  relativeDates?: RelativeDates;
  /** Where each clause is written, so an API error about a parameter can point at its clause. */
  clauseSpans: Record<string, TextSpan>;
}

export type QuerySpec = SegmentationSpec | FunnelSpec | InsightsSpec | RetentionSpec | JqlSpec | DebuggerSpec | ReportSpec;

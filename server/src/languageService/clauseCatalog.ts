/**
 * The aq language's vocabulary in one table: which clauses exist, what value each takes, which
 * query kinds accept it, and the enum values that completion offers. The parser reads it to know
 * how to parse a clause's value, the analyser to check placement, completion to offer keywords,
 * and docs/language.md describes the same table for people. Changing the language starts here.
 */
import type { DurationUnit, ExpectMeasureKind, QueryKind, SourceKind } from './parser/queryAst';

/** How a clause's value is written. */
export type ClauseValueShape =
  | 'flag' // nothing after the keyword
  | 'expression' // a segmentation expression
  | 'word' // one bare word from `values`
  | 'number' // a non-negative integer
  | 'dateRange' // `D to D`
  | 'duration' // `N unit`
  | 'json' // a JSON object
  | 'wordList' // comma-separated words or numbers
  | 'columnList' // comma-separated Piwik PRO column ids, a transformation written as a call: sum(revenue)
  | 'reportFilter' // Piwik PRO filter conditions joined by and/or: device_type == "desktop"
  | 'order' // a column id and asc/desc
  | 'expectation'; // `expect MEASURE OP VALUE`: an assertion on the result

export interface ClauseSpec {
  name: string;
  shape: ClauseValueShape;
  /** Query kinds on which the clause is allowed. */
  kinds: readonly QueryKind[];
  /** The Mixpanel / Piwik PRO parameter the clause becomes, for hover and docs. */
  apiParameter: string;
  /** One-line description for completion and hover. */
  description: string;
  /** For `word` and `wordList` shapes: the accepted values (completion offers them). */
  values?: readonly string[];
  /** The clause may be written several times in one query (`expect`). */
  repeatable?: boolean;
  /** Clauses in the same exclusive group may not appear together (e.g. the date-range forms). */
  exclusiveGroup?: string;
  /** Inclusive bounds for `number` shapes. */
  min?: number;
  max?: number;
  /** Source kinds that can honour the clause, when not every source of its query kinds can. */
  sources?: readonly SourceKind[];
  /** A different value shape on some query kinds (`where` on a report is a Piwik PRO filter). */
  shapeByKind?: Partial<Record<QueryKind, ClauseValueShape>>;
  /** Different accepted values on some query kinds (`unit` on a report also takes quarter and year). */
  valuesByKind?: Partial<Record<QueryKind, readonly string[]>>;
  /** A different upper bound on some query kinds (a report's `limit` pages through Piwik PRO's answer). */
  maxByKind?: Partial<Record<QueryKind, number>>;
}

/** The shape of `spec`'s value on a query of `kind`. */
export function clauseShape(spec: ClauseSpec, kind: QueryKind | undefined): ClauseValueShape {
  return (kind && spec.shapeByKind?.[kind]) || spec.shape;
}

/** The accepted values of `spec` on a query of `kind`. */
export function clauseValues(spec: ClauseSpec, kind: QueryKind | undefined): readonly string[] | undefined {
  return (kind && spec.valuesByKind?.[kind]) || spec.values;
}

/** The upper bound of a number clause on a query of `kind`. */
export function clauseMax(spec: ClauseSpec, kind: QueryKind | undefined): number | undefined {
  return (kind && spec.maxByKind?.[kind]) || spec.max;
}

/**
 * Operators of a report's `where` and `having`, as written, and the Piwik PRO Analytics Query API
 * operator each becomes. `empty` and `not_empty` take no value. Piwik PRO's own operator names are
 * accepted too, so a filter copied from the API reads the same.
 */
export const REPORT_FILTER_OPERATORS: Readonly<Record<string, string>> = {
  '==': 'eq',
  '!=': 'neq',
  '>': 'gt',
  '>=': 'gte',
  '<': 'lt',
  '<=': 'lte',
  eq: 'eq',
  neq: 'neq',
  gt: 'gt',
  gte: 'gte',
  lt: 'lt',
  lte: 'lte',
  contains: 'contains',
  not_contains: 'not_contains',
  icontains: 'icontains',
  not_icontains: 'not_icontains',
  starts_with: 'starts_with',
  ends_with: 'ends_with',
  matches: 'matches',
  not_matches: 'not_matches',
  empty: 'empty',
  not_empty: 'not_empty',
};

/** Report filter operators that take no value. */
export const VALUELESS_REPORT_OPERATORS: ReadonlySet<string> = new Set(['empty', 'not_empty']);

/** `having` compares metrics: numbers only (Piwik PRO's metric_filters operators). */
export const METRIC_FILTER_OPERATORS: ReadonlySet<string> = new Set(['eq', 'neq', 'gt', 'gte', 'lt', 'lte']);

/** A report's `unit` and the Piwik PRO transformation of `timestamp` it becomes. */
export const REPORT_UNIT_TRANSFORMATIONS: Readonly<Record<string, string>> = {
  minute: 'to_start_of_minute',
  hour: 'to_start_of_hour',
  day: 'to_date',
  week: 'to_start_of_week',
  month: 'to_start_of_month',
  quarter: 'to_start_of_quarter',
  year: 'to_start_of_year',
};

const SEGMENTED: readonly QueryKind[] = ['segmentation', 'funnel', 'retention'];
const DATED: readonly QueryKind[] = ['segmentation', 'funnel', 'retention', 'jql', 'insights', 'report'];

/** Piwik PRO Tracker Debugger event types (docs/api-notes.md); code 10 is not exposed by the API. */
export const PIWIK_EVENT_TYPES: Readonly<Record<string, number>> = {
  page_view: 1,
  outlink: 2,
  download: 3,
  search: 4,
  custom_event: 5,
  content_impression: 6,
  content_interaction: 7,
  goal: 8,
  ecommerce_conversion: 9,
  sharepoint: 11,
  consent_form_impression: 12,
  consent_form_click: 13,
  consent_decision: 14,
  custom_ping: 15,
  cart_update: 16,
  broken: 17,
  excluded: 18,
  heartbeat: 19,
  deanonymization: 20,
  page_performance: 21,
  product_detail_view: 22,
  add_to_cart: 23,
  remove_from_cart: 24,
};

export const CLAUSES: readonly ClauseSpec[] = [
  { name: 'on', shape: 'expression', kinds: SEGMENTED, apiParameter: 'on', description: 'Segment the result by this expression: one series per value.' },
  {
    name: 'where',
    shape: 'expression',
    kinds: [...SEGMENTED, 'report'],
    apiParameter: 'where',
    description: 'Keep only events for which this expression is true; on a report, conditions on dimensions: `where device_type == "desktop"`.',
    shapeByKind: { report: 'reportFilter' },
  },
  {
    name: 'born_where',
    shape: 'expression',
    kinds: ['retention'],
    apiParameter: 'born_where',
    description: 'Keep only cohorts whose birth event matches this expression.',
  },
  {
    name: 'from',
    shape: 'dateRange',
    kinds: DATED,
    apiParameter: 'from_date, to_date',
    description: 'Inclusive date range: `from 2026-10-01 to 2026-10-31`.',
    exclusiveGroup: 'dates',
  },
  {
    name: 'last',
    shape: 'duration',
    kinds: DATED,
    apiParameter: 'from_date, to_date',
    description: 'The last N days, weeks or months, ending today.',
    values: ['days', 'weeks', 'months'],
    exclusiveGroup: 'dates',
  },
  { name: 'today', shape: 'flag', kinds: DATED, apiParameter: 'from_date, to_date', description: 'Today only.', exclusiveGroup: 'dates' },
  { name: 'yesterday', shape: 'flag', kinds: DATED, apiParameter: 'from_date, to_date', description: 'Yesterday only.', exclusiveGroup: 'dates' },
  {
    name: 'unit',
    shape: 'word',
    kinds: ['segmentation', 'funnel', 'retention', 'report'],
    apiParameter: 'unit',
    description: 'Time bucket of the series.',
    values: ['minute', 'hour', 'day', 'week', 'month'],
    valuesByKind: { report: Object.keys(REPORT_UNIT_TRANSFORMATIONS) },
  },
  {
    name: 'type',
    shape: 'word',
    kinds: ['segmentation'],
    apiParameter: 'type',
    description: 'general: all events; unique: distinct users; average: events per user.',
    values: ['general', 'unique', 'average'],
  },
  {
    name: 'measure',
    shape: 'word',
    kinds: ['segmentation'],
    apiParameter: '/segmentation/sum, /average, /numeric',
    description: 'Aggregate the numeric `on` expression instead of counting events: sum, average, or numeric buckets.',
    values: ['sum', 'average', 'numeric'],
  },
  {
    name: 'buckets',
    shape: 'number',
    kinds: ['segmentation'],
    apiParameter: 'buckets',
    description: 'Number of buckets for `measure numeric`.',
    min: 1,
    max: 100,
  },
  {
    name: 'limit',
    shape: 'number',
    kinds: ['segmentation', 'funnel', 'retention', 'debugger', 'report'],
    apiParameter: 'limit',
    description: 'Top N segments (Mixpanel), sessions (Piwik PRO debugger) or rows (Piwik PRO report).',
    min: 1,
    max: 10000,
    maxByKind: { report: 100_000 },
  },
  {
    name: 'chart',
    shape: 'word',
    kinds: ['segmentation', 'funnel', 'retention', 'insights', 'jql', 'report'],
    apiParameter: '(display)',
    description: 'How the results panel draws the result.',
    values: ['line', 'bar', 'pie', 'table'],
  },
  {
    name: 'compare',
    shape: 'word',
    kinds: ['segmentation'],
    apiParameter: '(a second query over the preceding range)',
    description:
      'Compare with the previous period: the same query over the range of the same length just before; the chart draws it dashed, the table adds the change.',
    values: ['previous'],
  },
  {
    name: 'clean',
    shape: 'flag',
    kinds: ['segmentation', 'funnel', 'retention', 'insights', 'jql'],
    apiParameter: '(display)',
    description: 'Drop "", "undefined" and null segments from the result.',
  },
  {
    name: 'window',
    shape: 'duration',
    kinds: ['funnel'],
    apiParameter: 'length, length_unit',
    description: 'Conversion window: how long a user has to finish the funnel.',
    values: ['minutes', 'hours', 'days'],
  },
  {
    name: 'reentry',
    shape: 'word',
    kinds: ['funnel'],
    apiParameter: '(generated JQL; /funnels has none)',
    description: "Counting mode: default (a user's first entry only) or optimized (Mixpanel's Optimized Re-entry: later entries can convert).",
    values: ['default', 'optimized'],
  },
  {
    name: 'interval_count',
    shape: 'number',
    kinds: ['retention'],
    apiParameter: 'interval_count',
    description: 'Number of retention intervals after the birth interval.',
    min: 1,
    max: 400,
  },
  {
    name: 'retention_type',
    shape: 'word',
    kinds: ['retention'],
    apiParameter: 'retention_type',
    description:
      "birth: cohorts by each user's first birth event in the data; compounded: recurring, cohorts by the return event (the birth event is ignored).",
    values: ['birth', 'compounded'],
  },
  {
    name: 'unbounded_retention',
    shape: 'flag',
    kinds: ['retention'],
    apiParameter: 'unbounded_retention',
    description: '"On or after" retention: interval N counts users who came back in interval N or any later one.',
  },
  {
    name: 'calendar_windows',
    shape: 'flag',
    kinds: ['retention'],
    apiParameter: '(none: local sources only)',
    description:
      "Calendar intervals: interval N is the Nth calendar day, week or month after the cohort's, instead of N to N+1 units (24 hours a day) after each user's birth. Local sources only.",
    sources: ['local'],
  },
  { name: 'params', shape: 'json', kinds: ['jql'], apiParameter: 'params', description: 'JSON object passed to the script as `params`.' },
  {
    name: 'event_type',
    shape: 'wordList',
    kinds: ['debugger'],
    apiParameter: 'event_type',
    description: 'Sessions with at least one event of these types (names or codes).',
    values: Object.keys(PIWIK_EVENT_TYPES),
  },
  {
    name: 'lookup_window',
    shape: 'number',
    kinds: ['debugger'],
    apiParameter: 'lookup_window',
    description: 'Minutes to look back (1–300, default 30).',
    min: 1,
    max: 300,
  },
  {
    name: 'dimensions',
    shape: 'columnList',
    kinds: ['report'],
    apiParameter: 'columns',
    description: 'The dimensions to break the report down by: Piwik PRO column ids, e.g. `dimensions source_medium, device_type`.',
  },
  {
    name: 'metrics',
    shape: 'columnList',
    kinds: ['report'],
    apiParameter: 'columns',
    description: 'The metrics to compute: Piwik PRO column ids; a dimension turned into a metric is a call, e.g. `metrics sessions, sum(revenue)`.',
  },
  {
    name: 'having',
    shape: 'reportFilter',
    kinds: ['report'],
    apiParameter: 'metric_filters',
    description: 'Keep only rows whose metrics match: `having sessions > 10`.',
  },
  {
    name: 'order',
    shape: 'order',
    kinds: ['report'],
    apiParameter: 'order_by',
    description: 'Sort the rows by a column of the report: `order sessions desc` (default: the first metric, descending).',
    values: ['asc', 'desc'],
  },
  { name: 'logs', shape: 'flag', kinds: ['debugger'], apiParameter: '/api/tracker/v1/log', description: 'Fetch the raw request log for each matching event.' },
  {
    name: 'expect',
    shape: 'expectation',
    kinds: ['segmentation', 'funnel', 'retention', 'insights', 'jql', 'report'],
    apiParameter: '(checked on the result by aq test)',
    description:
      'An assertion on the result, checked by `aq test` and the Test Explorer: `expect total > 1000`, `expect conversion between 25% and 40%`, `expect total within 20% of previous`. A query may have several.',
    repeatable: true,
  },
];

/** One measure an `expect` clause can name, and where it applies. */
export interface ExpectMeasureSpec {
  /** The form as written, for completion and messages. */
  form: string;
  /** The first word. */
  keyword: Exclude<ExpectMeasureKind, 'unknown'>;
  /** The trailing word, when the form has one. */
  qualifier?: string;
  kinds: readonly QueryKind[];
  /** A share (0–1, or a percentage); otherwise a count, where a percentage is an error. */
  share: boolean;
  description: string;
}

/** Every measure of `expect`, in completion order. */
export const EXPECT_MEASURES: readonly ExpectMeasureSpec[] = [
  {
    form: 'total',
    keyword: 'total',
    kinds: ['segmentation', 'insights'],
    share: false,
    description:
      "The query's number over the whole range, every segment together: events (type general), distinct users over the whole range (type unique), events per user (type average), or the sum / average of `measure`.",
  },
  {
    form: 'rows',
    keyword: 'rows',
    kinds: ['segmentation', 'funnel', 'retention', 'insights', 'jql', 'report'],
    share: false,
    description: "How many rows the results table has (JQL output rows, a report's rows, a series' dates).",
  },
  {
    form: 'series "NAME" total',
    keyword: 'series',
    qualifier: 'total',
    kinds: ['segmentation', 'insights'],
    share: false,
    description: 'The total of one segment of `on` (one series of a saved report), by its value as shown.',
  },
  {
    form: 'conversion',
    keyword: 'conversion',
    kinds: ['funnel'],
    share: true,
    description: "The funnel's overall conversion: users reaching the last step over users entering the first, all users together.",
  },
  {
    form: 'step "NAME" count',
    keyword: 'step',
    qualifier: 'count',
    kinds: ['funnel'],
    share: false,
    description: 'Users reaching this step of the funnel, all users together.',
  },
  {
    form: 'step "NAME" conversion',
    keyword: 'step',
    qualifier: 'conversion',
    kinds: ['funnel'],
    share: true,
    description: 'Users reaching this step over users entering the first step.',
  },
  {
    form: 'retained N',
    keyword: 'retained',
    kinds: ['retention'],
    share: true,
    description:
      "The share of users retained in interval N, all cohorts together: Mixpanel's weighted average over the cohorts old enough to have interval N (the Average row, % view).",
  },
  {
    form: 'retained N count',
    keyword: 'retained',
    qualifier: 'count',
    kinds: ['retention'],
    share: false,
    description: "Users retained in interval N: Mixpanel's weighted average count over the cohorts old enough to have interval N (the Average row, # view).",
  },
];

/** The measure spec of a parsed measure, matched on its keyword and qualifier; undefined for an unknown form. */
export function expectMeasureSpec(keyword: string, qualifier: string | undefined): ExpectMeasureSpec | undefined {
  return EXPECT_MEASURES.find((measure) => measure.keyword === keyword && measure.qualifier === qualifier);
}

/** The comparison operators of `expect`. */
export const EXPECT_OPERATORS: readonly string[] = ['==', '!=', '<', '<=', '>', '>=', 'between', 'within'];

export const CLAUSES_BY_NAME: ReadonlyMap<string, ClauseSpec> = new Map(CLAUSES.map((c) => [c.name, c]));

export const QUERY_KINDS: readonly QueryKind[] = ['segmentation', 'funnel', 'insights', 'retention', 'jql', 'debugger', 'report'];

/** The source kind each query kind runs on (local runs every Mixpanel kind; only `debugger` needs Piwik PRO). */
export const QUERY_KIND_SOURCES: Readonly<Record<QueryKind, readonly SourceKind[]>> = {
  segmentation: ['mixpanel', 'local'],
  funnel: ['mixpanel', 'local'],
  insights: ['mixpanel'],
  retention: ['mixpanel', 'local'],
  jql: ['mixpanel', 'local'],
  debugger: ['piwik'],
  report: ['piwik'],
};

/** Query kinds that must say which dates they cover (Mixpanel requires from_date/to_date). */
export const DATE_RANGE_REQUIRED: ReadonlySet<QueryKind> = new Set(['segmentation', 'funnel', 'retention', 'jql', 'report']);

/** A funnel's conversion window without `window`: Mixpanel's default for a funnel built in its UI (7 days). */
export const DEFAULT_FUNNEL_WINDOW = { count: 7, unit: 'day' as const };

/** Clause text inserted by the "add missing date range" quick fix. */
export const DEFAULT_DATE_CLAUSE = 'last 30 days';

export const SOURCE_KINDS: readonly SourceKind[] = ['mixpanel', 'piwik', 'local'];

/** Accepted spellings of duration units, singular and plural. */
export const DURATION_UNITS: Readonly<Record<string, DurationUnit>> = {
  minute: 'minute',
  minutes: 'minute',
  hour: 'hour',
  hours: 'hour',
  day: 'day',
  days: 'day',
  week: 'week',
  weeks: 'week',
  month: 'month',
  months: 'month',
};

/** Functions of Mixpanel's expression grammar (docs/api-notes.md) with their arity. */
export const EXPRESSION_FUNCTIONS: Readonly<
  Record<string, { minArgs: number; maxArgs: number; returns: 'boolean' | 'number' | 'string' | 'datetime' | 'list' | 'any'; description: string }>
> = {
  defined: { minArgs: 1, maxArgs: 1, returns: 'boolean', description: 'True when the property is set.' },
  boolean: {
    minArgs: 1,
    maxArgs: 1,
    returns: 'boolean',
    description: 'Cast to boolean: "false", 0, null, undefined and "" are false; any other set value is true.',
  },
  number: { minArgs: 1, maxArgs: 1, returns: 'number', description: 'Cast to number (undefined when not numeric).' },
  string: { minArgs: 1, maxArgs: 1, returns: 'string', description: 'Cast to string.' },
  datetime: { minArgs: 1, maxArgs: 1, returns: 'datetime', description: 'Parse a date or timestamp.' },
  floor: { minArgs: 1, maxArgs: 1, returns: 'number', description: 'Round down.' },
  round: { minArgs: 1, maxArgs: 1, returns: 'number', description: 'Round to the nearest integer.' },
  ceil: { minArgs: 1, maxArgs: 1, returns: 'number', description: 'Round up.' },
  has_prefix: { minArgs: 2, maxArgs: 2, returns: 'boolean', description: 'True when the first string starts with the second.' },
};

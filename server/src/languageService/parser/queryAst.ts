/**
 * The syntax tree of an `.aq` file. Produced by `parseAqDocument` (queryParser.ts), read by the
 * analyser, completion, hover, the query-spec builder and every backend.
 *
 * Every node carries a `span` of character offsets into the document text (`start` inclusive,
 * `end` exclusive). The parser is tolerant: a node whose text is broken is still produced where
 * its kind is known, with the broken part left `undefined` (or an `ErrorExpression`), and the
 * problem reported in `AqDocument.problems`.
 */
import type { QuickFix, TextSpan } from './textSpan';

export type { TextSpan } from './textSpan';

/** Data-source kinds a `use` line can name. */
export type SourceKind = 'mixpanel' | 'piwik' | 'local';

/** Query kinds a head line can start with. */
export type QueryKind = 'segmentation' | 'funnel' | 'insights' | 'retention' | 'jql' | 'debugger' | 'report';

/** A syntax problem found by the tokenizer or parser. */
export interface SyntaxProblem {
  span: TextSpan;
  message: string;
  /** Stable kebab-case code, e.g. `unterminated-string`, `expected-expression`. */
  code: string;
  /** Edits that repair the problem, e.g. the closest query kind for a misspelt head keyword. */
  fixes?: QuickFix[];
}

/** A string literal as written, with its decoded value. */
export interface StringNode {
  span: TextSpan;
  value: string;
  /** False when the closing quote is missing (the value then runs to the end of the line). */
  terminated: boolean;
}

/** An integer or decimal literal outside an expression (ids, counts, limits). */
export interface NumberNode {
  span: TextSpan;
  value: number;
  /** The literal text; ids such as funnel ids are kept exactly as written. */
  text: string;
}

/** A bare word (enum values such as `day`, `unique`, `broken`). */
export interface WordNode {
  span: TextSpan;
  value: string;
}

/** `use mixpanel "shop"` / `use piwik "site"` / `use local "data/shop.ndjson"`. */
export interface UseDirective {
  span: TextSpan;
  /** Undefined when the word after `use` is not a known source kind. */
  sourceKind: SourceKind | undefined;
  sourceKindSpan: TextSpan | undefined;
  /** The source name (mixpanel/piwik) or the data path (local). */
  target: StringNode | undefined;
}

// ---------------------------------------------------------------------------------------------
// Query heads
// ---------------------------------------------------------------------------------------------

interface HeadBase {
  span: TextSpan;
  keywordSpan: TextSpan;
}

/** `segmentation "Sign Up"` */
export interface SegmentationHead extends HeadBase {
  kind: 'segmentation';
  event: StringNode | undefined;
}

/** `funnel "A" -> "B" -> "C"` (ad hoc) or `funnel id 7125032` (saved). */
export interface FunnelHead extends HeadBase {
  kind: 'funnel';
  /** Ad-hoc steps, in order. Empty for a saved funnel. */
  steps: StringNode[];
  /** Saved funnel id, when written as `funnel id N`. */
  savedId: NumberNode | undefined;
}

/** `insights id 44012` */
export interface InsightsHead extends HeadBase {
  kind: 'insights';
  bookmarkId: NumberNode | undefined;
}

/** `retention "Sign Up" -> "Purchase"`; with a single event, any event counts as a return. */
export interface RetentionHead extends HeadBase {
  kind: 'retention';
  bornEvent: StringNode | undefined;
  /** The return event; undefined means any event (Mixpanel's default). */
  returnEvent: StringNode | undefined;
}

/** `jql "queries/top-browsers.jql"` */
export interface JqlHead extends HeadBase {
  kind: 'jql';
  scriptPath: StringNode | undefined;
}

/** `debugger "<app id>"` (Piwik PRO Tracker Debugger). */
export interface DebuggerHead extends HeadBase {
  kind: 'debugger';
  appId: StringNode | undefined;
}

/** `report "<website id>"` (Piwik PRO Analytics Query API). */
export interface ReportHead extends HeadBase {
  kind: 'report';
  websiteId: StringNode | undefined;
}

export type QueryHead = SegmentationHead | FunnelHead | InsightsHead | RetentionHead | JqlHead | DebuggerHead | ReportHead;

// ---------------------------------------------------------------------------------------------
// Clauses
// ---------------------------------------------------------------------------------------------

/** Units accepted by `last N <unit>` and `window N <unit>`. Singular and plural both parse to these. */
export type DurationUnit = 'minute' | 'hour' | 'day' | 'week' | 'month';

/** The typed value of a clause; which one a clause carries is fixed by `clauseCatalog.ts`. */
export type ClauseValue =
  | { type: 'flag' }
  | { type: 'expression'; expression: Expression }
  | { type: 'word'; word: WordNode }
  | { type: 'number'; number: NumberNode }
  /** `from 2026-10-01 to 2026-10-31`; a date is `YYYY-MM-DD` (or `YYYY-MM-DDTHH:MM` for minute/hour units). */
  | { type: 'dateRange'; from: WordNode | undefined; to: WordNode | undefined }
  /** `last 30 days`, `window 14 days` */
  | { type: 'duration'; count: NumberNode | undefined; unit: WordNode | undefined }
  /** `params { "event": "Sign Up" }`: a JSON object; `value` is undefined when it does not parse. */
  | { type: 'json'; span: TextSpan; value: Record<string, unknown> | undefined }
  /** `event_type broken, 17`: one or more names or numbers. */
  | { type: 'wordList'; words: WordNode[] }
  /** `dimensions source_medium, device_type` / `metrics sessions, sum(revenue)`: Piwik PRO column ids. */
  | { type: 'columnList'; columns: ColumnRefNode[] }
  /** `where device_type == "desktop"` / `having sessions > 10` on a report: Piwik PRO filter conditions. */
  | { type: 'reportFilter'; filter: ReportFilterNode }
  /** `order sessions desc`: a column of the report and an optional direction. */
  | { type: 'order'; column: ColumnRefNode | undefined; direction: WordNode | undefined }
  /** `expect total > 1000`: an assertion checked on the query's result by `aq test`. */
  | { type: 'expectation'; expectation: ExpectationNode }
  /** The clause's value could not be parsed; the problem is in `AqDocument.problems`. */
  | { type: 'invalid' };

/** The measure words an `expect` clause starts with; `unknown` is any other word (the analyser reports it). */
export type ExpectMeasureKind = 'total' | 'rows' | 'series' | 'conversion' | 'step' | 'retained' | 'unknown';

/**
 * What an expectation measures: `total`, `rows`, `series "NAME" total`, `conversion`,
 * `step "NAME" count|conversion`, `retained N` or `retained N count`.
 */
export interface ExpectMeasureNode {
  span: TextSpan;
  kind: ExpectMeasureKind;
  /** The first word as written (`total`, `step`, or the unknown word). */
  keyword: WordNode;
  /** The series or step name of `series "NAME" total` / `step "NAME" …`. */
  name: StringNode | undefined;
  /** The interval of `retained N`. */
  interval: NumberNode | undefined;
  /** The trailing word: `total` after a series, `count`/`conversion` after a step, `count` after `retained N`. */
  qualifier: WordNode | undefined;
}

/** A number or a percentage (`37.5%`) an expectation compares with. */
export interface ExpectValueNode {
  span: TextSpan;
  /** As written: 37.5 for `37.5%`. */
  value: number;
  percent: boolean;
}

export type ExpectOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** `== 10`, `between 10 and 20`, `within 10% of previous`. */
export type ExpectComparisonNode =
  | { kind: 'compare'; span: TextSpan; operator: ExpectOperator; operatorSpan: TextSpan; value: ExpectValueNode | undefined }
  | { kind: 'between'; span: TextSpan; keywordSpan: TextSpan; low: ExpectValueNode | undefined; high: ExpectValueNode | undefined }
  | { kind: 'within'; span: TextSpan; keywordSpan: TextSpan; tolerance: ExpectValueNode | undefined };

/** The value of an `expect` clause; parts that do not parse are undefined (the problem is reported). */
export interface ExpectationNode {
  /** From the measure to the end of the clause: the expectation as written. */
  span: TextSpan;
  measure: ExpectMeasureNode | undefined;
  comparison: ExpectComparisonNode | undefined;
}

/** A Piwik PRO column id, optionally with a transformation written as a call: `sum(revenue)`. */
export interface ColumnRefNode {
  span: TextSpan;
  column: WordNode;
  /** The transformation id (`sum` in `sum(revenue)`), when written as a call. */
  transformation: WordNode | undefined;
}

/** A literal compared against in a report filter. */
export interface ReportLiteralNode {
  span: TextSpan;
  value: string | number | boolean;
}

/** One condition of a report filter: `device_type == "desktop"`, `event_url contains "/blog"`, `campaign_name empty`. */
export interface ReportConditionNode {
  type: 'condition';
  span: TextSpan;
  column: ColumnRefNode;
  /** The operator as written (`==`, `>=`, `contains`, `not_empty`, …). */
  operator: WordNode;
  /** Undefined for `empty` / `not_empty`, which take no value, or when the value is missing. */
  value: ReportLiteralNode | undefined;
}

/** `a and b`, `a or (b and c)`: the and/or nesting Piwik PRO's filters take. */
export interface ReportGroupNode {
  type: 'group';
  span: TextSpan;
  operator: 'and' | 'or';
  conditions: ReportFilterNode[];
}

/** A report filter tree; `error` is a hole left by a syntax error (the problem is reported). */
export type ReportFilterNode = ReportConditionNode | ReportGroupNode | { type: 'error'; span: TextSpan };

/** One indented line (possibly continued on further, deeper-indented lines) under a query head. */
export interface Clause {
  span: TextSpan;
  /** The clause keyword as written (lower-case), e.g. `on`, `where`, `from`, `last`, `unit`. */
  name: string;
  nameSpan: TextSpan;
  value: ClauseValue;
}

/** One query: an optional `### Title` line, a head line and its clauses. */
export interface QueryBlock {
  /** From the title line (or the head when untitled) to the end of the last clause. */
  span: TextSpan;
  /** 0-based position among the file's queries. */
  index: number;
  /** The text after `###`, trimmed; undefined when the query has no title line. */
  title: string | undefined;
  titleSpan: TextSpan | undefined;
  /** Undefined when a title line is not followed by a query head. */
  head: QueryHead | undefined;
  clauses: Clause[];
  /** The nearest `use` line above this query, if any. */
  source: UseDirective | undefined;
}

/** A parsed `.aq` file. */
export interface AqDocument {
  textLength: number;
  uses: UseDirective[];
  queries: QueryBlock[];
  comments: TextSpan[];
  problems: SyntaxProblem[];
}

// ---------------------------------------------------------------------------------------------
// Segmentation expressions (Mixpanel's `on` / `where` grammar, docs/api-notes.md)
// ---------------------------------------------------------------------------------------------

/** `properties["x"]` (event property), `user["x"]` (profile property) or `event["x"]`. */
export interface PropertyExpression {
  type: 'property';
  span: TextSpan;
  scope: 'properties' | 'user' | 'event';
  name: string;
  /** The span of the string literal inside the brackets, quotes included. */
  nameSpan: TextSpan;
}

export interface StringExpression {
  type: 'string';
  span: TextSpan;
  value: string;
}

export interface NumberExpression {
  type: 'number';
  span: TextSpan;
  value: number;
}

export interface BooleanExpression {
  type: 'boolean';
  span: TextSpan;
  value: boolean;
}

export interface ListExpression {
  type: 'list';
  span: TextSpan;
  items: Expression[];
}

export type BinaryOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or' | 'in' | '+' | '-' | '*' | '/' | '%';

export interface BinaryExpression {
  type: 'binary';
  span: TextSpan;
  operator: BinaryOperator;
  operatorSpan: TextSpan;
  left: Expression;
  right: Expression;
}

export interface UnaryExpression {
  type: 'unary';
  span: TextSpan;
  operator: 'not' | '-';
  operand: Expression;
}

/** `defined(x)`, `number(x)`, `floor(x)`, … The callee is kept as written; the analyser checks it. */
export interface CallExpression {
  type: 'call';
  span: TextSpan;
  callee: string;
  calleeSpan: TextSpan;
  args: Expression[];
}

/** A hole left by error recovery; evaluation treats it as undefined. */
export interface ErrorExpression {
  type: 'error';
  span: TextSpan;
}

export type Expression =
  | PropertyExpression
  | StringExpression
  | NumberExpression
  | BooleanExpression
  | ListExpression
  | BinaryExpression
  | UnaryExpression
  | CallExpression
  | ErrorExpression;

/**
 * Turns a parsed query into the `QuerySpec` a backend runs: checks what a run cannot do without,
 * applies the defaults documented in querySpec.ts and resolves relative dates against a clock and
 * time zone passed in, so the result depends on nothing but its arguments.
 */
import {
  CLAUSES_BY_NAME,
  DATE_RANGE_REQUIRED,
  DEFAULT_FUNNEL_WINDOW,
  DURATION_UNITS,
  METRIC_FILTER_OPERATORS,
  PIWIK_EVENT_TYPES,
  REPORT_FILTER_OPERATORS,
  clauseMax,
  clauseValues,
} from '../languageService/clauseCatalog';
import type { Clause, ColumnRefNode, Expression, QueryBlock, QueryKind, ReportFilterNode, StringNode, TextSpan } from '../languageService/parser/queryAst';
import { queryTitle } from '../languageService/parser/queryTitle';
import type {
  DateRange,
  QuerySpec,
  RelativeDates,
  ReportColumn,
  ReportCondition,
  ReportFilter,
  ReportSpec,
  ReportUnit,
  SourceRef,
  TimeUnit,
} from './querySpec';

export interface BuildQuerySpecOptions {
  /** The clock: relative dates (`last 7 days`, `today`) end on this instant's date in `timezone`. */
  now: Date;
  /** IANA time zone of the source's project, e.g. `Europe/Berlin`; default UTC. */
  timezone?: string;
  /** The source for queries without a `use` line above them. */
  defaultSource?: SourceRef;
}

export interface QuerySpecError {
  span: TextSpan;
  message: string;
}

export type BuildQuerySpecResult = { ok: true; spec: QuerySpec } | { ok: false; errors: QuerySpecError[] };

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/;
const DATE_CLAUSES = ['from', 'last', 'today', 'yesterday'];
const DAY_MS = 86_400_000;

/** A calendar date as a UTC midnight timestamp, which makes day arithmetic exact. */
type CalendarDay = number;

function formatDay(day: CalendarDay): string {
  return new Date(day).toISOString().slice(0, 10);
}

function dayOf(year: number, month: number, date: number): CalendarDay {
  return Date.UTC(year, month - 1, date);
}

/** The same day of the month `months` earlier, clamped to the month's last day (Mar 31 → Feb 28). */
function monthsBefore(day: CalendarDay, months: number): CalendarDay {
  const date = new Date(day);
  const totalMonths = date.getUTCFullYear() * 12 + date.getUTCMonth() - months;
  const year = Math.floor(totalMonths / 12);
  const month = totalMonths - year * 12;
  const lastDayOfMonth = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(year, month, Math.min(date.getUTCDate(), lastDayOfMonth));
}

/** Today's date in `timezone`, or an error message when the zone is unknown. */
function todayIn(now: Date, timezone: string): CalendarDay | string {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone, year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(now);
  } catch {
    return `Unknown time zone '${timezone}': use an IANA name such as Europe/Berlin or UTC.`;
  }
  const part = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const day = dayOf(part('year'), part('month'), part('day'));
  return Number.isNaN(day) ? `Cannot tell today's date from the clock (${String(now)}).` : day;
}

/** Parses `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM` into its calendar day; undefined when not a real date. */
export function parseCalendarDate(text: string): CalendarDay | undefined {
  const match = DATE_PATTERN.exec(text);
  if (!match) return undefined;
  const [year, month, date] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || date < 1) return undefined;
  const day = dayOf(year, month, date);
  if (new Date(day).getUTCDate() !== date) return undefined;
  if (match[4] !== undefined && (Number(match[4]) > 23 || Number(match[5]) > 59)) return undefined;
  return day;
}

/**
 * The calendar dates of a relative range on the date `now` has in `timezone`, or why they cannot
 * be told (an unknown time zone). Exported so a backend that learns the time zone later (a Piwik PRO
 * website's own) resolves the same range the same way.
 */
export function resolveRelativeDates(relative: RelativeDates, now: Date, timezone: string): DateRange | string {
  const today = todayIn(now, timezone);
  if (typeof today === 'string') return today;
  switch (relative.clause) {
    case 'today':
      return { from: formatDay(today), to: formatDay(today) };
    case 'yesterday':
      return { from: formatDay(today - DAY_MS), to: formatDay(today - DAY_MS) };
    case 'last':
      if (relative.unit === 'day') return { from: formatDay(today - (relative.count - 1) * DAY_MS), to: formatDay(today) };
      if (relative.unit === 'week') return { from: formatDay(today - (7 * relative.count - 1) * DAY_MS), to: formatDay(today) };
      return { from: formatDay(monthsBefore(today, relative.count) + DAY_MS), to: formatDay(today) };
  }
}

class SpecBuilder {
  readonly errors: QuerySpecError[] = [];
  private readonly clauses = new Map<string, Clause>();
  private readonly blockSpan: TextSpan;
  private kind: QueryKind | undefined;
  /** Set when the range came from `last`, `today` or `yesterday`. */
  private relativeDates: RelativeDates | undefined;

  constructor(
    private readonly block: QueryBlock,
    private readonly options: BuildQuerySpecOptions,
  ) {
    this.blockSpan = block.titleSpan ?? block.span;
  }

  fail(span: TextSpan, message: string): void {
    this.errors.push({ span, message });
  }

  build(): QuerySpec | undefined {
    const head = this.block.head;
    if (!head) {
      this.fail(this.blockSpan, 'This query has no head line (segmentation, funnel, insights, retention, jql, debugger or report).');
      return undefined;
    }
    this.kind = head.kind;
    this.collectClauses(head.kind);
    const base = {
      title: queryTitle(this.block),
      index: this.block.index,
      source: this.source(),
      chart: this.word('chart') as 'line' | 'bar' | 'pie' | 'table' | undefined,
      clean: this.clauses.has('clean'),
    };
    const range = this.range(head.kind);
    switch (head.kind) {
      case 'segmentation': {
        const on = this.expression('on');
        const measure = (this.word('measure') ?? 'count') as 'count' | 'sum' | 'average' | 'numeric';
        if (measure !== 'count' && !on)
          this.fail(this.clauses.get('measure')!.span, `'measure ${measure}' aggregates the 'on' expression: add an 'on' clause with a numeric property.`);
        const buckets = this.number('buckets');
        const unitWord = this.word('unit');
        if (buckets !== undefined && measure !== 'numeric') this.fail(this.clauses.get('buckets')!.span, "'buckets' only applies to 'measure numeric'.");
        return {
          ...base,
          kind: 'segmentation',
          event: this.requiredString(head.event, head.keywordSpan, 'an event name'),
          on,
          where: this.expression('where'),
          range: range ?? { from: '', to: '' },
          unit: (unitWord ?? 'day') as TimeUnit,
          ...(unitWord !== undefined ? { unitStated: true } : {}),
          ...(this.word('compare') === 'previous' ? { compare: 'previous' as const } : {}),
          type: (this.word('type') ?? 'general') as 'general' | 'unique' | 'average',
          measure,
          buckets,
          limit: this.number('limit') ?? 60,
        };
      }
      case 'funnel': {
        const steps = head.steps.map((step) => this.requiredString(step, step.span, 'an event name'));
        const savedId = head.savedId?.value;
        if (savedId === undefined && steps.length < 2) {
          this.fail(head.span, 'A funnel needs at least two steps ("A" -> "B") or a saved funnel id (funnel id N).');
        }
        const unit = this.word('unit') as TimeUnit | undefined;
        if (unit !== undefined && unit !== 'day' && unit !== 'week' && unit !== 'month') {
          this.fail(this.clauses.get('unit')!.span, `A funnel is bucketed by day, week or month, not '${unit}'.`);
        }
        return {
          ...base,
          kind: 'funnel',
          steps,
          savedId,
          on: this.expression('on'),
          where: this.expression('where'),
          range: range ?? { from: '', to: '' },
          window: this.window(savedId === undefined),
          unit,
          reentry: this.reentry(savedId),
          limit: this.number('limit') ?? 255,
        };
      }
      case 'insights': {
        if (!head.bookmarkId) this.fail(head.span, 'Name the saved Insights report: insights id 44012.');
        return { ...base, kind: 'insights', bookmarkId: head.bookmarkId?.value ?? 0, range };
      }
      case 'retention': {
        const unit = this.word('unit') ?? 'day';
        if (unit !== 'day' && unit !== 'week' && unit !== 'month') {
          this.fail(this.clauses.get('unit')!.span, `Retention is counted per day, week or month, not '${unit}'.`);
        }
        return {
          ...base,
          kind: 'retention',
          bornEvent: this.requiredString(head.bornEvent, head.keywordSpan, 'a birth event'),
          returnEvent: head.returnEvent ? this.requiredString(head.returnEvent, head.returnEvent.span, 'a return event') : undefined,
          on: this.expression('on'),
          where: this.expression('where'),
          bornWhere: this.expression('born_where'),
          range: range ?? { from: '', to: '' },
          unit: unit as 'day' | 'week' | 'month',
          intervalCount: this.number('interval_count') ?? 1,
          retentionType: (this.word('retention_type') ?? 'birth') as 'birth' | 'compounded',
          windows: this.clauses.has('calendar_windows') ? 'calendar' : 'rolling',
          unbounded: this.clauses.has('unbounded_retention'),
          limit: this.number('limit') ?? 60,
        };
      }
      case 'jql': {
        const resolved = range ?? { from: '', to: '' };
        const paramsClause = this.clauses.get('params');
        const params = paramsClause?.value.type === 'json' ? (paramsClause.value.value ?? {}) : {};
        return {
          ...base,
          kind: 'jql',
          scriptPath: this.requiredString(head.scriptPath, head.keywordSpan, 'the script path'),
          params: { ...params, from_date: resolved.from, to_date: resolved.to },
          range: resolved,
        };
      }
      case 'debugger':
        return {
          ...base,
          kind: 'debugger',
          appId: this.requiredString(head.appId, head.keywordSpan, 'the app id'),
          eventTypes: this.eventTypes(),
          lookupWindow: this.number('lookup_window') ?? 30,
          limit: this.number('limit') ?? 100,
          logs: this.clauses.has('logs'),
        };
      case 'report':
        return this.report(base, range ?? { from: '', to: '' }, this.requiredString(head.websiteId, head.keywordSpan, 'the website id'));
    }
  }

  private report(
    base: Omit<
      ReportSpec,
      'kind' | 'websiteId' | 'unit' | 'dimensions' | 'metrics' | 'where' | 'having' | 'order' | 'limit' | 'range' | 'relativeDates' | 'clauseSpans'
    >,
    range: DateRange,
    websiteId: string,
  ): ReportSpec {
    const dimensions = this.columns('dimensions');
    const metrics = this.columns('metrics');
    if (dimensions.length === 0 && metrics.length === 0) {
      this.fail(this.block.head?.span ?? this.blockSpan, 'A report needs at least one column: add `dimensions …` and/or `metrics …`, e.g. metrics sessions.');
    }
    const unit = this.word('unit') as ReportUnit | undefined;
    const clauseSpans: Record<string, TextSpan> = {};
    for (const [name, clause] of this.clauses) clauseSpans[name] = clause.span;
    return {
      ...base,
      kind: 'report',
      websiteId,
      unit,
      dimensions,
      metrics,
      where: this.reportFilter('where'),
      having: this.reportFilter('having'),
      order: this.reportOrder(unit, dimensions, metrics),
      limit: this.number('limit'),
      range,
      relativeDates: this.relativeDates,
      clauseSpans,
    };
  }

  private columns(name: 'dimensions' | 'metrics'): ReportColumn[] {
    const clause = this.clauses.get(name);
    if (clause?.value.type !== 'columnList') return [];
    return clause.value.columns.map(toReportColumn);
  }

  private reportFilter(name: 'where' | 'having'): ReportFilter | undefined {
    const clause = this.clauses.get(name);
    if (clause?.value.type !== 'reportFilter') return undefined;
    const filter = this.filterNode(name, clause.value.filter);
    if (!filter) return undefined;
    // The API's top level is always an and/or group, even around one condition.
    return 'conditions' in filter ? filter : { operator: 'and', conditions: [filter] };
  }

  private filterNode(clauseName: 'where' | 'having', node: ReportFilterNode): ReportFilter | ReportCondition | undefined {
    switch (node.type) {
      case 'error':
        this.fail(node.span, `The '${clauseName}' condition has a syntax error.`);
        return undefined;
      case 'group': {
        const conditions = node.conditions
          .map((child) => this.filterNode(clauseName, child))
          .filter((child): child is ReportFilter | ReportCondition => child !== undefined);
        return { operator: node.operator, conditions };
      }
      case 'condition': {
        const operator = REPORT_FILTER_OPERATORS[node.operator.value];
        if (clauseName === 'having' && !METRIC_FILTER_OPERATORS.has(operator)) {
          this.fail(node.operator.span, `'having' compares metrics with ==, !=, >, >=, <, <=; '${node.operator.value}' applies to dimensions in 'where'.`);
        }
        if (operator !== 'empty' && operator !== 'not_empty' && node.value === undefined) {
          this.fail(node.span, `The condition on '${node.column.column.value}' needs a value.`);
          return undefined;
        }
        if (clauseName === 'having' && node.value !== undefined && typeof node.value.value !== 'number') {
          this.fail(node.value.span, `'having' compares a metric with a number, not ${JSON.stringify(node.value.value)}.`);
        }
        return { column: toReportColumn(node.column), operator, value: node.value?.value ?? null };
      }
    }
  }

  private reportOrder(unit: ReportUnit | undefined, dimensions: ReportColumn[], metrics: ReportColumn[]): ReportSpec['order'] {
    const clause = this.clauses.get('order');
    if (clause?.value.type !== 'order' || !clause.value.column) return undefined;
    const { column, direction } = clause.value;
    const directionText = direction?.value ?? 'desc';
    if (directionText !== 'asc' && directionText !== 'desc') {
      this.fail(direction!.span, `Sort with 'asc' or 'desc', not '${directionText}'.`);
    }
    const wanted = toReportColumn(column);
    const columns: ReportColumn[] = [...(unit ? [{ columnId: 'timestamp', span: column.span }] : []), ...dimensions, ...metrics];
    const index =
      unit && wanted.columnId === 'timestamp' && !wanted.transformationId
        ? 0
        : columns.findIndex((c, i) => (i > 0 || !unit) && c.columnId === wanted.columnId && c.transformationId === wanted.transformationId);
    if (index < 0) {
      this.fail(
        column.span,
        `'order' sorts by a column of the report: add ${printColumn(wanted)} to 'dimensions' or 'metrics', or sort by one of ${columns.map(printColumn).join(', ') || 'them'}.`,
      );
      return undefined;
    }
    return { index, direction: directionText === 'asc' ? 'asc' : 'desc' };
  }

  /** Indexes the clauses by name, rejecting those a run cannot honour unambiguously. */
  private collectClauses(kind: QueryKind): void {
    for (const clause of this.block.clauses) {
      const spec = CLAUSES_BY_NAME.get(clause.name);
      if (!spec) {
        this.fail(clause.nameSpan, `Unknown clause '${clause.name}'.`);
        continue;
      }
      if (!spec.kinds.includes(kind)) {
        this.fail(clause.nameSpan, `'${clause.name}' does not apply to a ${kind} query.`);
        continue;
      }
      // `expect` is checked on the result, not sent: it is no part of the spec, however often it is written.
      if (spec.repeatable) continue;
      if (this.clauses.has(clause.name)) {
        this.fail(clause.nameSpan, `'${clause.name}' is given twice.`);
        continue;
      }
      if (clause.value.type === 'invalid' || (clause.value.type === 'json' && clause.value.value === undefined)) {
        this.fail(clause.span, `The value of '${clause.name}' is not valid.`);
        continue;
      }
      this.clauses.set(clause.name, clause);
    }
  }

  private source(): SourceRef | undefined {
    const use = this.block.source;
    if (!use) return this.options.defaultSource;
    if (!use.sourceKind || !use.target) {
      this.fail(use.span, 'The `use` line above this query is incomplete: write use mixpanel "NAME", use piwik "NAME" or use local "PATH".');
      return undefined;
    }
    return { kind: use.sourceKind, name: use.target.value };
  }

  private requiredString(node: StringNode | undefined, fallback: TextSpan, what: string): string {
    if (!node) {
      this.fail(fallback, `The query head needs ${what}.`);
      return '';
    }
    if (!node.terminated) this.fail(node.span, 'Unterminated string: add the closing ".');
    return node.value;
  }

  private word(name: string): string | undefined {
    const clause = this.clauses.get(name);
    if (clause?.value.type !== 'word') return undefined;
    const value = clause.value.word.value;
    const spec = CLAUSES_BY_NAME.get(name);
    const allowed = spec ? clauseValues(spec, this.kind) : undefined;
    if (allowed && !allowed.includes(value)) {
      this.fail(clause.value.word.span, `'${value}' is not a valid ${name}: use ${allowed.join(', ')}.`);
    }
    return value;
  }

  private number(name: string): number | undefined {
    const clause = this.clauses.get(name);
    if (clause?.value.type !== 'number') return undefined;
    const { value, span } = clause.value.number;
    const spec = CLAUSES_BY_NAME.get(name);
    const max = spec ? clauseMax(spec, this.kind) : undefined;
    if ((spec?.min !== undefined && value < spec.min) || (max !== undefined && value > max)) {
      this.fail(span, `'${name}' must be between ${spec?.min} and ${max}.`);
    }
    return value;
  }

  private expression(name: string): Expression | undefined {
    const clause = this.clauses.get(name);
    if (clause?.value.type !== 'expression') return undefined;
    const broken = findError(clause.value.expression);
    if (broken) this.fail(broken.span, `The '${name}' expression has a syntax error.`);
    return clause.value.expression;
  }

  private window(defaulted: boolean): { count: number; unit: 'minute' | 'hour' | 'day' } | undefined {
    const clause = this.clauses.get('window');
    if (clause?.value.type !== 'duration') return defaulted ? { ...DEFAULT_FUNNEL_WINDOW } : undefined;
    const { count, unit } = clause.value;
    const normalized = unit ? DURATION_UNITS[unit.value] : undefined;
    if (!count || !unit || (normalized !== 'minute' && normalized !== 'hour' && normalized !== 'day')) {
      this.fail(clause.span, 'Write the conversion window as N minutes, N hours or N days, e.g. window 14 days.');
      return defaulted ? { ...DEFAULT_FUNNEL_WINDOW } : undefined;
    }
    if (count.value < 1) this.fail(count.span, 'The conversion window must be at least 1.');
    return { count: count.value, unit: normalized };
  }

  private reentry(savedId: number | undefined): 'default' | 'optimized' {
    const mode = this.word('reentry');
    if (mode !== undefined && savedId !== undefined) {
      this.fail(
        this.clauses.get('reentry')!.span,
        "A saved funnel counts with the mode saved in Mixpanel (the /funnels API has no parameter for it); 'reentry' applies to ad-hoc funnels.",
      );
    }
    return mode === 'optimized' ? 'optimized' : 'default';
  }

  private eventTypes(): number[] {
    const clause = this.clauses.get('event_type');
    if (clause?.value.type !== 'wordList') return [];
    const codes: number[] = [];
    for (const word of clause.value.words) {
      const code = /^\d+$/.test(word.value) ? Number(word.value) : PIWIK_EVENT_TYPES[word.value];
      if (code === undefined) {
        this.fail(word.span, `Unknown Piwik PRO event type '${word.value}'.`);
      } else if (!codes.includes(code)) {
        codes.push(code);
      }
    }
    return codes;
  }

  private range(kind: QueryKind): DateRange | undefined {
    const dateClauses = DATE_CLAUSES.map((name) => this.clauses.get(name))
      .filter((clause): clause is Clause => clause !== undefined)
      .sort((a, b) => a.span.start - b.span.start);
    if (dateClauses.length === 0) {
      if (DATE_RANGE_REQUIRED.has(kind))
        this.fail(this.block.head?.span ?? this.blockSpan, `A ${kind} query needs a date range, e.g. last 30 days or from 2026-10-01 to 2026-10-31.`);
      return undefined;
    }
    if (dateClauses.length > 1) {
      this.fail(dateClauses[1].span, `Only one date range per query: '${dateClauses[0].name}' and '${dateClauses[1].name}' conflict.`);
      return undefined;
    }
    const clause = dateClauses[0];
    if (clause.value.type === 'dateRange') return this.explicitRange(clause, clause.value.from, clause.value.to);

    let relative: RelativeDates;
    if (clause.name === 'today' || clause.name === 'yesterday') {
      relative = { clause: clause.name };
    } else {
      if (clause.value.type !== 'duration' || !clause.value.count || !clause.value.unit) {
        this.fail(clause.span, 'Write the range as last N days, last N weeks or last N months.');
        return undefined;
      }
      const count = clause.value.count.value;
      if (count < 1) {
        this.fail(clause.value.count.span, 'The range must cover at least 1 day, week or month.');
        return undefined;
      }
      const unit = DURATION_UNITS[clause.value.unit.value];
      if (unit !== 'day' && unit !== 'week' && unit !== 'month') {
        this.fail(clause.value.unit.span, `'last' counts days, weeks or months, not '${clause.value.unit.value}'.`);
        return undefined;
      }
      relative = { clause: 'last', count, unit };
    }
    this.relativeDates = relative;
    const resolved = resolveRelativeDates(relative, this.options.now, this.options.timezone ?? 'UTC');
    if (typeof resolved === 'string') {
      this.fail(clause.span, resolved);
      return undefined;
    }
    return resolved;
  }

  private explicitRange(
    clause: Clause,
    from: { value: string; span: TextSpan } | undefined,
    to: { value: string; span: TextSpan } | undefined,
  ): DateRange | undefined {
    if (!from || !to) {
      this.fail(clause.span, 'Write the range as from YYYY-MM-DD to YYYY-MM-DD.');
      return undefined;
    }
    const fromDay = parseCalendarDate(from.value);
    const toDay = parseCalendarDate(to.value);
    if (fromDay === undefined) this.fail(from.span, `'${from.value}' is not a calendar date.`);
    if (toDay === undefined) this.fail(to.span, `'${to.value}' is not a calendar date.`);
    if (fromDay === undefined || toDay === undefined) return undefined;
    if (toDay < fromDay || (toDay === fromDay && to.value < from.value)) {
      this.fail({ start: from.span.start, end: to.span.end }, `The range ends (${to.value}) before it starts (${from.value}).`);
      return undefined;
    }
    return { from: formatDay(fromDay), to: formatDay(toDay) };
  }
}

function toReportColumn(node: ColumnRefNode): ReportColumn {
  const column: ReportColumn = { columnId: node.column.value, span: node.span };
  if (node.transformation) column.transformationId = node.transformation.value;
  return column;
}

function printColumn(column: ReportColumn): string {
  return column.transformationId ? `${column.transformationId}(${column.columnId})` : column.columnId;
}

function findError(expression: Expression): Expression | undefined {
  switch (expression.type) {
    case 'error':
      return expression;
    case 'binary':
      return findError(expression.left) ?? findError(expression.right);
    case 'unary':
      return findError(expression.operand);
    case 'call':
      return expression.args.map(findError).find((found) => found !== undefined);
    case 'list':
      return expression.items.map(findError).find((found) => found !== undefined);
    case 'property':
      return expression.name === '' ? expression : undefined;
    default:
      return undefined;
  }
}

/**
 * Builds the spec for one query. Never throws: anything that stops the query from running
 * (a missing date range, an unknown event type, a reversed range, …) comes back in `errors`.
 */
export function buildQuerySpec(block: QueryBlock, options: BuildQuerySpecOptions): BuildQuerySpecResult {
  const builder = new SpecBuilder(block, options);
  const spec = builder.build();
  if (!spec || builder.errors.length > 0) {
    return { ok: false, errors: builder.errors.length > 0 ? builder.errors : [{ span: block.span, message: 'This query cannot run.' }] };
  }
  return { ok: true, spec };
}

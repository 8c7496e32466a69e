/**
 * `report` queries on Piwik PRO's Analytics Query API (docs/api-notes.md, "Piwik PRO Analytics
 * Query API"): the request body a `ReportSpec` becomes, the pages that fetch more rows than one
 * request returns, the answer turned into rows (or a time series with `unit`), and a 400's
 * `errors[]` turned into a message that names the clause it concerns.
 */
import { REPORT_UNIT_TRANSFORMATIONS } from '../../../languageService/clauseCatalog';
import type { TextSpan } from '../../../languageService/parser/queryAst';
import { BUNDLED_PIWIK_COLUMNS, enumIdFor, findPiwikColumn, type PiwikColumnCatalog } from '../../../queryContract/piwikColumns';
import type { ReportColumn, ReportCondition, ReportFilter, ReportSpec } from '../../../queryContract/querySpec';
import type { RowsData, SeriesData } from '../../../protocol/resultModel';

export const ANALYTICS_QUERY_PATH = '/api/analytics/v1/query/';
/** Rows asked for per request when a report wants more than fit in one. */
export const DEFAULT_REPORT_PAGE_SIZE = 10_000;

type Json = Record<string, unknown>;

/** One column of the request, as sent, with the clause it came from. */
export interface RequestColumn {
  column_id: string;
  transformation_id?: string;
}

export interface ReportColumnInfo {
  label: string;
  role: 'time' | 'dimension' | 'metric';
  clause: 'unit' | 'dimensions' | 'metrics';
  span: TextSpan | undefined;
}

export interface CompiledReport {
  /** Everything but `limit` and `offset`, which each page sets. */
  body: Json;
  columns: ReportColumnInfo[];
}

function label(column: ReportColumn): string {
  return column.transformationId ? `${column.transformationId}(${column.columnId})` : column.columnId;
}

function requestColumn(column: ReportColumn): RequestColumn {
  return column.transformationId ? { column_id: column.columnId, transformation_id: column.transformationId } : { column_id: column.columnId };
}

/** The request body of a report, its columns in order: the time dimension (with `unit`), the dimensions, the metrics. */
export function compileReport(spec: ReportSpec, websiteId: string, catalog: PiwikColumnCatalog | undefined): CompiledReport {
  const columns: RequestColumn[] = [];
  const info: ReportColumnInfo[] = [];
  if (spec.unit) {
    columns.push({ column_id: 'timestamp', transformation_id: REPORT_UNIT_TRANSFORMATIONS[spec.unit] });
    info.push({ label: spec.unit, role: 'time', clause: 'unit', span: spec.clauseSpans.unit });
  }
  for (const column of spec.dimensions) {
    columns.push(requestColumn(column));
    info.push({ label: label(column), role: 'dimension', clause: 'dimensions', span: column.span });
  }
  for (const column of spec.metrics) {
    columns.push(requestColumn(column));
    info.push({ label: label(column), role: 'metric', clause: 'metrics', span: column.span });
  }
  const body: Json = { website_id: websiteId, columns, date_from: spec.range.from, date_to: spec.range.to };
  if (spec.where) body.filters = compileFilter(spec.where, catalog);
  if (spec.having) body.metric_filters = compileFilter(spec.having, undefined);
  if (spec.order) body.order_by = [[spec.order.index, spec.order.direction]];
  return { body, columns: info };
}

function compileFilter(filter: ReportFilter, catalog: PiwikColumnCatalog | undefined): Json {
  return {
    operator: filter.operator,
    conditions: filter.conditions.map((condition) => ('conditions' in condition ? compileFilter(condition, catalog) : compileCondition(condition, catalog))),
  };
}

function compileCondition(condition: ReportCondition, catalog: PiwikColumnCatalog | undefined): Json {
  const compiled: Json = { column_id: condition.column.columnId };
  if (condition.column.transformationId) compiled.transformation_id = condition.column.transformationId;
  compiled.condition = { operator: condition.operator, value: filterValue(condition, catalog) };
  return compiled;
}

/**
 * Enumerated dimensions are filtered by id: a label (`"desktop"`) is turned into its id from the
 * website's listing, else from the bundled catalogue; an unknown label is sent as written and the
 * API's 400 says so.
 */
function filterValue(condition: ReportCondition, catalog: PiwikColumnCatalog | undefined): unknown {
  if (condition.value === null || condition.column.transformationId) return condition.value;
  const column = (catalog && findPiwikColumn(catalog, condition.column.columnId)) ?? findPiwikColumn(BUNDLED_PIWIK_COLUMNS, condition.column.columnId);
  if (!column?.enumValues) return condition.value;
  return enumIdFor(column, condition.value) ?? condition.value;
}

/** The `limit` / `offset` of each request: one page when the limit fits, else pages of `pageSize`. */
export function reportPages(limit: number | undefined, pageSize: number): Array<{ limit?: number; offset?: number }> {
  if (limit === undefined) return [{}];
  const pages: Array<{ limit?: number; offset?: number }> = [];
  for (let offset = 0; offset < limit; offset += pageSize) {
    const page: { limit?: number; offset?: number } = { limit: Math.min(pageSize, limit - offset) };
    if (offset > 0) page.offset = offset;
    pages.push(page);
  }
  return pages;
}

/** The rows and total of one answer; throws a message when the body is not the documented shape. */
export function parseReportAnswer(body: string): { rows: unknown[][]; count: number | undefined } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error('the answer is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as Json).data)) throw new Error('the answer has no "data" array');
  const data = (parsed as Json).data as unknown[];
  const meta = (parsed as Json).meta;
  const count = typeof meta === 'object' && meta !== null && typeof (meta as Json).count === 'number' ? ((meta as Json).count as number) : undefined;
  return { rows: data.filter((row): row is unknown[] => Array.isArray(row)), count };
}

type Cell = string | number | boolean | null;

/** A cell as shown (a `[id, name]` pair shows its name) and its id when it was a pair. */
function splitCell(value: unknown): { shown: Cell; id: string | number | null } {
  if (Array.isArray(value) && value.length === 2 && (typeof value[0] === 'string' || typeof value[0] === 'number')) {
    return { shown: value[1] === null || value[1] === undefined ? String(value[0]) : String(value[1]), id: value[0] };
  }
  if (value === null || value === undefined) return { shown: null, id: null };
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return { shown: value, id: null };
  return { shown: JSON.stringify(value), id: null };
}

/** The answer as a table; enumerated values show their name and keep their id in `cellIds`. */
export function reportRows(columns: ReportColumnInfo[], rows: unknown[][]): RowsData {
  const cellIds: Array<Array<string | number | null>> = [];
  let anyId = false;
  const table = rows.map((row) => {
    const ids: Array<string | number | null> = [];
    const cells = columns.map((_, i) => {
      const { shown, id } = splitCell(row[i]);
      if (id !== null) anyId = true;
      ids.push(id);
      return shown;
    });
    cellIds.push(ids);
    return cells;
  });
  const data: RowsData = {
    kind: 'rows',
    columns: columns.map((column, i) => ({
      name: column.label,
      type: column.role === 'metric' || table.every((row) => row[i] === null || typeof row[i] === 'number') ? 'number' : 'string',
    })),
    rows: table,
  };
  if (anyId) data.cellIds = cellIds;
  return data;
}

/** `to_start_of_*` answers as dates or datetimes; the series labels them as the results panel expects. */
function bucketLabel(value: unknown, unit: NonNullable<ReportSpec['unit']>): string {
  const text = String(Array.isArray(value) ? value[0] : (value ?? ''));
  if (unit === 'minute' || unit === 'hour') {
    const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(text);
    return match ? `${match[1]}T${match[2]}` : text;
  }
  return text.slice(0, 10);
}

/**
 * With `unit`, one series per combination of dimension values and metric (the metric's name is
 * added when there are several), over the buckets the answer has, largest total first.
 */
export function reportSeries(
  columns: ReportColumnInfo[],
  rows: unknown[][],
  unit: NonNullable<ReportSpec['unit']>,
  range?: { from: string; to: string },
): SeriesData {
  const dimensionIndexes = columns.map((c, i) => (c.role === 'dimension' ? i : -1)).filter((i) => i >= 0);
  const metricIndexes = columns.map((c, i) => (c.role === 'metric' ? i : -1)).filter((i) => i >= 0);
  const dates = [...new Set([...calendarBuckets(unit, range), ...rows.map((row) => bucketLabel(row[0], unit))])].sort();
  const dateIndex = new Map(dates.map((date, i) => [date, i]));
  const series = new Map<string, { segment: string | null; values: number[]; total: number }>();
  for (const row of rows) {
    const dateAt = dateIndex.get(bucketLabel(row[0], unit));
    if (dateAt === undefined) continue;
    const dimensionLabel = dimensionIndexes.map((i) => String(splitCell(row[i]).shown ?? '(none)')).join(' · ');
    for (const metricAt of metricIndexes) {
      const metricName = columns[metricAt].label;
      const parts = [dimensionLabel, metricIndexes.length > 1 || dimensionIndexes.length === 0 ? metricName : ''].filter((part) => part !== '');
      const segment = parts.length > 0 ? parts.join(' · ') : null;
      const key = segment ?? '';
      let entry = series.get(key);
      if (!entry) {
        entry = { segment, values: dates.map(() => 0), total: 0 };
        series.set(key, entry);
      }
      const value = Number(row[metricAt]);
      if (Number.isFinite(value)) {
        entry.values[dateAt] += value;
        entry.total += value;
      }
    }
  }
  const seriesUnit = unit === 'quarter' || unit === 'year' ? 'month' : unit;
  return { kind: 'series', unit: seriesUnit, dates, series: [...series.values()].sort((a, b) => b.total - a.total), measure: 'general' };
}

/**
 * Every bucket of the range for the units whose buckets start on a fixed calendar day, so a day or
 * month without data shows as 0 rather than vanishing from the chart. Weeks (whose first weekday is
 * Piwik PRO's choice) and sub-day units show the buckets the answer has.
 */
function calendarBuckets(unit: NonNullable<ReportSpec['unit']>, range: { from: string; to: string } | undefined): string[] {
  if (!range || !/^\d{4}-\d{2}-\d{2}/.test(range.from) || !/^\d{4}-\d{2}-\d{2}/.test(range.to)) return [];
  const from = Date.parse(`${range.from.slice(0, 10)}T00:00:00Z`);
  const to = Date.parse(`${range.to.slice(0, 10)}T00:00:00Z`);
  if (!(from <= to)) return [];
  const buckets: string[] = [];
  if (unit === 'day') {
    // Bounded: a report's range is at most a few years of days.
    for (let day = from; day <= to && buckets.length < 20_000; day += 86_400_000) buckets.push(new Date(day).toISOString().slice(0, 10));
    return buckets;
  }
  const months = unit === 'month' ? 1 : unit === 'quarter' ? 3 : unit === 'year' ? 12 : 0;
  if (months === 0) return [];
  const start = new Date(from);
  let year = start.getUTCFullYear();
  let month = start.getUTCMonth() - (start.getUTCMonth() % months);
  while (Date.UTC(year, month, 1) <= to && buckets.length < 2_000) {
    buckets.push(new Date(Date.UTC(year, month, 1)).toISOString().slice(0, 10));
    month += months;
    if (month >= 12) {
      year += Math.floor(month / 12);
      month %= 12;
    }
  }
  return buckets;
}

/** A 400's `errors[]`: each detail and the request parameter it names, when the API says. */
export function reportErrors(body: string): Array<{ detail: string; parameter: string | undefined }> {
  try {
    const parsed = JSON.parse(body) as unknown;
    const errors = typeof parsed === 'object' && parsed !== null ? (parsed as Json).errors : undefined;
    if (!Array.isArray(errors)) return [];
    return errors
      .filter((e): e is Json => typeof e === 'object' && e !== null)
      .map((e) => ({
        detail: typeof e.detail === 'string' ? e.detail : typeof e.title === 'string' ? e.title : 'no detail',
        parameter:
          typeof e.source === 'object' && e.source !== null && typeof (e.source as Json).parameter === 'string'
            ? ((e.source as Json).parameter as string)
            : undefined,
      }));
  } catch {
    return [];
  }
}

/** The clause (and where in it) an API error concerns: by the parameter it names, else by a column quoted in its detail. */
export function clauseOfError(
  spec: ReportSpec,
  columns: ReportColumnInfo[],
  error: { detail: string; parameter: string | undefined },
): { clause: string; span: TextSpan } | undefined {
  const at = (clause: string, span?: TextSpan): { clause: string; span: TextSpan } | undefined => {
    const clauseSpan = spec.clauseSpans[clause];
    return span ? { clause, span } : clauseSpan ? { clause, span: clauseSpan } : undefined;
  };
  const parameter = error.parameter ?? '';
  // Details quote the names they are about: `Dimension "x" does not exist.`, `Invalid value "v" for dimension "x".`
  const quotedNames = [...error.detail.matchAll(/"([^"]+)"/g)].map((match) => match[1]);
  const quoted = quotedNames[0];
  const byName = (where: 'filters' | 'metric_filters' | 'columns') => {
    for (const name of quotedNames) {
      if (where === 'columns') {
        const index = columns.findIndex((c) => c.label === name || c.label.endsWith(`(${name})`));
        if (index >= 0) return at(columns[index].clause, columns[index].span);
        continue;
      }
      const filter = where === 'filters' ? spec.where : spec.having;
      const span = filter ? spanOfColumnIn(filter, name) : undefined;
      if (span) return at(where === 'filters' ? 'where' : 'having', span);
    }
    return undefined;
  };
  if (parameter.startsWith('metric_filters')) return byName('metric_filters') ?? at('having');
  if (parameter.startsWith('filters')) return byName('filters') ?? at('where');
  if (parameter.startsWith('columns')) {
    const index = /^columns\.(\d+)/.exec(parameter);
    if (index && columns[Number(index[1])]) return at(columns[Number(index[1])].clause, columns[Number(index[1])].span);
    return byName('columns') ?? at(spec.dimensions.length > 0 ? 'dimensions' : 'metrics');
  }
  if (parameter.startsWith('order_by')) return at('order');
  if (parameter === 'limit' || parameter === 'offset') return at('limit');
  if (parameter.startsWith('date') || parameter === 'relative_date') return at('from') ?? at('last') ?? at('today') ?? at('yesterday');
  if (parameter === '' && quoted) return byName('columns') ?? byName('filters') ?? byName('metric_filters');
  return undefined;
}

function spanOfColumnIn(filter: ReportFilter, columnId: string): TextSpan | undefined {
  for (const condition of filter.conditions) {
    if ('conditions' in condition) {
      const span = spanOfColumnIn(condition, columnId);
      if (span) return span;
    } else if (condition.column.columnId === columnId) {
      return condition.column.span;
    }
  }
  return undefined;
}

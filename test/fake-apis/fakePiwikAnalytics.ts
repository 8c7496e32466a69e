/**
 * A fake of Piwik PRO's Analytics Query API (`POST /api/analytics/v1/query/`) and of its column
 * listing (`GET /analytics/api/engine/dimensions/` and `/metrics/`), mounted by fakePiwikPro.ts.
 *
 * It validates the request body as the API documents it (columns, dates, filters and
 * metric_filters with their operators per column type, order_by, limit, offset) and answers the
 * documented 400 shape (`errors[].detail`, `source.parameter`). Answers are computed for real from
 * a fixed table of sessions: rows are grouped by the requested dimensions, metrics aggregated,
 * filters applied before and metric filters after grouping, sorted and paged, so a client that
 * builds the wrong body gets the wrong numbers. Enumerated dimensions come back as `[id, name]`
 * and must be filtered by id.
 */
import type { FakeResponse, RecordedRequest } from './fakeServerKit';

/** A website whose reports the fake answers. */
export const PIWIK_WEBSITE_ID = '70236925-724f-404e-b634-7b5633bc0bcc';
/** The time zone the Apps API gives the website: 14 hours ahead of UTC, so its "today" is rarely UTC's. */
export const PIWIK_WEBSITE_TIMEZONE = 'Pacific/Kiritimati';
/** A website the fake answers 403 "No valid license found." for. */
export const PIWIK_UNLICENSED_WEBSITE_ID = '11111111-2222-4333-8444-555555555555';

interface FactSession {
  date: string;
  hour: number;
  visitor: string;
  source_medium: string;
  device_type: number;
  browser_name: string;
  event_url: string;
  event_custom_dimension_1: string;
  page_views: number;
  bounce: boolean;
  revenue: number;
}

type ColumnType = 'str' | 'int' | 'float' | 'datetime' | 'url' | 'bool';

interface FakeColumn {
  kind: 'dimension' | 'metric';
  type: ColumnType;
  name: string;
  enumValues?: Record<string, string>;
  toMetric?: string[];
  toDimension?: string[];
}

const DEVICE_TYPES: Record<string, string> = { '0': 'Desktop', '1': 'Smartphone', '2': 'Tablet' };
const TIME_TRANSFORMATIONS = [
  'to_date',
  'to_start_of_minute',
  'to_start_of_hour',
  'to_start_of_week',
  'to_start_of_month',
  'to_start_of_quarter',
  'to_start_of_year',
];

export const FAKE_PIWIK_COLUMNS: Record<string, FakeColumn> = {
  timestamp: { kind: 'dimension', type: 'datetime', name: 'Timestamp', toMetric: [], toDimension: TIME_TRANSFORMATIONS },
  source_medium: { kind: 'dimension', type: 'str', name: 'Source/Medium', toMetric: ['unique_count'], toDimension: ['lower'] },
  device_type: { kind: 'dimension', type: 'int', name: 'Device type', enumValues: DEVICE_TYPES, toMetric: ['unique_count'], toDimension: [] },
  browser_name: { kind: 'dimension', type: 'str', name: 'Browser', toMetric: ['unique_count'], toDimension: ['lower'] },
  event_url: { kind: 'dimension', type: 'url', name: 'Page URL', toMetric: ['unique_count'], toDimension: ['to_path', 'to_domain'] },
  event_custom_dimension_1: { kind: 'dimension', type: 'str', name: 'Plan', toMetric: ['unique_count'], toDimension: [] },
  revenue: { kind: 'dimension', type: 'float', name: 'Revenue', toMetric: ['sum', 'average', 'min', 'max'], toDimension: [] },
  sessions: { kind: 'metric', type: 'int', name: 'Sessions' },
  visitors: { kind: 'metric', type: 'int', name: 'Visitors' },
  page_views: { kind: 'metric', type: 'int', name: 'Page views' },
  bounces: { kind: 'metric', type: 'int', name: 'Bounces' },
  bounce_rate: { kind: 'metric', type: 'float', name: 'Bounce rate' },
};

const SOURCES = ['google / organic', 'direct / (none)', 'newsletter / email', 'bing / cpc'];
const BROWSERS = ['Chrome', 'Firefox', 'Safari'];
const PAGES = ['https://shop.example/', 'https://shop.example/blog/launch', 'https://shop.example/pricing'];
const PLANS = ['free', 'pro'];

/** 4 sessions a day through November 2026, spread deterministically over the dimension values. */
function buildFacts(): FactSession[] {
  const facts: FactSession[] = [];
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let day = 1; day <= 30; day++) {
    for (let i = 0; i < 4; i++) {
      const pageViews = 1 + next(4);
      facts.push({
        date: `2026-11-${String(day).padStart(2, '0')}`,
        hour: (day * 3 + i * 5) % 24,
        visitor: `v${next(40)}`,
        source_medium: SOURCES[(day + i) % SOURCES.length],
        device_type: (day * 7 + i) % 3,
        browser_name: BROWSERS[next(BROWSERS.length)],
        event_url: PAGES[(day + 2 * i) % PAGES.length],
        event_custom_dimension_1: PLANS[next(2)],
        page_views: pageViews,
        bounce: pageViews === 1,
        revenue: i === 0 ? 10 * (day % 5) : 0,
      });
    }
  }
  return facts;
}

export const FAKE_PIWIK_FACTS: readonly FactSession[] = buildFacts();

type Json = Record<string, unknown>;
type Cell = string | number | boolean | [string | number, string] | null;

class Rejection extends Error {
  constructor(
    readonly detail: string,
    readonly parameter: string,
  ) {
    super(detail);
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errors(status: number, detail: string, parameter?: string): FakeResponse {
  const error: Json = { status: String(status), detail };
  if (parameter) error.source = { parameter };
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errors: [error] }) };
}

/** `GET /api/apps/v2/{id}`: the app's settings, of which the fake fills the name and time zone. */
export function appAnswer(path: string): FakeResponse {
  const id = decodeURIComponent(path.slice('/api/apps/v2/'.length));
  if (id !== PIWIK_WEBSITE_ID) return errors(404, 'App not found.');
  return {
    status: 200,
    headers: { 'content-type': 'application/vnd.api+json' },
    body: JSON.stringify({ data: { type: 'ppms/app', id, attributes: { name: 'Shop', timezone: PIWIK_WEBSITE_TIMEZONE, currency: 'EUR' } } }),
  };
}

/** The listing of dimensions or metrics, in the shape Piwik PRO's engine endpoints answer. */
export function listingAnswer(kind: 'dimension' | 'metric', query: Record<string, string>): FakeResponse {
  if (query.website_id !== PIWIK_WEBSITE_ID) return errors(400, 'Website does not exist.', 'website_id');
  const list = Object.entries(FAKE_PIWIK_COLUMNS)
    .filter(([, column]) => column.kind === kind)
    .map(([id, column]) => {
      const entry: Json = {
        column_id: id,
        requires_events: column.kind === 'metric',
        column_meta: { column_name: column.name, column_type: column.type, scope: 'session', description: `${column.name} (fake listing)` },
      };
      if (column.enumValues) entry.enum_values = column.enumValues;
      if (column.kind === 'dimension') {
        entry.available_transformations = {
          dimension_to_metric: (column.toMetric ?? []).map((id) => ({ transformation_id: id, result_type: 'float' })),
          dimension_to_dimension: (column.toDimension ?? []).map((id) => ({ transformation_id: id, result_type: column.type })),
        };
      }
      return entry;
    });
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(list) };
}

interface ParsedColumn {
  id: string;
  transformation: string | undefined;
  /** Dimension-valued (grouped by) or metric-valued (aggregated). */
  role: 'dimension' | 'metric';
}

function parseColumn(raw: unknown, parameter: string): ParsedColumn {
  if (!isObject(raw) || typeof raw.column_id !== 'string') throw new Rejection('Each column needs a "column_id".', parameter);
  const column = Object.hasOwn(FAKE_PIWIK_COLUMNS, raw.column_id) ? FAKE_PIWIK_COLUMNS[raw.column_id] : undefined;
  if (!column) throw new Rejection(`Dimension "${raw.column_id}" does not exist.`, `${parameter}.column_id`);
  const transformation = raw.transformation_id;
  if (transformation === undefined) return { id: raw.column_id, transformation: undefined, role: column.kind };
  if (typeof transformation !== 'string') throw new Rejection('"transformation_id" must be a string.', `${parameter}.transformation_id`);
  if (column.kind === 'metric') throw new Rejection(`Metric "${raw.column_id}" does not support transformations.`, `${parameter}.transformation_id`);
  if (column.toMetric?.includes(transformation)) return { id: raw.column_id, transformation, role: 'metric' };
  if (column.toDimension?.includes(transformation)) return { id: raw.column_id, transformation, role: 'dimension' };
  throw new Rejection(`Transformation "${transformation}" is not supported by column "${raw.column_id}".`, `${parameter}.transformation_id`);
}

function startOfWeek(date: string): string {
  const day = Date.parse(`${date}T00:00:00Z`);
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday first
  return new Date(day - weekday * 86_400_000).toISOString().slice(0, 10);
}

function dimensionValue(fact: FactSession, column: ParsedColumn): Cell {
  if (column.id === 'timestamp') {
    const [year, month] = fact.date.split('-');
    switch (column.transformation) {
      case 'to_start_of_minute':
      case 'to_start_of_hour':
        return `${fact.date}T${String(fact.hour).padStart(2, '0')}:00:00`;
      case 'to_start_of_week':
        return startOfWeek(fact.date);
      case 'to_start_of_month':
        return `${year}-${month}-01`;
      case 'to_start_of_quarter':
        return `${year}-${String(Math.floor((Number(month) - 1) / 3) * 3 + 1).padStart(2, '0')}-01`;
      case 'to_start_of_year':
        return `${year}-01-01`;
      default:
        return fact.date;
    }
  }
  const raw = fact[column.id as keyof FactSession];
  if (column.id === 'device_type') return [raw as number, DEVICE_TYPES[String(raw)]];
  if (column.transformation === 'lower' && typeof raw === 'string') return raw.toLowerCase();
  if (column.transformation === 'to_path' && typeof raw === 'string') return new URL(raw).pathname;
  return raw as Cell;
}

function metricValue(facts: FactSession[], column: ParsedColumn): number {
  if (column.transformation) {
    const values = facts.map((fact) => fact[column.id as keyof FactSession]);
    const numbers = values.map(Number);
    switch (column.transformation) {
      case 'sum':
        return numbers.reduce((a, b) => a + b, 0);
      case 'average':
        return numbers.length > 0 ? Math.round((numbers.reduce((a, b) => a + b, 0) / numbers.length) * 100) / 100 : 0;
      case 'min':
        return Math.min(...numbers);
      case 'max':
        return Math.max(...numbers);
      default:
        return new Set(values.map(String)).size;
    }
  }
  switch (column.id) {
    case 'sessions':
      return facts.length;
    case 'visitors':
      return new Set(facts.map((fact) => fact.visitor)).size;
    case 'page_views':
      return facts.reduce((sum, fact) => sum + fact.page_views, 0);
    case 'bounces':
      return facts.filter((fact) => fact.bounce).length;
    default:
      return facts.length > 0 ? Math.round((facts.filter((fact) => fact.bounce).length / facts.length) * 10000) / 10000 : 0;
  }
}

const STRING_OPERATORS = ['eq', 'neq', 'contains', 'not_contains', 'icontains', 'not_icontains', 'starts_with', 'ends_with', 'matches', 'not_matches'];
const NUMBER_OPERATORS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'];
const ENUM_OPERATORS = ['eq', 'neq', 'empty', 'not_empty'];

type Predicate<T> = (row: T) => boolean;

function compare(operator: string, actual: unknown, expected: unknown): boolean {
  const a = typeof actual === 'string' ? actual : actual;
  switch (operator) {
    case 'eq':
      return a === expected;
    case 'neq':
      return a !== expected;
    case 'gt':
      return Number(a) > Number(expected);
    case 'gte':
      return Number(a) >= Number(expected);
    case 'lt':
      return Number(a) < Number(expected);
    case 'lte':
      return Number(a) <= Number(expected);
    case 'contains':
      return String(a).includes(String(expected));
    case 'not_contains':
      return !String(a).includes(String(expected));
    case 'icontains':
      return String(a).toLowerCase().includes(String(expected).toLowerCase());
    case 'not_icontains':
      return !String(a).toLowerCase().includes(String(expected).toLowerCase());
    case 'starts_with':
      return String(a).startsWith(String(expected));
    case 'ends_with':
      return String(a).endsWith(String(expected));
    case 'matches':
      return new RegExp(String(expected)).test(String(a));
    case 'not_matches':
      return !new RegExp(String(expected)).test(String(a));
    case 'empty':
      return a === '' || a === null || a === undefined;
    default:
      return !(a === '' || a === null || a === undefined);
  }
}

function parseFilter<T>(raw: unknown, parameter: string, leaf: (column: Json, condition: Json, parameter: string) => Predicate<T>, depth = 0): Predicate<T> {
  if (!isObject(raw) || (raw.operator !== 'and' && raw.operator !== 'or') || !Array.isArray(raw.conditions)) {
    throw new Rejection('A filter group needs "operator" ("and" or "or") and a "conditions" array.', parameter);
  }
  if (depth > 10) throw new Rejection('Filters nest too deeply.', parameter);
  const parts = raw.conditions.map((condition, i): Predicate<T> => {
    const where = `${parameter}.conditions.${i}`;
    if (isObject(condition) && 'conditions' in condition) return parseFilter(condition, where, leaf, depth + 1);
    if (!isObject(condition) || typeof condition.column_id !== 'string' || !isObject(condition.condition))
      throw new Rejection('A condition needs "column_id" and "condition".', where);
    if (typeof condition.condition.operator !== 'string' || !('value' in condition.condition))
      throw new Rejection('A condition needs "operator" and "value".', `${where}.condition`);
    return leaf(condition, condition.condition, where);
  });
  return raw.operator === 'and' ? (row) => parts.every((part) => part(row)) : (row) => parts.some((part) => part(row));
}

function dimensionCondition(column: Json, condition: Json, parameter: string): Predicate<FactSession> {
  const parsed = parseColumn(column, parameter);
  if (parsed.role !== 'dimension') throw new Rejection(`Column "${parsed.id}" is a metric: filter it in "metric_filters".`, `${parameter}.column_id`);
  const definition = FAKE_PIWIK_COLUMNS[parsed.id];
  const operator = condition.operator as string;
  const value = condition.value;
  const allowed = definition.enumValues ? ENUM_OPERATORS : definition.type === 'int' || definition.type === 'float' ? NUMBER_OPERATORS : STRING_OPERATORS;
  if (!allowed.includes(operator)) throw new Rejection(`Operator "${operator}" is not supported for column "${parsed.id}".`, `${parameter}.condition.operator`);
  if (definition.enumValues && operator !== 'empty' && operator !== 'not_empty' && !Object.hasOwn(definition.enumValues, String(value))) {
    throw new Rejection(`Invalid value ${JSON.stringify(value)} for dimension "${parsed.id}".`, `${parameter}.condition.value`);
  }
  return (fact) => {
    const cell = dimensionValue(fact, parsed);
    const actual = Array.isArray(cell) ? cell[0] : cell;
    return compare(operator, definition.enumValues ? String(actual) : actual, definition.enumValues ? String(value) : value);
  };
}

function metricCondition(column: Json, condition: Json, parameter: string): Predicate<Map<string, number>> {
  const parsed = parseColumn(column, parameter);
  if (parsed.role !== 'metric') throw new Rejection(`Column "${parsed.id}" is a dimension: filter it in "filters".`, `${parameter}.column_id`);
  const operator = condition.operator as string;
  if (!NUMBER_OPERATORS.includes(operator)) throw new Rejection(`Operator "${operator}" is not a metric filter operator.`, `${parameter}.condition.operator`);
  if (typeof condition.value !== 'number') throw new Rejection('A metric filter compares with a number.', `${parameter}.condition.value`);
  const key = `${parsed.transformation ?? ''}:${parsed.id}`;
  return (metrics) => compare(operator, metrics.get(key), condition.value);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The answer to `POST /api/analytics/v1/query/`. */
export function analyticsQueryAnswer(request: RecordedRequest): FakeResponse {
  if (request.method !== 'POST') return errors(405, 'Method not allowed.');
  let body: Json;
  try {
    const parsed = JSON.parse(request.body) as unknown;
    if (!isObject(parsed)) return errors(400, 'The request body must be a JSON object.');
    body = parsed;
  } catch {
    return errors(400, 'The request body is not valid JSON.');
  }
  const gzip = String(request.headers['accept-encoding'] ?? '').includes('gzip');
  try {
    const answer = runQuery(body);
    if ('status' in answer) return answer;
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer), gzip };
  } catch (error) {
    if (error instanceof Rejection) return errors(400, error.detail, error.parameter);
    throw error;
  }
}

function runQuery(body: Json): FakeResponse | { data: Cell[][]; meta: { columns: string[]; count: number } } {
  if (typeof body.website_id !== 'string') throw new Rejection('"website_id" is required.', 'website_id');
  if (body.website_id === PIWIK_UNLICENSED_WEBSITE_ID) return errors(403, 'No valid license found.');
  if (body.website_id !== PIWIK_WEBSITE_ID) throw new Rejection(`Website "${body.website_id}" does not exist.`, 'website_id');
  if (!Array.isArray(body.columns) || body.columns.length === 0) throw new Rejection('"columns" must be a non-empty array.', 'columns');
  const columns = body.columns.map((column, i) => parseColumn(column, `columns.${i}`));
  const hasRelative = body.relative_date !== undefined;
  const hasAbsolute = body.date_from !== undefined || body.date_to !== undefined;
  if (hasRelative && hasAbsolute) throw new Rejection('"relative_date" cannot be used with "date_from" and "date_to".', 'relative_date');
  if (!hasRelative && (typeof body.date_from !== 'string' || typeof body.date_to !== 'string'))
    throw new Rejection('"date_from" and "date_to" are required.', 'date_from');
  if (hasRelative) throw new Rejection('This fake answers absolute dates only.', 'relative_date');
  const from = body.date_from as string;
  const to = body.date_to as string;
  if (!DATE.test(from) || !DATE.test(to)) throw new Rejection('Dates must be YYYY-MM-DD.', 'date_from');
  if (to < from) throw new Rejection('"date_to" is before "date_from".', 'date_to');
  const limit = body.limit ?? 100;
  const offset = body.offset ?? 0;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100_000)
    throw new Rejection('"limit" must be an integer from 1 to 100000.', 'limit');
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) throw new Rejection('"offset" must be a non-negative integer.', 'offset');
  const where = body.filters === undefined || body.filters === null ? () => true : parseFilter<FactSession>(body.filters, 'filters', dimensionCondition);
  const having =
    body.metric_filters === undefined || body.metric_filters === null
      ? () => true
      : parseFilter<Map<string, number>>(body.metric_filters, 'metric_filters', metricCondition);
  let order: Array<[number, 'asc' | 'desc']> = [];
  if (body.order_by !== undefined) {
    if (!Array.isArray(body.order_by)) throw new Rejection('"order_by" must be an array.', 'order_by');
    order = body.order_by.map((directive, i) => {
      if (!Array.isArray(directive) || directive.length !== 2 || !Number.isInteger(directive[0]) || (directive[1] !== 'asc' && directive[1] !== 'desc'))
        throw new Rejection('Each "order_by" entry is [column index, "asc" or "desc"].', `order_by.${i}`);
      if (directive[0] < 0 || directive[0] >= columns.length) throw new Rejection(`Column index ${directive[0]} is out of range.`, `order_by.${i}`);
      return [directive[0] as number, directive[1] as 'asc' | 'desc'];
    });
  } else {
    const firstMetric = columns.findIndex((column) => column.role === 'metric');
    if (firstMetric >= 0) order = [[firstMetric, 'desc']];
  }

  const facts = FAKE_PIWIK_FACTS.filter((fact) => fact.date >= from && fact.date <= to && where(fact));
  const groups = new Map<string, { key: Cell[]; facts: FactSession[] }>();
  for (const fact of facts) {
    const key = columns.map((column) => (column.role === 'dimension' ? dimensionValue(fact, column) : null));
    const id = JSON.stringify(key);
    let group = groups.get(id);
    if (!group) {
      group = { key, facts: [] };
      groups.set(id, group);
    }
    group.facts.push(fact);
  }
  const rows: Cell[][] = [];
  for (const group of groups.values()) {
    const metrics = new Map<string, number>();
    const row = columns.map((column, i) => {
      if (column.role === 'dimension') return group.key[i];
      const value = metricValue(group.facts, column);
      metrics.set(`${column.transformation ?? ''}:${column.id}`, value);
      return value;
    });
    if (having(metrics)) rows.push(row);
  }
  const sortable = (cell: Cell): string | number => (Array.isArray(cell) ? cell[1] : cell === null ? '' : typeof cell === 'boolean' ? Number(cell) : cell);
  rows.sort((a, b) => {
    for (const [index, direction] of order) {
      const x = sortable(a[index]);
      const y = sortable(b[index]);
      if (x === y) continue;
      const less = typeof x === 'number' && typeof y === 'number' ? x < y : String(x) < String(y);
      return (less ? -1 : 1) * (direction === 'asc' ? 1 : -1);
    }
    return JSON.stringify(a) < JSON.stringify(b) ? -1 : 1;
  });
  return { data: rows.slice(offset, offset + limit), meta: { columns: columns.map((column) => column.id), count: rows.length } };
}

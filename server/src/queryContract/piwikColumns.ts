/**
 * Piwik PRO's report columns (dimensions and metrics): the shape the language core checks a
 * `report` query against and the backend compiles it with, the normalisation of Piwik PRO's
 * column listing, and the bundled catalogue of documented standard columns used offline or before
 * the listing of a website has been fetched (docs/api-notes.md, "Piwik PRO Analytics Query API").
 */
import { PIWIK_EVENT_TYPES } from '../languageService/clauseCatalog';

export interface PiwikColumn {
  /** The column id the API takes, e.g. `source_medium`. */
  id: string;
  /** The name Piwik PRO's UI shows. */
  name: string;
  kind: 'dimension' | 'metric';
  /** Piwik PRO's column type: `str`, `int`, `float`, `bool`, `datetime`, `url`, … */
  type: string;
  /** `session`, `event`, … where known. */
  scope?: string;
  description?: string;
  /** Enumerated dimensions: `[id, label]`; filters must send the id. */
  enumValues?: Array<[string | number, string]>;
  /** Transformations turning the dimension into a metric (`sum`, `unique_count`, …); undefined when unknown. */
  toMetric?: string[];
  /** Transformations turning the dimension into another dimension (`to_date`, `to_path`, …); undefined when unknown. */
  toDimension?: string[];
}

/** The columns of one website, by id, and where they came from. */
export interface PiwikColumnCatalog {
  columns: Record<string, PiwikColumn>;
  origin: 'listing' | 'bundled';
}

const NUMERIC_TO_METRIC = ['sum', 'average', 'min', 'max', 'median', 'unique_count'];
const TEXT_TO_METRIC = ['unique_count'];
const URL_TO_DIMENSION = ['lower', 'to_path', 'to_domain', 'strip_qs'];
const TIME_TO_DIMENSION = [
  'to_date',
  'to_start_of_minute',
  'to_start_of_five_minutes',
  'to_start_of_ten_minutes',
  'to_start_of_hour',
  'to_start_of_week',
  'to_start_of_month',
  'to_start_of_quarter',
  'to_start_of_year',
  'to_hour_of_day',
  'to_day_of_week',
  'to_month_number',
];

const DEVICE_TYPES = [
  'Desktop',
  'Smartphone',
  'Tablet',
  'Feature phone',
  'Console',
  'TV',
  'Car browser',
  'Smart display',
  'Camera',
  'Portable media player',
  'Phablet',
  'Smart speaker',
  'Wearable',
  'Peripheral',
];

type Row = [id: string, name: string, type: string, scope: string, extra?: Partial<PiwikColumn>];

function capitalised(name: string): string {
  const text = name.replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const DIMENSIONS: Row[] = [
  [
    'timestamp',
    'Timestamp',
    'datetime',
    'event',
    { description: "When the event happened, in the website's time zone. `unit` groups by it.", toDimension: TIME_TO_DIMENSION, toMetric: [] },
  ],
  ['local_hour', 'Local hour', 'int', 'session', { description: "Hour of the day in the visitor's time zone." }],
  [
    'referrer_type',
    'Channel',
    'int',
    'session',
    {
      enumValues: [
        [1, 'Direct entry'],
        [2, 'Search engine'],
        [3, 'Website'],
        [6, 'Campaign'],
        [7, 'Social'],
      ],
    },
  ],
  ['source', 'Source', 'str', 'session'],
  ['medium', 'Medium', 'str', 'session'],
  ['source_medium', 'Source/Medium', 'str', 'session', { description: 'Where the session came from, as `source / medium`.' }],
  ['referrer_name', 'Referrer name', 'str', 'session'],
  ['referrer_url', 'Referrer URL', 'url', 'session', { toDimension: URL_TO_DIMENSION }],
  ['referrer_keyword', 'Keyword', 'str', 'session'],
  ['campaign_name', 'Campaign name', 'str', 'session'],
  ['campaign_keyword', 'Campaign keyword', 'str', 'session'],
  ['campaign_source', 'Campaign source', 'str', 'session'],
  ['campaign_medium', 'Campaign medium', 'str', 'session'],
  ['campaign_content', 'Campaign content', 'str', 'session'],
  ['campaign_id', 'Campaign ID', 'str', 'session'],
  ['campaign_gclid', 'Google Click ID', 'str', 'session'],
  [
    'visitor_returning',
    'Visitor type',
    'int',
    'session',
    {
      enumValues: [
        [0, 'New'],
        [1, 'Returning'],
        [2, 'Returning customer'],
      ],
    },
  ],
  ['visitor_session_number', 'Session number', 'int', 'session'],
  ['visitor_days_since_last_session', 'Days since last session', 'int', 'session'],
  ['visitor_days_since_first_session', 'Days since first session', 'int', 'session'],
  ['visitor_days_since_order', 'Days since last order', 'int', 'session'],
  ['session_entry_url', 'Entry page URL', 'url', 'session', { description: 'The landing page of the session.', toDimension: URL_TO_DIMENSION }],
  ['session_entry_title', 'Entry page title', 'str', 'session'],
  ['session_second_url', 'Second page URL', 'url', 'session', { toDimension: URL_TO_DIMENSION }],
  ['session_exit_url', 'Exit page URL', 'url', 'session', { toDimension: URL_TO_DIMENSION }],
  ['session_exit_title', 'Exit page title', 'str', 'session'],
  ['session_total_page_views', 'Page views in session', 'int', 'session'],
  ['session_total_events', 'Events in session', 'int', 'session'],
  ['session_total_time', 'Session time', 'int', 'session', { description: 'Seconds.' }],
  ['is_bounce', 'Bounce', 'bool', 'session'],
  [
    'location_continent_iso_code',
    'Continent',
    'str',
    'session',
    {
      enumValues: [
        ['AF', 'Africa'],
        ['AN', 'Antarctica'],
        ['AS', 'Asia'],
        ['EU', 'Europe'],
        ['NA', 'North America'],
        ['OC', 'Oceania'],
        ['SA', 'South America'],
      ],
    },
  ],
  ['location_country_name', 'Country', 'str', 'session'],
  ['location_country_iso_code', 'Country code', 'str', 'session'],
  ['location_subdivision_1_name', 'Subdivision', 'str', 'session'],
  ['location_city_name', 'City', 'str', 'session'],
  ['location_provider', 'Provider', 'str', 'session'],
  ['location_organization', 'Organization', 'str', 'session'],
  ['operating_system', 'Operating system', 'str', 'session'],
  ['operating_system_version', 'Operating system version', 'str', 'session'],
  ['browser_name', 'Browser', 'str', 'session'],
  ['browser_version', 'Browser version', 'str', 'session'],
  ['browser_engine', 'Browser engine', 'str', 'session'],
  ['browser_language_iso639', 'Browser language', 'str', 'session'],
  ['device_type', 'Device type', 'int', 'session', { enumValues: DEVICE_TYPES.map((label, code): [number, string] => [code, label]) }],
  ['device_brand', 'Device brand', 'str', 'session'],
  ['device_model', 'Device model', 'str', 'session'],
  ['resolution', 'Resolution', 'str', 'session'],
  [
    'event_type',
    'Event type',
    'int',
    'event',
    { enumValues: Object.entries(PIWIK_EVENT_TYPES).map(([name, code]): [number, string] => [code, capitalised(name)]) },
  ],
  ['event_url', 'Page URL', 'url', 'event', { toDimension: URL_TO_DIMENSION }],
  ['event_title', 'Page title', 'str', 'event'],
  ['outlink_url', 'Outlink URL', 'url', 'event', { toDimension: URL_TO_DIMENSION }],
  ['download_url', 'Download URL', 'url', 'event', { toDimension: URL_TO_DIMENSION }],
  ['search_keyword', 'Search keyword', 'str', 'event'],
  ['search_category', 'Search category', 'str', 'event'],
  ['custom_event_category', 'Custom event category', 'str', 'event'],
  ['custom_event_action', 'Custom event action', 'str', 'event'],
  ['custom_event_name', 'Custom event name', 'str', 'event'],
  ['custom_event_value', 'Custom event value', 'float', 'event'],
  ['content_name', 'Content name', 'str', 'event'],
  ['content_piece', 'Content piece', 'str', 'event'],
  ['content_target', 'Content target', 'str', 'event'],
  ['time_on_page', 'Time on page', 'int', 'event', { description: 'Seconds.' }],
  ['page_generation_time', 'Page generation time', 'int', 'event', { description: 'Milliseconds.' }],
  ['goal_name', 'Goal name', 'str', 'event'],
  ['order_id', 'Order ID', 'str', 'event'],
  ['revenue', 'Revenue', 'float', 'event', { description: 'Revenue of an order or goal conversion; a metric as `sum(revenue)`.' }],
];

const METRICS: Row[] = [
  ['sessions', 'Sessions', 'int', 'session', { description: 'Number of sessions.' }],
  ['visitors', 'Visitors', 'int', 'session', { description: 'Number of unique visitors.' }],
  ['page_views', 'Page views', 'int', 'event', { description: 'Number of page views.' }],
  ['events', 'Events', 'int', 'event', { description: 'Number of events of any type.' }],
  ['bounces', 'Bounces', 'int', 'session', { description: 'Sessions with a single page view.' }],
  ['bounce_rate', 'Bounce rate', 'float', 'session', { description: 'Bounces divided by sessions.' }],
  ['goal_conversions', 'Goal conversions', 'int', 'event'],
  ['ecommerce_conversions', 'Ecommerce conversions', 'int', 'event'],
  ['cart_additions', 'Add-to-cart events', 'int', 'event'],
  ['ecommerce_abandoned_carts', 'Abandoned carts', 'int', 'session'],
  ['consents_full', 'Full consents', 'int', 'event'],
  ['consents_none', 'No consents', 'int', 'event'],
];

function fromRow(kind: PiwikColumn['kind'], [id, name, type, scope, extra]: Row): PiwikColumn {
  const column: PiwikColumn = { id, name, kind, type, scope, ...extra };
  if (kind === 'dimension' && column.toMetric === undefined)
    column.toMetric = (type === 'int' || type === 'float') && !column.enumValues ? NUMERIC_TO_METRIC : TEXT_TO_METRIC;
  if (kind === 'dimension' && column.toDimension === undefined) column.toDimension = type === 'str' ? ['lower'] : [];
  return column;
}

function catalogOf(rows: PiwikColumn[], origin: PiwikColumnCatalog['origin']): PiwikColumnCatalog {
  const columns: Record<string, PiwikColumn> = Object.create(null) as Record<string, PiwikColumn>;
  for (const column of rows) columns[column.id] = column;
  return { columns, origin };
}

/** Piwik PRO's documented standard columns: what completion and lint use before a website's listing is known. */
export const BUNDLED_PIWIK_COLUMNS: PiwikColumnCatalog = catalogOf(
  [...DIMENSIONS.map((row) => fromRow('dimension', row)), ...METRICS.map((row) => fromRow('metric', row))],
  'bundled',
);

/** `catalog.columns[id]` for own keys only. */
export function findPiwikColumn(catalog: PiwikColumnCatalog, id: string): PiwikColumn | undefined {
  return Object.hasOwn(catalog.columns, id) ? catalog.columns[id] : undefined;
}

/**
 * The id an enumerated dimension's filter value stands for: the value itself when it is an id,
 * else the id whose label matches it ignoring case (`"desktop"` → `0` for `device_type`).
 */
export function enumIdFor(column: PiwikColumn, value: string | number | boolean): string | number | undefined {
  if (!column.enumValues) return undefined;
  for (const [id] of column.enumValues) {
    if (id === value || String(id) === String(value)) return id;
  }
  if (typeof value !== 'string') return undefined;
  const wanted = value.toLowerCase();
  return column.enumValues.find(([, label]) => label.toLowerCase() === wanted)?.[0];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function transformationIds(list: unknown): string[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return list
    .filter(isObject)
    .map((t) => t.transformation_id)
    .filter((id): id is string => typeof id === 'string');
}

/**
 * Normalises Piwik PRO's listing of dimensions and metrics (`GET /analytics/api/engine/dimensions/`
 * and `/metrics/`, arrays of `{ column_id, column_meta, enum_values?, available_transformations? }`).
 * Entries that are not objects with a string `column_id` are skipped rather than failing the listing.
 */
export function piwikColumnsFromListing(dimensions: unknown, metrics: unknown): PiwikColumnCatalog {
  const rows: PiwikColumn[] = [];
  const read = (list: unknown, kind: PiwikColumn['kind']): void => {
    if (!Array.isArray(list)) return;
    for (const entry of list) {
      if (!isObject(entry) || typeof entry.column_id !== 'string' || entry.column_id === '') continue;
      const meta = isObject(entry.column_meta) ? entry.column_meta : {};
      const type = typeof meta.column_type === 'string' ? meta.column_type : 'str';
      const column: PiwikColumn = { id: entry.column_id, name: typeof meta.column_name === 'string' ? meta.column_name : entry.column_id, kind, type };
      if (typeof meta.scope === 'string') column.scope = meta.scope;
      if (typeof meta.description === 'string' && meta.description !== '') column.description = meta.description;
      if (isObject(entry.enum_values)) {
        column.enumValues = Object.entries(entry.enum_values).map(([id, label]): [string | number, string] => [
          type === 'int' && /^-?\d+$/.test(id) ? Number(id) : id,
          String(label),
        ]);
      }
      const transformations = isObject(entry.available_transformations) ? entry.available_transformations : undefined;
      if (transformations) {
        column.toMetric = transformationIds(transformations.dimension_to_metric);
        column.toDimension = transformationIds(transformations.dimension_to_dimension);
      }
      rows.push(column);
    }
  };
  read(dimensions, 'dimension');
  read(metrics, 'metric');
  return catalogOf(rows, 'listing');
}

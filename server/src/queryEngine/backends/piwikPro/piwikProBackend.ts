/**
 * Piwik PRO's Tracker Debugger (docs/api-notes.md): the sessions of the last minutes with their
 * events, and with `logs` the raw tracking request behind each event. `report` queries go to the
 * Analytics Query API (piwikReport.ts) with the same token and request path.
 *
 * The debugger's `event_type` filter takes one code, so a query naming several types sends one
 * request per type and merges the sessions by `session_id_str` (a session matching two types comes
 * back twice). The 64-bit ids overflow JavaScript numbers: every id is read from its `_str` field,
 * and the imprecise numeric copies are left out of the result.
 */
import { PIWIK_EVENT_TYPES } from '../../../languageService/clauseCatalog';
import { BUNDLED_PIWIK_COLUMNS, piwikColumnsFromListing, type PiwikColumnCatalog } from '../../../queryContract/piwikColumns';
import type { AnalyticsSchema } from '../../../queryContract/schemaTypes';
import { resolveRelativeDates } from '../../../queryContract/buildQuerySpec';
import type { DebuggerSpec, QuerySpec, ReportSpec } from '../../../queryContract/querySpec';
import type { GeneratedRequestResult } from '../../../protocol/customRequests';
import type { DebuggerEvent, DebuggerSession, QueryResult, ResultWarning } from '../../../protocol/resultModel';
import type { AnalyticsBackend, Credentials, PiwikSourceConfig, RunContext } from '../../analyticsBackend';
import { BackendError } from '../../backendErrors';
import { envPrefixFor } from '../../credentialsFromEnv';
import { applyBaseUrlOverride, buildUrl, defaultHttpClient, describeAsCurl, type HttpClient, type HttpRequest, type HttpResponse } from '../../httpClient';
import { maskCredentials } from '../../credentialMasking';
import { parseRetryAfter, type RequestQueue } from '../../requestQueue';
import { describeWait } from '../../retryAfter';
import type { ResultCache } from '../../resultCache';
import { PiwikTokenProvider } from './piwikAuth';
import {
  ANALYTICS_QUERY_PATH,
  DEFAULT_REPORT_PAGE_SIZE,
  clauseOfError,
  compileReport,
  parseReportAnswer,
  reportErrors,
  reportPages,
  reportRows,
  reportSeries,
  type CompiledReport,
} from './piwikReport';

export interface PiwikProBackendOptions {
  baseUrlOverride?: string;
  queue: RequestQueue;
  cache: ResultCache;
  timeoutMs: number;
  http?: HttpClient;
  /** Largest NDJSON body read; beyond it the sessions read so far are kept and a warning says so. Default 32 MiB. */
  maxResponseBytes?: number;
  /** Sessions whose logs are fetched at most (one request each); default 50. */
  maxLogSessions?: number;
  /** Rows per Analytics Query API request when a report's `limit` needs several; default 10,000. */
  reportPageSize?: number;
  now?: () => number;
}

type Json = Record<string, unknown>;

const DEBUGGER_PATH = '/api/tracker/v1/debugger';
const LOG_PATH = '/api/tracker/v1/log';
const DIMENSIONS_LISTING_PATH = '/analytics/api/engine/dimensions/';
const METRICS_LISTING_PATH = '/analytics/api/engine/metrics/';
const APPS_PATH = '/api/apps/v2/';
/** The log endpoint accepts at most 720 minutes between server_time_min and max. */
const MAX_LOG_SPAN_MS = 720 * 60_000;
/** Numeric ids that exceed 2^53; only their `_str` (and `_hex`) copies are exact. */
const ID_FIELDS = ['session_id', 'event_id', 'cookie_id', 'visitor_id'];
const TYPE_LABELS = new Map(Object.entries(PIWIK_EVENT_TYPES).map(([name, code]) => [code, name.replace(/_/g, ' ')]));

export class PiwikProBackend implements AnalyticsBackend {
  private readonly http: HttpClient;
  private readonly tokens: PiwikTokenProvider;
  /** The website's column listing once fetched (by fetchSchema), for turning enum labels into ids. */
  private columns: PiwikColumnCatalog | undefined;
  /** Each website's time zone once read from the Apps API. */
  private readonly websiteTimezones = new Map<string, string>();

  constructor(
    readonly source: PiwikSourceConfig,
    private readonly options: PiwikProBackendOptions,
  ) {
    this.http = options.http ?? defaultHttpClient();
    this.tokens = new PiwikTokenProvider({ baseUrl: this.baseUrl(), sourceName: source.name, http: this.http, timeoutMs: options.timeoutMs, now: options.now });
  }

  /**
   * Piwik PRO has no event schema; the schema carries the report columns instead: the listing of
   * the source's website (`appId`) when it has one, else the bundled catalogue of standard columns.
   */
  async fetchSchema(context: RunContext): Promise<AnalyticsSchema> {
    const fetchedAt = context.now().toISOString();
    const websiteId = this.source.appId;
    if (!websiteId) {
      return {
        events: {},
        userProperties: {},
        piwikColumns: BUNDLED_PIWIK_COLUMNS,
        origin: { kind: 'derived', label: `Piwik PRO standard columns (${this.source.name})`, fetchedAt },
      };
    }
    const listing = async (path: string): Promise<unknown> => {
      const response = await this.send({ method: 'GET', url: this.url(path, { website_id: websiteId }), headers: { accept: 'application/json' } }, context);
      try {
        return JSON.parse(response.body) as unknown;
      } catch {
        throw new BackendError('badResponse', `Piwik PRO's column listing (${path}) is not JSON.`);
      }
    };
    let columns: PiwikColumnCatalog;
    try {
      columns = piwikColumnsFromListing(await listing(DIMENSIONS_LISTING_PATH), await listing(METRICS_LISTING_PATH));
      if (Object.keys(columns.columns).length === 0)
        throw new BackendError('badResponse', `Piwik PRO listed no dimensions or metrics for website ${websiteId}.`);
    } catch (error) {
      // The listing is not part of the published API: when it is refused or unreadable, the standard columns still serve.
      if (!(error instanceof BackendError) || !['notFound', 'badRequest', 'badResponse'].includes(error.kind)) throw error;
      return {
        events: {},
        userProperties: {},
        piwikColumns: BUNDLED_PIWIK_COLUMNS,
        origin: { kind: 'derived', label: `Piwik PRO standard columns (the listing of ${websiteId} failed: ${error.message})`, fetchedAt },
      };
    }
    this.columns = columns;
    return { events: {}, userProperties: {}, piwikColumns: columns, origin: { kind: 'listing', label: `Piwik PRO columns of ${websiteId}`, fetchedAt } };
  }

  async runQuery(spec: QuerySpec, context: RunContext, options: { bypassCache?: boolean } = {}): Promise<QueryResult> {
    if (spec.kind === 'report') return this.runReport(spec, context, options.bypassCache === true);
    if (spec.kind !== 'debugger') {
      throw new BackendError(
        'config',
        `Piwik PRO source "${this.source.name}" runs debugger and report queries; ${spec.kind} queries need a Mixpanel or local source.`,
      );
    }
    const requests = this.debuggerRequests(spec);
    const key = `${this.source.name}\n${requests.map((request) => request.url).join('\n')}\nlogs=${spec.logs}`;
    // Live debugging data goes stale in seconds: identical runs share a request but never a cached answer.
    return this.options.cache.getOrCompute(key, (signal) => this.execute(spec, requests, { ...context, signal }), {
      signal: context.signal,
      bypassCache: true,
    });
  }

  describeRequest(spec: QuerySpec): GeneratedRequestResult {
    if (spec.kind === 'report') {
      const compiled = this.compileReport(spec);
      return {
        curl: reportPages(spec.limit, this.options.reportPageSize ?? DEFAULT_REPORT_PAGE_SIZE)
          .map((page) => describeAsCurl({ ...this.reportRequest(compiled, page), auth: { kind: 'bearer', token: 'x' } }))
          .join('\n'),
      };
    }
    if (spec.kind !== 'debugger') return { note: 'Piwik PRO sources run debugger and report queries only.' };
    return {
      curl: this.debuggerRequests(spec)
        .map((request) => describeAsCurl({ ...request, auth: { kind: 'bearer', token: 'x' } }))
        .join('\n'),
    };
  }

  private debuggerRequests(spec: DebuggerSpec): HttpRequest[] {
    const appId = spec.appId || this.source.appId;
    if (!appId)
      throw new BackendError('config', `The debugger query needs an app id: \`debugger "<app id>"\`, or "appId" for source "${this.source.name}" in aq.json.`);
    const types: Array<number | undefined> = spec.eventTypes.length > 0 ? [...new Set(spec.eventTypes)] : [undefined];
    return types.map((eventType) => ({
      method: 'GET' as const,
      url: this.url(DEBUGGER_PATH, { app_id: appId, lookup_window: spec.lookupWindow, limit: spec.limit, event_type: eventType }),
      headers: { accept: 'application/x-ndjson' },
    }));
  }

  private compileReport(spec: ReportSpec): CompiledReport {
    const websiteId = spec.websiteId || this.source.appId;
    if (!websiteId)
      throw new BackendError('config', `The report needs a website id: \`report "<website id>"\`, or "appId" for source "${this.source.name}" in aq.json.`);
    return compileReport(spec, websiteId, this.columns);
  }

  private reportRequest(compiled: CompiledReport, page: { limit?: number; offset?: number }): HttpRequest {
    return {
      method: 'POST',
      url: this.url(ANALYTICS_QUERY_PATH, {}),
      headers: { 'content-type': 'application/json', accept: 'application/json', 'accept-encoding': 'gzip' },
      body: JSON.stringify({ ...compiled.body, ...page }),
    };
  }

  private async runReport(spec: ReportSpec, context: RunContext, bypassCache: boolean): Promise<QueryResult> {
    const warnings: ResultWarning[] = [];
    const dated = await this.inWebsiteTimezone(spec, context, warnings);
    const compiled = this.compileReport(dated);
    const pages = reportPages(dated.limit, this.options.reportPageSize ?? DEFAULT_REPORT_PAGE_SIZE);
    const key = `${this.source.name}\nreport\n${JSON.stringify(compiled.body)}\n${JSON.stringify(pages)}`;
    return this.options.cache.getOrCompute(key, (signal) => this.executeReport(dated, compiled, pages, { ...context, signal }, warnings), {
      signal: context.signal,
      bypassCache,
    });
  }

  /**
   * `last N days`, `today` and `yesterday` are days of the website's time zone. Without a
   * `timezone` on the source, the website's own is read from the Apps API (once per website) and
   * the range resolved again in it; when it cannot be read, the range stays as built and a
   * warning says which zone it used.
   */
  private async inWebsiteTimezone(spec: ReportSpec, context: RunContext, warnings: ResultWarning[]): Promise<ReportSpec> {
    if (!spec.relativeDates || this.source.timezone) return spec;
    const websiteId = spec.websiteId || this.source.appId;
    if (!websiteId) return spec;
    let timezone = this.websiteTimezones.get(websiteId);
    if (!timezone) {
      try {
        const response = await this.send(
          { method: 'GET', url: this.url(`${APPS_PATH}${encodeURIComponent(websiteId)}`, {}), headers: { accept: 'application/vnd.api+json' } },
          context,
        );
        const attributes = (JSON.parse(response.body) as { data?: { attributes?: { timezone?: unknown } } }).data?.attributes;
        if (typeof attributes?.timezone === 'string' && attributes.timezone !== '') timezone = attributes.timezone;
      } catch (error) {
        if (error instanceof BackendError && (error.kind === 'cancelled' || error.kind === 'auth')) throw error;
      }
      if (timezone) this.websiteTimezones.set(websiteId, timezone);
    }
    const range = timezone ? resolveRelativeDates(spec.relativeDates, context.now(), timezone) : undefined;
    if (!range || typeof range === 'string') {
      warnings.push({
        code: 'timezone-unknown',
        message: `The time zone of website ${websiteId} could not be read, so ${spec.range.from} to ${spec.range.to} are days of aq.timezone (else UTC); set "timezone" on source "${this.source.name}" in aq.json.`,
      });
      return spec;
    }
    return { ...spec, range };
  }

  private async executeReport(
    spec: ReportSpec,
    compiled: CompiledReport,
    pages: Array<{ limit?: number; offset?: number }>,
    context: RunContext,
    earlierWarnings: ResultWarning[],
  ): Promise<QueryResult> {
    const started = Date.now();
    const computedAt = context.now().toISOString();
    const warnings: ResultWarning[] = [...earlierWarnings];
    const rows: unknown[][] = [];
    const raws: string[] = [];
    let count: number | undefined;
    for (const page of pages) {
      context.onProgress?.({
        message: `Reading the Piwik PRO report (${this.source.name})${pages.length > 1 ? `, rows ${(page.offset ?? 0) + 1}–${(page.offset ?? 0) + (page.limit ?? 0)}` : ''}…`,
      });
      const response = await this.send(this.reportRequest(compiled, page), context, (rejected) =>
        rejected.status === 400 ? this.reportRejection(rejected.body, spec, compiled, context.credentials ?? {}) : undefined,
      );
      raws.push(response.body);
      let answer: ReturnType<typeof parseReportAnswer>;
      try {
        answer = parseReportAnswer(response.body);
      } catch (error) {
        throw new BackendError('badResponse', `Piwik PRO's report answer could not be read: ${(error as Error).message}.`, { status: response.status });
      }
      rows.push(...answer.rows);
      count = answer.count ?? count;
      // A short page is the last one: the report has no more rows.
      if (page.limit === undefined || answer.rows.length < page.limit) break;
    }
    if (count !== undefined && count > rows.length) {
      const hint =
        spec.limit === undefined
          ? ` Piwik PRO answers ${rows.length} rows unless asked: add \`limit ${Math.min(count, 100_000)}\` for more.`
          : ' Raise `limit` for more.';
      warnings.push({ code: 'more-rows', message: `The report has ${count} rows; ${rows.length} are shown.${hint}` });
    }
    const data = spec.unit ? reportSeries(compiled.columns, rows, spec.unit, spec.range) : reportRows(compiled.columns, rows);
    const raw = raws.join('\n');
    return {
      title: spec.title,
      queryKind: 'report',
      source: { kind: 'piwik', name: this.source.name },
      range: spec.range,
      chart: spec.chart,
      cleaned: false,
      data,
      meta: { computedAt, durationMs: Date.now() - started, rowCount: rows.length, seriesCount: data.kind === 'series' ? data.series.length : 0, warnings },
      raw: context.fullRaw ? raw : raw.slice(0, 256 * 1024),
      rawTruncated: !context.fullRaw && raw.length > 256 * 1024 ? true : undefined,
    };
  }

  /** A 400 from the Analytics Query API names what it rejects; the message says which clause that is. */
  private reportRejection(body: string, spec: ReportSpec, compiled: CompiledReport, credentials: Credentials): BackendError | undefined {
    const details = reportErrors(body);
    if (details.length === 0) {
      const text = maskCredentials(body.trim().replace(/\s+/g, ' ').slice(0, 300), { credentials });
      return new BackendError('badRequest', `Piwik PRO rejected the report (HTTP 400).${text ? ` Piwik PRO said: "${text}"` : ''}`, { status: 400 });
    }
    const located = details.map((detail) => ({ detail, at: clauseOfError(spec, compiled.columns, detail) }));
    const lines = located.map(({ detail, at }) => `${maskCredentials(detail.detail, { credentials })}${at ? ` (in '${at.clause}')` : ''}`);
    const first = located.find((entry) => entry.at)?.at;
    return new BackendError('badRequest', `Piwik PRO rejected the report: ${lines.join(' ')}`, { status: 400, at: first });
  }

  private async execute(spec: DebuggerSpec, requests: HttpRequest[], context: RunContext): Promise<QueryResult> {
    const started = Date.now();
    const computedAt = context.now().toISOString();
    const warnings: ResultWarning[] = [];
    const sessions = new Map<string, DebuggerSession>();
    const raws: string[] = [];
    let badLines = 0;
    for (const request of requests) {
      context.onProgress?.({ message: `Reading Piwik PRO sessions (${this.source.name})…` });
      const response = await this.send(request, context);
      raws.push(response.body);
      if (response.truncated)
        warnings.push({
          code: 'truncated',
          message: 'The debugger answer was larger than the read limit; only the sessions read before it are shown. Lower `limit` or `lookup_window`.',
        });
      const parsed = parseNdjson(response.body);
      for (const { line, reason } of parsed.bad) {
        badLines++;
        warnings.push({ code: 'bad-line', message: `Line ${line} of the debugger answer is not valid JSON and was skipped (${reason}).` });
      }
      for (const raw of parsed.objects) {
        const session = toSession(raw);
        const existing = sessions.get(session.sessionId);
        if (!existing) sessions.set(session.sessionId, session);
        else mergeEvents(existing, session.events);
      }
    }
    if (badLines > 0)
      warnings.unshift({
        code: 'bad-lines',
        message: `${badLines} line${badLines === 1 ? '' : 's'} of the debugger answer could not be read and ${badLines === 1 ? 'was' : 'were'} skipped.`,
      });
    const list = [...sessions.values()].sort((a, b) => b.serverTime.localeCompare(a.serverTime) || a.sessionId.localeCompare(b.sessionId));
    if (spec.logs) await this.attachLogs(spec, list, context, warnings);
    return {
      title: spec.title,
      queryKind: 'debugger',
      source: { kind: 'piwik', name: this.source.name },
      cleaned: false,
      data: { kind: 'debugger', sessions: list },
      meta: { computedAt, durationMs: Date.now() - started, rowCount: list.length, seriesCount: 0, warnings },
      raw: raws.join('').slice(0, 256 * 1024),
      rawTruncated: raws.join('').length > 256 * 1024 || undefined,
    };
  }

  /** Fetches `/log` for each session's matching events and attaches each raw request to its event. */
  private async attachLogs(spec: DebuggerSpec, sessions: DebuggerSession[], context: RunContext, warnings: ResultWarning[]): Promise<void> {
    const appId = spec.appId || this.source.appId || '';
    const limit = this.options.maxLogSessions ?? 50;
    if (sessions.length > limit) warnings.push({ code: 'logs-limited', message: `Raw requests were fetched for the ${limit} newest sessions only.` });
    let badLines = 0;
    for (const session of sessions.slice(0, limit)) {
      const wanted = session.events.filter((event) => spec.eventTypes.length === 0 || spec.eventTypes.includes(event.type.code));
      if (wanted.length === 0) continue;
      const maxTime = Date.parse(`${session.updatedAt || session.serverTime}Z`);
      const minTime = Math.max(Date.parse(`${session.serverTime}Z`), maxTime - MAX_LOG_SPAN_MS);
      const request: HttpRequest = {
        method: 'GET',
        url: this.url(LOG_PATH, {
          app_id: appId,
          event_ids: wanted.map((event) => event.eventId).join(','),
          server_time_min: Number.isNaN(minTime) ? undefined : formatServerTime(minTime),
          server_time_max: Number.isNaN(minTime) || Number.isNaN(maxTime) ? undefined : formatServerTime(maxTime),
        }),
        headers: { accept: 'application/x-ndjson' },
      };
      const response = await this.send(request, context);
      const parsed = parseNdjson(response.body);
      badLines += parsed.bad.length;
      const byLogId = new Map<string, DebuggerEvent>();
      for (const event of wanted) {
        event.logs = [];
        const logIds = event.fields.log_uuids;
        if (Array.isArray(logIds)) for (const id of logIds) byLogId.set(String(id), event);
      }
      for (const line of parsed.objects) byLogId.get(String(line.id))?.logs?.push(line);
    }
    if (badLines > 0)
      warnings.push({
        code: 'bad-log-lines',
        message: `${badLines} line${badLines === 1 ? '' : 's'} of the request log could not be read and ${badLines === 1 ? 'was' : 'were'} skipped.`,
      });
  }

  /**
   * One authenticated request through the queue, renewing the token once on a 401. `interpret`
   * may turn a failed answer into a more precise error than the generic one.
   */
  private send(request: HttpRequest, context: RunContext, interpret?: (response: HttpResponse) => BackendError | undefined): Promise<HttpResponse> {
    const credentials = context.credentials ?? {};
    return this.options.queue.run(
      async () => {
        let renewed = false;
        for (;;) {
          const token = await this.tokens.token(credentials, context.signal);
          const response = await this.http.send(
            { ...request, auth: { kind: 'bearer', token }, secrets: { credentials } },
            { signal: context.signal, timeoutMs: this.options.timeoutMs, maxBytes: this.options.maxResponseBytes, oversize: 'truncate' },
          );
          if (response.status === 401 && !renewed) {
            this.tokens.invalidate(credentials);
            renewed = true;
            continue;
          }
          if (response.status >= 200 && response.status < 300) return response;
          throw interpret?.(response) ?? this.errorFor(response, credentials);
        }
      },
      { signal: context.signal, retryable: true },
    );
  }

  private errorFor(response: HttpResponse, credentials: Credentials): BackendError {
    const status = response.status;
    const text = maskCredentials(response.body.trim().replace(/\s+/g, ' '), { credentials }).slice(0, 300);
    const said = text ? ` Piwik PRO said: "${text}"` : '';
    const name = this.source.name;
    const prefix = envPrefixFor(name);
    switch (status) {
      case 401:
        return new BackendError(
          'auth',
          `Piwik PRO did not accept the token for source "${name}" even after renewing it (HTTP 401). Check the API credentials.`,
          {
            status,
            hint: `Run "aq: Set Credentials", or set ${prefix}CLIENT_ID and ${prefix}CLIENT_SECRET for the CLI.`,
          },
        );
      case 403:
      case 404:
        return new BackendError(
          'notFound',
          `Piwik PRO answered ${status} for source "${name}": the app id is unknown or these API credentials have no access to it.${said}`,
          { status },
        );
      case 400:
        return new BackendError(
          'badRequest',
          `Piwik PRO rejected the debugger request (HTTP 400): check the app id (a UUID), lookup_window (1–300) and limit.${said}`,
          { status },
        );
      case 402:
        return new BackendError('plan', `Piwik PRO answered 402 for source "${name}": the organization has no active license.${said}`, { status });
      case 429: {
        const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
        return new BackendError(
          'rateLimited',
          `Piwik PRO's rate limit was reached${retryAfterMs !== undefined ? `; it asks to wait ${describeWait(retryAfterMs)}` : ''}.`,
          { status, retryAfterMs },
        );
      }
    }
    if (status >= 500) return new BackendError('server', `Piwik PRO answered HTTP ${status}; try again later.${said}`, { status });
    return new BackendError('badRequest', `Piwik PRO answered HTTP ${status}.${said}`, { status });
  }

  private baseUrl(): string {
    return this.options.baseUrlOverride ?? this.source.url;
  }

  private url(path: string, query: Record<string, string | number | undefined>): string {
    return applyBaseUrlOverride(buildUrl(this.source.url, path, query), this.options.baseUrlOverride);
  }
}

export function createPiwikProBackend(source: PiwikSourceConfig, options: PiwikProBackendOptions): PiwikProBackend {
  return new PiwikProBackend(source, options);
}

/** NDJSON → objects, line by line; a bad line is reported with its 1-based number and skipped. */
/**
 * The 64-bit ids written as bare numbers, turned into strings before JSON.parse rounds them: an
 * answer without the `_str` copies would otherwise merge distinct sessions and events into one.
 */
const BARE_LONG_ID = new RegExp(`(?<!\\\\)"(${ID_FIELDS.join('|')})"(\\s*:\\s*)(-?\\d{16,})(?=\\s*[,}\\]])`, 'g');

export function parseNdjson(body: string): { objects: Json[]; bad: Array<{ line: number; reason: string }> } {
  const objects: Json[] = [];
  const bad: Array<{ line: number; reason: string }> = [];
  const lines = body.split('\n');
  lines.forEach((text, i) => {
    const trimmed = text.trim();
    if (!trimmed) return;
    try {
      const value = JSON.parse(trimmed.replace(BARE_LONG_ID, '"$1"$2"$3"')) as unknown;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) objects.push(value as Json);
      else bad.push({ line: i + 1, reason: 'not a JSON object' });
    } catch (error) {
      bad.push({ line: i + 1, reason: (error as Error).message.replace(/\s+/g, ' ').slice(0, 120) });
    }
  });
  return { objects, bad };
}

function toSession(raw: Json): DebuggerSession {
  const events = Array.isArray(raw.events) ? raw.events.filter(isObject).map(toEvent) : [];
  events.sort((a, b) => a.index - b.index);
  return {
    sessionId: idOf(raw, 'session_id'),
    visitorId: idOf(raw, 'visitor_id'),
    serverTime: stringOf(raw.server_time),
    updatedAt: stringOf(raw.updated_at),
    entryUrl: typeof raw.session_entry_url === 'string' ? raw.session_entry_url : undefined,
    totalEvents: typeof raw.session_total_events === 'number' ? raw.session_total_events : events.length,
    events,
    fields: exactFields(raw, ['events']),
  };
}

function toEvent(raw: Json): DebuggerEvent {
  const type = Array.isArray(raw.event_type) ? raw.event_type : [raw.event_type];
  const code = typeof type[0] === 'number' ? type[0] : Number(type[0]) || 0;
  const event: DebuggerEvent = {
    eventId: idOf(raw, 'event_id'),
    index: typeof raw.event_index === 'number' ? raw.event_index : 0,
    serverTime: stringOf(raw.server_time),
    type: { code, label: typeof type[1] === 'string' ? type[1] : (TYPE_LABELS.get(code) ?? `type ${code}`) },
    fields: exactFields(raw, []),
  };
  if (typeof raw.event_url === 'string') event.url = raw.event_url;
  if (typeof raw.event_title === 'string') event.title = raw.event_title;
  if (typeof raw.error_message === 'string') event.errorMessage = raw.error_message;
  if (typeof raw.exclusion_reason === 'string') event.exclusionReason = raw.exclusion_reason;
  return event;
}

/** The exact id: `_str`, else `_hex`, else the number only when it is still exact. */
function idOf(raw: Json, field: string): string {
  if (typeof raw[`${field}_str`] === 'string') return raw[`${field}_str`] as string;
  if (typeof raw[`${field}_hex`] === 'string') return raw[`${field}_hex`] as string;
  const value = raw[field];
  if (typeof value === 'string') return value;
  return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : '';
}

/** All fields but `omit`, with the 64-bit numeric ids replaced by their exact string copies. */
function exactFields(raw: Json, omit: string[]): Json {
  const fields: Json = {};
  for (const [key, value] of Object.entries(raw)) {
    if (omit.includes(key)) continue;
    fields[key] = ID_FIELDS.includes(key) && typeof value === 'number' ? idOf(raw, key) : value;
  }
  return fields;
}

function mergeEvents(session: DebuggerSession, events: DebuggerEvent[]): void {
  const known = new Set(session.events.map((event) => event.eventId));
  for (const event of events) if (!known.has(event.eventId)) session.events.push(event);
  session.events.sort((a, b) => a.index - b.index);
}

function formatServerTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Runs queries on a Mixpanel project over the Query API: compiles the spec, queues the request
 * under the project's rate limits, shares identical in-flight queries and caches answers, and turns
 * every HTTP failure into a BackendError that says what to do (credentials, region, plan, limits).
 */
import type { AnalyticsSchema } from '../../../queryContract/schemaTypes';
import type { FunnelSpec, QuerySpec } from '../../../queryContract/querySpec';
import type { GeneratedRequestResult } from '../../../protocol/customRequests';
import type { FunnelData, QueryResult, ResultWarning } from '../../../protocol/resultModel';
import type { AnalyticsBackend, Credentials, MixpanelRegion, MixpanelSourceConfig, RunContext } from '../../analyticsBackend';
import { BackendError } from '../../backendErrors';
import { envPrefixFor, LEGACY_SECRET_WARNING } from '../../credentialsFromEnv';
import { compileFunnelToJql, funnelJqlOutputToData } from '../../funnelToJql';
import {
  applyBaseUrlOverride,
  buildUrl,
  defaultHttpClient,
  describeAsCurl,
  describeTarget,
  type HttpAuth,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
} from '../../httpClient';
import { maskCredentials } from '../../credentialMasking';
import { parseRetryAfter, type RequestQueue } from '../../requestQueue';
import { describeWait } from '../../retryAfter';
import type { ResultCache } from '../../resultCache';
import { mixpanelHosts } from './mixpanelHosts';
import { canonicalCall, compileMixpanelQuery, projectParams, type CompiledMixpanelQuery, type MixpanelCall } from './mixpanelQueryCompiler';
import { jqlOutputToRows } from '../local/jqlOutputToRows';
import { mixpanelResponseToData } from './mixpanelResults';
import { fetchMixpanelSchema, fetchPropertyValues } from './mixpanelSchema';
import { unsafeIntegersIn } from '../../unsafeIntegers';

export interface MixpanelBackendOptions {
  /** Replaces scheme and host of every request (tests, local development); never from a workspace file. */
  baseUrlOverride?: string;
  queue: RequestQueue;
  cache: ResultCache;
  timeoutMs: number;
  http?: HttpClient;
  /** Largest response body read; default 32 MiB. */
  maxResponseBytes?: number;
  /** Largest `raw` kept on a result for "show raw"; default 256 KiB of text. */
  maxRawChars?: number;
  /** Ad-hoc funnel → JQL; defaults to funnelToJql.ts. */
  compileFunnelToJql?: (spec: FunnelSpec) => { script: string; params: Record<string, unknown> };
  funnelJqlOutputToData?: (output: unknown, spec: FunnelSpec) => FunnelData;
}

export interface MixpanelCohort {
  id: number;
  name: string;
  count?: number;
  description?: string;
}

export interface ProfileQuery {
  where?: string;
  distinctIds?: string[];
  outputProperties?: string[];
  cohortId?: number;
  /** Paging: page > 0 needs the `sessionId` of page 0. */
  page?: number;
  sessionId?: string;
}

export interface ProfilePage {
  profiles: Array<{ distinctId: string; properties: Record<string, unknown> }>;
  page: number;
  pageSize: number;
  sessionId: string | undefined;
  total: number | undefined;
}

const OTHER_REGIONS: Record<MixpanelRegion, string> = { US: 'EU or IN', EU: 'US or IN', IN: 'US or EU' };

export class MixpanelBackend implements AnalyticsBackend {
  private readonly http: HttpClient;

  constructor(
    readonly source: MixpanelSourceConfig,
    private readonly options: MixpanelBackendOptions,
  ) {
    this.http = options.http ?? defaultHttpClient();
  }

  /** `lexiconOnly`: one Lexicon request and no fallback to the per-event listing (background checks). */
  async fetchSchema(context: RunContext, options: { lexiconOnly?: boolean } = {}): Promise<AnalyticsSchema> {
    return fetchMixpanelSchema(this.source, (call) => this.callJson(call, context), { now: context.now, lexiconOnly: options.lexiconOnly });
  }

  /** `bypassCache` asks Mixpanel again even when a fresh cached answer exists. */
  async runQuery(spec: QuerySpec, context: RunContext, runOptions: { bypassCache?: boolean } = {}): Promise<QueryResult> {
    const compiled = await this.compile(spec, context);
    const key = `${this.source.name}\n${canonicalCall(compiled.call, this.hostUrl())}`;
    // A cached answer whose raw text was clipped cannot serve a caller that needs all of it.
    const clippedInCache = context.fullRaw === true && this.options.cache.lookup(key)?.rawTruncated === true;
    const result = await this.options.cache.getOrCompute(key, (signal) => this.execute(spec, compiled, { ...context, signal }), {
      signal: context.signal,
      bypassCache: runOptions.bypassCache || clippedInCache,
    });
    // The cache is keyed by the request: another query of the same request (another title or chart) shares its answer, not its name.
    return { ...result, title: spec.title, chart: spec.chart };
  }

  /** The request a query makes, as curl with secrets masked, plus the JQL of an ad-hoc funnel. */
  async describeRequest(spec: QuerySpec, readTextFile?: (path: string) => Promise<string>): Promise<GeneratedRequestResult> {
    const compiled = await this.compile(spec, { readTextFile: readTextFile ?? (() => Promise.reject(new Error('no reader'))) });
    const placeholder: Credentials = { username: '<service-account-username>', secret: 'x' };
    return { curl: describeAsCurl(this.toHttpRequest(compiled.call, placeholder)), jql: compiled.generatedJql };
  }

  /** `/cohorts/list`: the project's saved cohorts, for completion and lookups. */
  async listCohorts(context: RunContext): Promise<MixpanelCohort[]> {
    const json = await this.callJson(
      { method: 'POST', path: '/api/query/cohorts/list', query: projectParams(this.source), form: {}, retryable: true },
      context,
    );
    if (!Array.isArray(json)) throw new BackendError('badResponse', "Mixpanel's /cohorts/list answer is not a JSON array.");
    return json
      .filter((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null && typeof (entry as { id?: unknown }).id === 'number')
      .map((entry) => ({
        id: entry.id as number,
        name: typeof entry.name === 'string' ? entry.name : `Cohort ${String(entry.id)}`,
        count: typeof entry.count === 'number' ? entry.count : undefined,
        description: typeof entry.description === 'string' && entry.description ? entry.description : undefined,
      }));
  }

  /** `/engage`: one page of user profiles. */
  async queryProfiles(query: ProfileQuery, context: RunContext): Promise<ProfilePage> {
    const form: Record<string, string> = {};
    if (query.where) form.where = query.where;
    if (query.distinctIds) form.distinct_ids = JSON.stringify(query.distinctIds);
    if (query.outputProperties) form.output_properties = JSON.stringify(query.outputProperties);
    if (query.cohortId !== undefined) form.filter_by_cohort = JSON.stringify({ id: query.cohortId });
    if (query.page) form.page = String(query.page);
    if (query.sessionId) form.session_id = query.sessionId;
    const json = await this.callJson({ method: 'POST', path: '/api/query/engage', query: projectParams(this.source), form, retryable: true }, context);
    const body = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
    if (!Array.isArray(body.results)) throw new BackendError('badResponse', 'Mixpanel\'s /engage answer has no "results" array.');
    return {
      profiles: body.results.map((entry) => {
        const profile = (entry ?? {}) as Record<string, unknown>;
        return { distinctId: String(profile.$distinct_id ?? ''), properties: (profile.$properties ?? {}) as Record<string, unknown> };
      }),
      page: typeof body.page === 'number' ? body.page : (query.page ?? 0),
      pageSize: typeof body.page_size === 'number' ? body.page_size : body.results.length,
      sessionId: typeof body.session_id === 'string' ? body.session_id : undefined,
      total: typeof body.total === 'number' ? body.total : undefined,
    };
  }

  /** `/events/properties/values`, for value completion. */
  propertyValues(event: string, property: string, context: RunContext): Promise<string[]> {
    return fetchPropertyValues(this.source, (call) => this.callJson(call, context), event, property);
  }

  private async compile(spec: QuerySpec, context: Pick<RunContext, 'readTextFile'>): Promise<CompiledMixpanelQuery> {
    let jqlScript: string | undefined;
    if (spec.kind === 'jql') {
      try {
        jqlScript = await context.readTextFile(spec.scriptPath);
      } catch {
        throw new BackendError('config', `The JQL script "${spec.scriptPath}" could not be read.`);
      }
    }
    return compileMixpanelQuery(spec, this.source, { jqlScript, compileFunnelToJql: this.options.compileFunnelToJql ?? compileFunnelToJql });
  }

  private async execute(spec: QuerySpec, compiled: CompiledMixpanelQuery, context: RunContext): Promise<QueryResult> {
    const started = Date.now();
    const computedAt = context.now().toISOString();
    const warnings: ResultWarning[] = [...compiled.warnings];
    if (context.credentials?.secret && !context.credentials.username) warnings.push({ code: 'legacy-project-secret', message: LEGACY_SECRET_WARNING });
    context.onProgress?.({ message: `Waiting for Mixpanel (${this.source.name})…` });
    const response = await this.send(compiled.call, context);
    const json = parseJson(response.body, compiled.call.path);
    const unsafe = unsafeIntegersIn(response.body);
    if (unsafe.count > 0) {
      const rounded = Number(unsafe.example).toLocaleString('en-US');
      warnings.push({
        code: 'precision',
        message: `${unsafe.count === 1 ? 'a number' : `${unsafe.count} numbers`} in Mixpanel's answer ${unsafe.count === 1 ? 'is' : 'are'} above 2^53 (9,007,199,254,740,991) and shown rounded: ${unsafe.example} became ${rounded}`,
      });
    }
    const data = mixpanelResponseToData(json, spec, compiled, {
      jqlOutputToRows,
      funnelJqlOutputToData: this.options.funnelJqlOutputToData ?? funnelJqlOutputToData,
    });
    const maxRaw = context.fullRaw ? Infinity : (this.options.maxRawChars ?? 256 * 1024);
    const rowCount =
      data.kind === 'series'
        ? data.dates.length
        : data.kind === 'funnel'
          ? (data.byDate?.length ?? data.steps.length)
          : data.kind === 'retention'
            ? data.cohorts.length
            : data.kind === 'rows'
              ? data.rows.length
              : data.sessions.length;
    const seriesCount = data.kind === 'series' ? data.series.length : data.kind === 'funnel' ? data.segments.length : 0;
    return {
      title: spec.title,
      queryKind: spec.kind,
      source: { kind: 'mixpanel', name: this.source.name },
      range: 'range' in spec && spec.range ? { from: spec.range.from, to: spec.range.to } : undefined,
      chart: spec.chart,
      cleaned: spec.clean,
      data,
      meta: { computedAt, durationMs: Date.now() - started, rowCount, seriesCount, warnings },
      raw: maskCredentials(response.body, { credentials: context.credentials }).slice(0, maxRaw),
      rawTruncated: response.body.length > maxRaw || undefined,
    };
  }

  private async callJson(call: MixpanelCall, context: RunContext): Promise<unknown> {
    const response = await this.send(call, context);
    return parseJson(response.body, call.path);
  }

  /** One call through the queue; a non-2xx status becomes the BackendError the user can act on. */
  private send(call: MixpanelCall, context: RunContext): Promise<HttpResponse> {
    const credentials = context.credentials;
    if (!credentials?.secret) {
      return Promise.reject(new BackendError('auth', `No credentials for Mixpanel source "${this.source.name}".`, { hint: this.credentialsHint() }));
    }
    const request = this.toHttpRequest(call, credentials);
    return this.options.queue.run(
      async () => {
        const response = await this.http.send(request, { signal: context.signal, timeoutMs: this.options.timeoutMs, maxBytes: this.options.maxResponseBytes });
        if (response.status >= 200 && response.status < 300) return response;
        throw this.errorFor(response, call, credentials);
      },
      { signal: context.signal, retryable: call.retryable },
    );
  }

  private toHttpRequest(call: MixpanelCall, credentials: Credentials): HttpRequest {
    const url = applyBaseUrlOverride(buildUrl(this.hostUrl(), call.path, call.query), this.options.baseUrlOverride);
    const auth: HttpAuth = credentials.username
      ? { kind: 'basic', username: credentials.username, password: credentials.secret ?? '' }
      : { kind: 'basic', username: credentials.secret ?? '', password: '' };
    const request: HttpRequest = { method: call.method, url, auth, headers: { accept: 'application/json' }, secrets: { credentials } };
    if (call.form) {
      request.headers = { ...request.headers, 'content-type': 'application/x-www-form-urlencoded' };
      request.body = new URLSearchParams(call.form).toString();
    }
    return request;
  }

  private credentialsHint(): string {
    const prefix = envPrefixFor(this.source.name);
    return `Run "aq: Set Credentials" in the editor, or set ${prefix}USERNAME and ${prefix}SECRET (a Mixpanel service account) for the CLI.`;
  }

  private hostUrl(): string {
    return mixpanelHosts(this.source.region).query;
  }

  private errorFor(response: HttpResponse, call: MixpanelCall, credentials: Credentials): BackendError {
    const status = response.status;
    const detail = maskCredentials(mixpanelErrorText(maskCredentials(response.body, { credentials })), { credentials });
    const { name, projectId, region } = this.source;
    const project = `project ${projectId}`;
    const said = detail ? ` Mixpanel said: "${detail}"` : '';
    if (/invalid project id for cluster|cluster/i.test(detail) && status >= 400 && status < 500) {
      return new BackendError(
        'region',
        `Mixpanel's ${region} servers do not hold ${project}: this project may live in the ${OTHER_REGIONS[region]} region. Set "region" for source "${name}" in aq.json (US, EU or IN).${said}`,
        { status, hint: `Project Settings → Data Residency in Mixpanel shows the region; put it in aq.json as "region" of source "${name}".` },
      );
    }
    switch (status) {
      case 401:
        return new BackendError(
          'auth',
          credentials.username
            ? `Mixpanel rejected the credentials for source "${name}" (HTTP 401). Check the service account username and secret, that the account has not expired, and that it has access to ${project}.`
            : `Mixpanel rejected the project secret for source "${name}" (HTTP 401). Check the secret, or better, use a service account with access to ${project}.`,
          { status, hint: this.credentialsHint() },
        );
      case 403:
        return new BackendError(
          'auth',
          `The service account for source "${name}" may not run this on ${project} (HTTP 403). Check that it is a member of the project with the Analyst role or higher.${said}`,
          { status, hint: this.credentialsHint() },
        );
      case 402:
        return new BackendError(
          'plan',
          `Mixpanel answered 402 Payment Required for ${project}: the project's plan does not include this query or is over its data limits. Check the plan in Mixpanel's organization settings.${said}`,
          { status },
        );
      case 404:
        return new BackendError(
          'notFound',
          `Mixpanel does not know ${project}${call.query.funnel_id ? ` or funnel ${call.query.funnel_id}` : ''}${call.query.bookmark_id ? ` or report ${call.query.bookmark_id}` : ''} (HTTP 404). Check "projectId" for source "${name}" in aq.json and the id in the query.${said}`,
          { status },
        );
      case 429: {
        const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
        const when = retryAfterMs !== undefined ? `it asks to wait ${describeWait(retryAfterMs)}` : 'retry in a few minutes';
        return new BackendError(
          'rateLimited',
          `Mixpanel's rate limit for ${project} was reached (60 queries per hour, 5 at a time): ${when}. Repeated queries are answered from the cache.`,
          { status, retryAfterMs },
        );
      }
    }
    if (status >= 500)
      return new BackendError(
        'server',
        `Mixpanel answered HTTP ${status} (${describeTarget(applyBaseUrlOverride(buildUrl(this.hostUrl(), call.path), this.options.baseUrlOverride))}); it may be a temporary problem, try again later.${said}`,
        { status },
      );
    if (status === 400 && call.path.endsWith('/jql')) return new BackendError('script', `Mixpanel could not run the JQL script.${said}`, { status });
    return new BackendError('badRequest', `Mixpanel rejected the query (HTTP ${status}).${said}`, { status });
  }
}

/** Builds a Mixpanel backend; the engine owns the queue and cache so they outlive a reconfigure. */
export function createMixpanelBackend(source: MixpanelSourceConfig, options: MixpanelBackendOptions): MixpanelBackend {
  return new MixpanelBackend(source, options);
}

/** The `error` text of a Mixpanel error body (`{"error": …}` or plain text), clipped. */
function mixpanelErrorText(body: string): string {
  const trimmed = body.trim();
  if (!trimmed) return '';
  try {
    const json = JSON.parse(trimmed) as unknown;
    if (typeof json === 'object' && json !== null) {
      const error = (json as { error?: unknown; message?: unknown }).error ?? (json as { message?: unknown }).message;
      if (typeof error === 'string') return clip(error);
    }
  } catch {
    // Not JSON: plain text below.
  }
  return /^\s*</.test(trimmed) ? '' : clip(trimmed);
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine;
}

function parseJson(body: string, path: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new BackendError(
      'badResponse',
      `Mixpanel's answer to ${path} is not valid JSON${body.length > 0 ? ' (it may have been cut off)' : ' (it was empty)'}.`,
    );
  }
}

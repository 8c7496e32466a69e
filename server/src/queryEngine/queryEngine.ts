/**
 * The query engine: the one place that knows a workspace's sources, builds a backend per source,
 * keeps schemas in memory for lint and completion, and runs queries. The language server and the
 * CLI both use it, so a query behaves the same in the editor and in a terminal.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { AnalyticsSchema } from '../queryContract/schemaTypes';
import { QUERY_KIND_SOURCES } from '../languageService/clauseCatalog';
import { schemaFromLexicon } from '../queryContract/lexiconSchema';
import type { QuerySpec, SourceRef } from '../queryContract/querySpec';
import type { GeneratedRequestResult, SourceStatus } from '../protocol/customRequests';
import type { QueryResult } from '../protocol/resultModel';
import { cleanResult } from '../results/cleanSegments';
import { resultHeadline } from '../results/headline';
import type { AnalyticsBackend, Credentials, LocalSourceConfig, MparticleSourceConfig, RunContext, SourceConfig } from './analyticsBackend';
import { BackendError, isBackendError } from './backendErrors';
import { defaultCacheDir } from './cacheDir';
import { LocalBackend } from './backends/local/localBackend';
import { MixpanelBackend } from './backends/mixpanel/mixpanelBackend';
import { credentialDestination } from './credentialDestination';
import { RemoteServices, remoteHost, type RemoteBackend, type RemoteSourceConfig } from './remoteBackends';
import type { EngineSettings, LiveSchemaOptions, QueryEngine, RunOptions } from './queryEngineTypes';
import { readWorkspaceConfig, parseWorkspaceConfig, type WorkspaceConfig } from './workspaceConfig';

export interface QueryEngineOptions {
  /** Where fetched schemas are cached on disk; default `~/.cache/aq`. */
  cacheDir?: string;
  /** The bundled JQL worker (dist/jqlWorker.js) when running from a bundle. */
  jqlWorkerPath?: string;
  /** Credentials for background schema refreshes; without it remote schemas load only on demand. */
  backgroundCredentials?: (source: SourceConfig, host: string) => Promise<Credentials | undefined>;
  /** Diagnostic log (never given secrets). */
  log?: (message: string) => void;
  now?: () => Date;
}

/** Remote schemas older than this are refreshed in the background when credentials are at hand. */
const SCHEMA_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * Requests of Mixpanel's hourly budget that lookups nobody explicitly asked for (a background drift
 * check, values for completion) leave to the user's own queries.
 */
const BACKGROUND_BUDGET_RESERVE = 10;
/** How long known property values are reused before asking again. */
const PROPERTY_VALUES_MAX_AGE_MS = 10 * 60 * 1000;
/** Property-value lists kept; the oldest is forgotten first. */
const PROPERTY_VALUES_CACHE_SIZE = 500;

interface PropertyValueLookup {
  promise: Promise<string[] | undefined>;
  controller: AbortController;
  /** Callers still waiting; the request is aborted when the last one gives up. */
  waiting: number;
}

/** Waits for a shared lookup as one caller: rejects as cancelled when `signal` aborts, and aborts the lookup when nobody waits any more. */
function waitForLookup(lookup: PropertyValueLookup, signal: AbortSignal): Promise<string[] | undefined> {
  if (signal.aborted) return Promise.reject(new BackendError('cancelled', 'The lookup was cancelled.'));
  lookup.waiting++;
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      if (--lookup.waiting === 0) lookup.controller.abort();
      reject(new BackendError('cancelled', 'The lookup was cancelled.'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    lookup.promise.then(
      (values) => {
        signal.removeEventListener('abort', onAbort);
        lookup.waiting--;
        resolve(values);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        lookup.waiting--;
        reject(error as Error);
      },
    );
  });
}

interface SchemaEntry {
  schema: AnalyticsSchema | undefined;
  loading: Promise<AnalyticsSchema | undefined> | undefined;
  error?: string;
}

export function createQueryEngine(options: QueryEngineOptions = {}): QueryEngine {
  return new WorkspaceQueryEngine(options);
}

class WorkspaceQueryEngine implements QueryEngine {
  private config: WorkspaceConfig = readWorkspaceConfig(undefined);
  private settings: EngineSettings = {};
  private readonly schemas = new Map<string, SchemaEntry>();
  private readonly backends = new Map<string, AnalyticsBackend | RemoteBackend>();
  private readonly listeners = new Set<() => void>();
  private readonly remoteServices = new RemoteServices(() => this.fireChange());
  private readonly now: () => Date;
  private readonly propertyValueCache = new Map<string, { values: string[]; at: number }>();
  private readonly propertyValueLookups = new Map<string, PropertyValueLookup>();

  constructor(private readonly options: QueryEngineOptions) {
    this.now = options.now ?? (() => new Date());
  }

  configure(rootDir: string | undefined, settings: EngineSettings): void {
    const config = readWorkspaceConfig(rootDir);
    if (settings.extraSources) {
      const extra = parseWorkspaceConfig({ sources: settings.extraSources }, rootDir, 'setting aq.sources');
      config.sources = { ...config.sources, ...extra.sources };
      config.ingestionSources = { ...config.ingestionSources, ...extra.ingestionSources };
      config.problems.push(...extra.problems);
    }
    this.config = config;
    this.settings = settings;
    this.remoteServices.setCacheTtl(settings.cacheTtlMs);
    this.schemas.clear();
    this.backends.clear();
    this.propertyValueCache.clear();
    for (const problem of config.problems) this.options.log?.(problem);
    this.fireChange();
  }

  configurationProblems(): readonly string[] {
    return this.config.problems;
  }

  defaultSource(): SourceRef | undefined {
    const fromSettings = this.settings.defaultSource;
    const name = fromSettings !== undefined && fromSettings in this.config.sources ? fromSettings : this.config.defaultSource;
    const source = name ? this.config.sources[name] : undefined;
    return source ? { kind: source.kind, name: source.name } : undefined;
  }

  ingestionSource(name: string): MparticleSourceConfig | undefined {
    return this.config.ingestionSources[name];
  }

  knownSources(): ReadonlySet<string> {
    return new Set(Object.keys(this.config.sources));
  }

  resolveSource(ref: SourceRef | undefined, documentPath: string | undefined): SourceConfig | undefined {
    const wanted = ref ?? this.defaultSource();
    if (!wanted) return undefined;
    const named = this.config.sources[wanted.name];
    if (named && named.kind === wanted.kind) return this.withRootPaths(named);
    if (wanted.kind !== 'local') return undefined;
    // `use local "data/x.ndjson"` names a file relative to the query file, not a configured source.
    const base = documentPath ? dirname(documentPath) : (this.config.rootDir ?? process.cwd());
    return { kind: 'local', name: wanted.name, path: isAbsolute(wanted.name) ? wanted.name : resolve(base, wanted.name) };
  }

  schemaFor(ref: SourceRef | undefined, documentPath: string | undefined): AnalyticsSchema | undefined {
    if (this.settings.schemaOverride) return this.settings.schemaOverride;
    const source = this.resolveSource(ref, documentPath);
    if (!source) return undefined;
    const key = sourceKey(source);
    const entry = this.schemas.get(key);
    if (entry) return entry.schema;
    void this.startSchemaLoad(source, key, false);
    return this.schemas.get(key)?.schema;
  }

  /** Why the source's schema could not be loaded (an unreadable or invalid schemaFile), if it failed. */
  schemaErrorFor(ref: SourceRef | undefined, documentPath: string | undefined): string | undefined {
    if (this.settings.schemaOverride) return undefined;
    const source = this.resolveSource(ref, documentPath);
    return source ? this.schemas.get(sourceKey(source))?.error : undefined;
  }

  /** Like schemaFor, but waits for a load in progress (the CLI cannot wait for a change event). */
  async loadSchema(ref: SourceRef | undefined, documentPath: string | undefined): Promise<AnalyticsSchema | undefined> {
    const immediate = this.schemaFor(ref, documentPath);
    if (immediate) return immediate;
    const source = this.resolveSource(ref, documentPath);
    if (!source) return undefined;
    return (await this.schemas.get(sourceKey(source))?.loading) ?? this.schemas.get(sourceKey(source))?.schema;
  }

  async run(spec: QuerySpec, documentPath: string, options: RunOptions): Promise<QueryResult> {
    const source = this.requireSource(spec, documentPath);
    if (!QUERY_KIND_SOURCES[spec.kind].includes(source.kind)) {
      throw new BackendError(
        'config',
        `A ${spec.kind} query cannot run on the ${source.kind} source "${source.name}"; it needs ${QUERY_KIND_SOURCES[spec.kind].join(' or ')}.`,
      );
    }
    if (source.kind !== 'local' && this.settings.trusted === false) {
      throw new BackendError(
        'config',
        'This workspace is in Restricted Mode: aq does not send queries or credentials to remote sources until you trust the workspace.',
      );
    }
    const context = await this.runContext(source, documentPath, options);
    const runOn = (query: QuerySpec) =>
      source.kind === 'local'
        ? this.localBackendFor(source).runQuery(query, context)
        : this.remoteBackendFor(source).runQuery(query, context, { bypassCache: options.bypassCache });
    const result = await runOn(spec);
    const previousRange = spec.kind === 'segmentation' && spec.compare === 'previous' ? precedingRange(spec.range) : undefined;
    if (spec.kind === 'segmentation' && previousRange && result.data.kind === 'series') {
      const previous = await runOn({ ...spec, range: previousRange });
      if (previous.data.kind === 'series') result.comparison = { range: previousRange, data: previous.data };
    }
    return withReadingAids(spec.clean ? cleanResult(result) : result, spec, result, source.kind === 'local');
  }

  async generatedRequest(spec: QuerySpec, documentPath: string): Promise<GeneratedRequestResult> {
    const source = this.requireSource(spec, documentPath);
    if (source.kind === 'local') {
      return { note: `"${spec.title}" runs on the local source "${source.name}": no HTTP request is made.` };
    }
    return this.remoteBackendFor(source).describeRequest(spec, (path) => readFile(isAbsolute(path) ? path : resolve(dirname(documentPath), path), 'utf8'));
  }

  async refreshSchema(sourceName: string | undefined, options: Pick<RunOptions, 'signal' | 'getCredentials'>): Promise<SourceStatus[]> {
    const targets = Object.values(this.config.sources).filter((s) => sourceName === undefined || s.name === sourceName);
    if (sourceName !== undefined && targets.length === 0) {
      throw new BackendError('config', `No source named "${sourceName}" is configured.`);
    }
    for (const configured of targets) {
      const source = this.withRootPaths(configured);
      const key = sourceKey(source);
      this.schemas.delete(key);
      if (source.kind === 'local' || (source.kind === 'mixpanel' && source.schemaFile)) {
        await this.startSchemaLoad(source, key, false);
      } else {
        await this.fetchRemoteSchema(source, key, { signal: options.signal, getCredentials: options.getCredentials });
      }
      const error = this.schemas.get(key)?.error;
      if (error) throw new BackendError('badResponse', `Refreshing the schema of "${source.name}" failed: ${error}`);
    }
    return this.status();
  }

  sourceNamed(name: string): SourceConfig | undefined {
    const configured = Object.hasOwn(this.config.sources, name) ? this.config.sources[name] : undefined;
    return configured ? this.withRootPaths(configured) : undefined;
  }

  async liveSchema(sourceName: string, documentPath: string | undefined, options: LiveSchemaOptions): Promise<AnalyticsSchema> {
    const source = this.sourceNamed(sourceName);
    if (!source) {
      throw new BackendError('config', `No source named "${sourceName}" is configured (known: ${Object.keys(this.config.sources).join(', ') || 'none'}).`);
    }
    const contextPath = documentPath ?? join(this.config.rootDir ?? process.cwd(), 'aq.json');
    if (source.kind === 'local') return this.localBackendFor(source).deriveFromData(await this.runContext(source, contextPath, options));
    if (source.kind === 'piwik') {
      throw new BackendError(
        'config',
        `"${source.name}" is a Piwik PRO source: schema snapshots are for Mixpanel and local sources, whose events have a schema.`,
      );
    }
    if (this.settings.trusted === false) {
      throw new BackendError('config', 'This workspace is in Restricted Mode: aq does not ask remote sources for their schema until you trust the workspace.');
    }
    if (options.background && !this.hasBudgetToSpare(source.name)) {
      throw new BackendError(
        'rateLimited',
        `The last ${BACKGROUND_BUDGET_RESERVE} requests of the hourly budget of "${source.name}" are kept for queries; the schema is compared again later.`,
      );
    }
    const context = await this.runContext(source, contextPath, options);
    return this.remoteBackendFor(source).fetchSchema(context, { lexiconOnly: options.background });
  }

  async propertyValues(
    ref: SourceRef | undefined,
    documentPath: string | undefined,
    event: string,
    property: string,
    options: Pick<RunOptions, 'signal' | 'getCredentials'>,
  ): Promise<string[] | undefined> {
    const source = this.resolveSource(ref, documentPath);
    if (!source || source.kind === 'piwik') return undefined;
    const key = `${sourceKey(source)}\u0000${event}\u0000${property}`;
    const cached = this.propertyValueCache.get(key);
    if (cached && this.now().getTime() - cached.at < PROPERTY_VALUES_MAX_AGE_MS) return cached.values;
    // Lookups of one key share one request; it is aborted only when every caller waiting for it gave up.
    let lookup = this.propertyValueLookups.get(key);
    if (!lookup) {
      const controller = new AbortController();
      const started: PropertyValueLookup = {
        controller,
        waiting: 0,
        promise: this.lookUpPropertyValues(source, documentPath, event, property, { signal: controller.signal, getCredentials: options.getCredentials })
          .then(
            (values) => {
              if (values !== undefined) this.rememberPropertyValues(key, values);
              return values;
            },
            (error: unknown) => {
              // A lookup that failed (no access, a bad answer) is not repeated at every keystroke either.
              if (!isBackendError(error) || error.kind !== 'cancelled') this.rememberPropertyValues(key, []);
              throw error;
            },
          )
          .finally(() => {
            if (this.propertyValueLookups.get(key) === started) this.propertyValueLookups.delete(key);
          }),
      };
      lookup = started;
      this.propertyValueLookups.set(key, lookup);
    }
    return waitForLookup(lookup, options.signal);
  }

  private rememberPropertyValues(key: string, values: string[]): void {
    this.propertyValueCache.delete(key);
    this.propertyValueCache.set(key, { values, at: this.now().getTime() });
    while (this.propertyValueCache.size > PROPERTY_VALUES_CACHE_SIZE) this.propertyValueCache.delete(this.propertyValueCache.keys().next().value as string);
  }

  private async lookUpPropertyValues(
    source: SourceConfig,
    documentPath: string | undefined,
    event: string,
    property: string,
    options: Pick<RunOptions, 'signal' | 'getCredentials'>,
  ): Promise<string[] | undefined> {
    const contextPath = documentPath ?? join(this.config.rootDir ?? process.cwd(), 'aq.json');
    if (source.kind === 'local') return this.localBackendFor(source).propertyValues(event, property, await this.runContext(source, contextPath, options));
    if (source.kind !== 'mixpanel' || this.settings.trusted === false || !this.hasBudgetToSpare(source.name)) return undefined;
    const backend = this.remoteBackendFor(source);
    if (!(backend instanceof MixpanelBackend)) return undefined;
    const context = await this.runContext(source, contextPath, options);
    // Completion never asks the user for a secret: without stored credentials there are just no values.
    if (!context.credentials?.secret) return undefined;
    return backend.propertyValues(event, property, context);
  }

  /** Whether a request nobody explicitly asked for may be sent without eating into what queries need. */
  private hasBudgetToSpare(sourceName: string): boolean {
    const budget = this.remoteServices.budgetOf(sourceName);
    return budget === undefined || budget.remaining > BACKGROUND_BUDGET_RESERVE;
  }

  status(): SourceStatus[] {
    const ingestion = Object.values(this.config.ingestionSources).map((source): SourceStatus => ({
      name: source.name,
      kind: source.kind,
      isDefault: false,
      host: remoteHost(source, this.settings.baseUrlOverrides?.[source.name]),
    }));
    const queried = Object.values(this.config.sources).map((configured) => {
      const source = this.withRootPaths(configured);
      const schema = this.schemas.get(sourceKey(source))?.schema;
      const budget = source.kind === 'mixpanel' ? this.remoteServices.budgetOf(source.name) : undefined;
      return {
        name: source.name,
        kind: source.kind,
        isDefault: source.name === this.defaultSource()?.name,
        schemaFetchedAt: schema?.origin?.fetchedAt,
        schemaLabel: schema?.origin?.label,
        budgetRemaining: budget?.remaining,
        queued: budget?.queued,
        running: budget?.running,
      };
    });
    return [...queried, ...ingestion];
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  dispose(): void {
    this.listeners.clear();
    this.backends.clear();
    this.schemas.clear();
  }

  private fireChange(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (error) {
        this.options.log?.(`change listener failed: ${(error as Error).message}`);
      }
    }
  }

  private requireSource(spec: QuerySpec, documentPath: string): SourceConfig {
    const source = this.resolveSource(spec.source, documentPath);
    if (source) return source;
    if (!spec.source) {
      throw new BackendError(
        'config',
        `"${spec.title}" has no source: add a \`use mixpanel "NAME"\`, \`use piwik "NAME"\` or \`use local "PATH"\` line above it, or a "default" source in aq.json.`,
      );
    }
    const named = this.config.sources[spec.source.name];
    if (named) {
      throw new BackendError(
        'config',
        `The source "${spec.source.name}" is a ${named.kind} source in aq.json, but the file uses it as \`use ${spec.source.kind}\`.`,
      );
    }
    throw new BackendError(
      'config',
      `No ${spec.source.kind} source named "${spec.source.name}" is configured. Add it to aq.json or with the command "aq: Add ${spec.source.kind === 'piwik' ? 'Piwik PRO' : 'Mixpanel'} Source".`,
    );
  }

  /** Resolves a configured source's relative paths against the workspace root. */
  private withRootPaths(source: SourceConfig): SourceConfig {
    const root = this.config.rootDir ?? process.cwd();
    if (source.kind === 'local') {
      return { ...source, path: resolve(root, source.path), schemaFile: source.schemaFile ? resolve(root, source.schemaFile) : undefined };
    }
    if (source.kind === 'mixpanel' && source.schemaFile) return { ...source, schemaFile: resolve(root, source.schemaFile) };
    return source;
  }

  private localBackendFor(source: LocalSourceConfig): LocalBackend {
    const key = sourceKey(source);
    const existing = this.backends.get(key);
    if (existing instanceof LocalBackend) return existing;
    const backend = new LocalBackend(source, { rootDir: this.config.rootDir ?? process.cwd(), jqlWorkerPath: this.options.jqlWorkerPath });
    this.backends.set(key, backend);
    return backend;
  }

  private remoteBackendFor(source: RemoteSourceConfig): RemoteBackend {
    const key = sourceKey(source);
    const existing = this.backends.get(key);
    if (existing && !(existing instanceof LocalBackend)) return existing as RemoteBackend;
    const backend = this.remoteServices.create(source, {
      baseUrlOverride: this.settings.baseUrlOverrides?.[source.name],
      timeoutMs: this.settings.requestTimeoutMs,
    });
    this.backends.set(key, backend);
    return backend;
  }

  private async runContext(source: SourceConfig, documentPath: string, options: RunOptions): Promise<RunContext> {
    let credentials: Credentials | undefined;
    if (source.kind !== 'local') {
      const override = this.settings.baseUrlOverrides?.[source.name];
      credentials = await options.getCredentials(source, remoteHost(source, override), credentialDestination(source, override));
    }
    return {
      signal: options.signal,
      credentials,
      now: this.now,
      onProgress: options.onProgress,
      fullRaw: options.fullRaw,
      readTextFile: (path) => readFile(isAbsolute(path) ? path : resolve(dirname(documentPath), path), 'utf8'),
    };
  }

  private startSchemaLoad(source: SourceConfig, key: string, force: boolean): Promise<AnalyticsSchema | undefined> {
    const existing = this.schemas.get(key);
    if (existing?.loading && !force) return existing.loading;
    const entry: SchemaEntry = existing ?? { schema: undefined, loading: undefined };
    this.schemas.set(key, entry);
    entry.loading = this.loadSchemaFor(source, key)
      .then((schema) => {
        entry.schema = schema;
        entry.error = undefined;
        return schema;
      })
      .catch((error: unknown) => {
        entry.error = (error as Error).message;
        this.options.log?.(`schema of "${source.name}" could not be loaded: ${entry.error}`);
        return entry.schema;
      })
      .finally(() => {
        entry.loading = undefined;
        this.fireChange();
      });
    return entry.loading;
  }

  private async loadSchemaFor(source: SourceConfig, key: string): Promise<AnalyticsSchema | undefined> {
    if ((source.kind === 'mixpanel' || source.kind === 'local') && source.schemaFile) {
      const text = await readFile(source.schemaFile, 'utf8');
      return schemaFromLexicon(JSON.parse(text), { kind: 'file', label: source.schemaFile, fetchedAt: this.now().toISOString() });
    }
    if (source.kind === 'local') {
      return this.localBackendFor(source).fetchSchema({ signal: new AbortController().signal, now: this.now, readTextFile: (p) => readFile(p, 'utf8') });
    }
    const cached = this.readSchemaCache(source);
    const isStale = !cached?.origin?.fetchedAt || this.now().getTime() - Date.parse(cached.origin.fetchedAt) > SCHEMA_MAX_AGE_MS;
    if (isStale && this.options.backgroundCredentials) {
      void this.fetchRemoteSchema(source, key, { signal: new AbortController().signal, getCredentials: this.options.backgroundCredentials });
    }
    return cached;
  }

  private async fetchRemoteSchema(source: RemoteSourceConfig, key: string, options: Pick<RunOptions, 'signal' | 'getCredentials'>): Promise<void> {
    const entry: SchemaEntry = this.schemas.get(key) ?? { schema: undefined, loading: undefined };
    this.schemas.set(key, entry);
    try {
      const override = this.settings.baseUrlOverrides?.[source.name];
      const credentials = await options.getCredentials(source, remoteHost(source, override), credentialDestination(source, override));
      const schema = await this.remoteBackendFor(source).fetchSchema({
        signal: options.signal,
        credentials,
        now: this.now,
        readTextFile: (p) => readFile(p, 'utf8'),
      });
      entry.schema = schema;
      entry.error = undefined;
      this.writeSchemaCache(source, schema);
    } catch (error) {
      entry.error = (error as Error).message;
      this.options.log?.(`schema of "${source.name}" could not be fetched: ${entry.error}`);
    } finally {
      this.fireChange();
    }
  }

  private schemaCachePath(source: SourceConfig): string {
    const dir = this.options.cacheDir ?? defaultCacheDir();
    return join(dir, 'schemas', `${source.kind}-${sourceKey(source).slice(0, 16)}.json`);
  }

  private readSchemaCache(source: SourceConfig): AnalyticsSchema | undefined {
    const file = this.schemaCachePath(source);
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as AnalyticsSchema;
    } catch {
      return undefined;
    }
  }

  private writeSchemaCache(source: SourceConfig, schema: AnalyticsSchema): void {
    const file = this.schemaCachePath(source);
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(schema));
    } catch (error) {
      this.options.log?.(`could not cache the schema of "${source.name}": ${(error as Error).message}`);
    }
  }
}

/** Identifies a source by everything that changes what it answers (never by secrets). */
function sourceKey(source: SourceConfig): string {
  return createHash('sha256').update(JSON.stringify(source)).digest('hex');
}

/**
 * The headline and the limit notice, added to whatever answer (fresh or cached) the backend gave.
 * The local engine counts what `limit` left out; a remote backend returns at most `limit` segments
 * and never says how many there were, so a full page is reported as possibly cut.
 */
function withReadingAids(shown: QueryResult, spec: QuerySpec, answered: QueryResult, countsExactly: boolean): QueryResult {
  const limited = answered.meta.limited ?? (countsExactly ? undefined : fullPageNotice(spec, answered));
  const headline = resultHeadline(shown, { byBucket: spec.kind === 'segmentation' && spec.unitStated === true });
  return { ...shown, meta: { ...shown.meta, ...(headline ? { headline } : {}), ...(limited ? { limited } : {}) } };
}

function fullPageNotice(spec: QuerySpec, result: QueryResult): QueryResult['meta']['limited'] {
  if (!('limit' in spec) || spec.limit === undefined) return undefined;
  const data = result.data;
  if (data.kind === 'debugger') return data.sessions.length >= spec.limit ? { noun: 'sessions', shown: data.sessions.length, limit: spec.limit } : undefined;
  if (!('on' in spec) || spec.on === undefined) return undefined;
  const segments =
    data.kind === 'series'
      ? data.series.length
      : data.kind === 'funnel'
        ? data.segments.filter((entry) => entry.segment !== null).length
        : data.kind === 'retention'
          ? new Set(data.cohorts.map((cohort) => cohort.segment)).size
          : 0;
  return segments >= spec.limit ? { noun: 'segments', shown: segments, limit: spec.limit } : undefined;
}

const DAY_MS = 86_400_000;

/** The range of the same number of days that ends the day before `range` starts (Mixpanel's "previous period"). */
export function precedingRange(range: { from: string; to: string }): { from: string; to: string } | undefined {
  const from = Date.parse(`${range.from}T00:00:00Z`);
  const to = Date.parse(`${range.to}T00:00:00Z`);
  if (Number.isNaN(from) || Number.isNaN(to) || to < from) return undefined;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  return { from: day(from - (to - from) - DAY_MS), to: day(from - DAY_MS) };
}

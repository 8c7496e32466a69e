/**
 * What the language server and the CLI ask of the query engine: the sources of a workspace, their
 * schemas (synchronously, from memory, so lint and completion never wait for the network), running
 * queries and describing the request a query would make. Implemented by `createQueryEngine`
 * (queryEngine.ts).
 */
import type { AnalyticsSchema } from '../queryContract/schemaTypes';
import type { QuerySpec, SourceRef } from '../queryContract/querySpec';
import type { GeneratedRequestResult, SourceStatus } from '../protocol/customRequests';
import type { QueryResult } from '../protocol/resultModel';
import type { Credentials, MparticleSourceConfig, QueryProgress, SourceConfig } from './analyticsBackend';
import type { CredentialDestination } from '../protocol/credentialHostRule';

/** Settings the host passes in; the extension reads them from VS Code, the CLI from the environment. */
export interface EngineSettings {
  /** Sources added by user settings, merged over aq.json's. */
  extraSources?: Record<string, Omit<SourceConfig | MparticleSourceConfig, 'name'>>;
  /**
   * Per-source replacement of scheme and host (`http://127.0.0.1:4010`). Only machine-scoped settings
   * (extension) or `AQ_<NAME>_BASE_URL` (CLI) may set it; never a workspace file.
   */
  baseUrlOverrides?: Record<string, string>;
  /** How long a repeated identical query is answered from the cache; default 10 minutes. */
  cacheTtlMs?: number;
  /** Per-request timeout; default 120 s. */
  requestTimeoutMs?: number;
  /** The `aq.defaultSource` setting: the source of queries without a `use` line, over aq.json's "default". */
  defaultSource?: string;
  /** Used for every source, in place of its configured/fetched schema (`aq lint --schema`). */
  schemaOverride?: AnalyticsSchema;
  /** Whether the workspace is trusted; untrusted workspaces may not run remote queries. */
  trusted?: boolean;
}

export interface RunOptions {
  signal: AbortSignal;
  /** Asked for just before a remote request; never stored. */
  /** `destination` says where exactly (scheme, host, port) the secret goes and whether the user chose it. */
  getCredentials: (source: SourceConfig, host: string, destination?: CredentialDestination) => Promise<Credentials | undefined>;
  bypassCache?: boolean;
  onProgress?: (progress: QueryProgress) => void;
  /** Keep the backend's whole raw response on the result, unclipped (`aq run --format json` prints it). */
  fullRaw?: boolean;
}

/** How a live schema may be fetched. */
export interface LiveSchemaOptions extends Pick<RunOptions, 'signal' | 'getCredentials'> {
  /**
   * A check nobody asked for (the editor's drift check): it sends at most one request (Mixpanel's
   * Lexicon, no per-event listing) and none at all when less than a reserve of the hourly budget is left.
   */
  background?: boolean;
}

export interface QueryEngine {
  /** (Re)loads aq.json from `rootDir` and applies settings. Cheap; call on start and on change. */
  configure(rootDir: string | undefined, settings: EngineSettings): void;
  /** The configuration of a source, or undefined when the name is not configured. */
  resolveSource(ref: SourceRef | undefined, documentPath: string | undefined): SourceConfig | undefined;
  /**
   * An mParticle input of aq.json (or the sources setting) events can be sent to. Here and below,
   * `documentPath` picks the aq.json that applies to a document (see WorkspaceEngines).
   */
  ingestionSource(name: string, documentPath?: string): MparticleSourceConfig | undefined;
  /** The default source (aq.json `default`), as a ref for `buildQuerySpec`. */
  defaultSource(documentPath?: string): SourceRef | undefined;
  /** Configured source names (for the `unknown-source` check). */
  knownSources(documentPath?: string): ReadonlySet<string>;
  /**
   * The schema for lint and completion, from memory. Starts a background load (schema file, disk
   * cache, data, or the API) the first time and returns undefined until it is there; `onDidChange`
   * fires when it arrives.
   */
  schemaFor(ref: SourceRef | undefined, documentPath: string | undefined): AnalyticsSchema | undefined;
  /** Like schemaFor, but waits for a load in progress (the CLI cannot wait for a change event). */
  loadSchema(ref: SourceRef | undefined, documentPath: string | undefined): Promise<AnalyticsSchema | undefined>;
  /** Why the source's schema could not be loaded (an unreadable or invalid schemaFile), if it failed. */
  schemaErrorFor(ref: SourceRef | undefined, documentPath: string | undefined): string | undefined;
  /** Problems found in aq.json and the sources setting, as sentences for the user. */
  configurationProblems(): readonly string[];
  run(spec: QuerySpec, documentPath: string, options: RunOptions): Promise<QueryResult>;
  generatedRequest(spec: QuerySpec, documentPath: string): Promise<GeneratedRequestResult>;
  refreshSchema(sourceName: string | undefined, options: Pick<RunOptions, 'signal' | 'getCredentials'>): Promise<SourceStatus[]>;
  /** A configured source by name (paths resolved against its aq.json's folder), whatever its kind. */
  sourceNamed(name: string, documentPath?: string): SourceConfig | undefined;
  /**
   * The schema a source has now, ignoring its `schemaFile`: Mixpanel's Lexicon (or its event
   * listing), a local source's derived from its data. Rejects with a BackendError.
   */
  liveSchema(sourceName: string, documentPath: string | undefined, options: LiveSchemaOptions): Promise<AnalyticsSchema>;
  /**
   * Known values of an event property, most common first, for completion: Mixpanel's
   * `/events/properties/values` or the local data. Cached per (source, event, property); undefined
   * when the source has none to give or the hourly budget is nearly spent. Rejects when cancelled.
   */
  propertyValues(
    ref: SourceRef | undefined,
    documentPath: string | undefined,
    event: string,
    property: string,
    options: Pick<RunOptions, 'signal' | 'getCredentials'>,
  ): Promise<string[] | undefined>;
  /** The sources (of a document, or all in use) with their schema, queue and budget state. */
  status(documentPath?: string): SourceStatus[];
  /** Fires when a schema, the queue or the budget changes. */
  onDidChange(listener: () => void): { dispose(): void };
  dispose(): void;
}

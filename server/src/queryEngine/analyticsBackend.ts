/**
 * The interface every data source implements (Mixpanel, Piwik PRO, local files), and the source
 * configuration they are built from. The query runner picks a backend by the source's kind and
 * never looks inside it.
 */
import type { AnalyticsSchema } from '../queryContract/schemaTypes';
import type { QuerySpec } from '../queryContract/querySpec';
import type { SourceCredentials } from '../protocol/customRequests';
import type { QueryResult } from '../protocol/resultModel';

export type MixpanelRegion = 'US' | 'EU' | 'IN';

export interface MixpanelSourceConfig {
  kind: 'mixpanel';
  name: string;
  projectId: number;
  region: MixpanelRegion;
  workspaceId?: number;
  /** A Lexicon schema file (relative to the workspace root) used instead of fetching one. */
  schemaFile?: string;
  /** Time zone of the project, for date ranges; default UTC. */
  timezone?: string;
}

export interface PiwikSourceConfig {
  kind: 'piwik';
  name: string;
  /** `https://<account>.piwik.pro` */
  url: string;
  appId?: string;
}

export interface LocalSourceConfig {
  kind: 'local';
  name: string;
  /** An NDJSON export (plain or .gz) or a folder of them, relative to the workspace root. */
  path: string;
  schemaFile?: string;
  /** IANA time zone for buckets; default UTC. */
  timezone?: string;
}

export type SourceConfig = MixpanelSourceConfig | PiwikSourceConfig | LocalSourceConfig;

export type MparticlePod = 'US1' | 'US2' | 'EU1' | 'AU1';
export const MPARTICLE_PODS: readonly MparticlePod[] = ['US1', 'US2', 'EU1', 'AU1'];

/**
 * An mParticle input in aq.json: `{ "kind": "mparticle", "pod": "EU1" }`. It runs no queries; event
 * files are sent to it. Its key and secret come from `AQ_<NAME>_API_KEY` and `AQ_<NAME>_API_SECRET`
 * (CLI) or the editor's secret storage.
 */
export interface MparticleSourceConfig {
  kind: 'mparticle';
  name: string;
  pod: MparticlePod;
}

/** Any source a secret may be asked for: the query sources and the ingestion-only ones. */
export type CredentialedSource = Pick<SourceConfig | MparticleSourceConfig, 'kind' | 'name'>;

/** Secrets for one request (the fields the editor and the environment provide). Handed to the backend per call and never stored by it. */
export type Credentials = SourceCredentials;

/** What a running query may report while it works. */
export interface QueryProgress {
  message: string;
  /** 0–100 when known. */
  percent?: number;
}

export interface RunContext {
  signal: AbortSignal;
  credentials?: Credentials;
  /** The clock, injected so tests and caches agree on "now". */
  now: () => Date;
  /** Reads a file the query refers to (a JQL script), resolved by the host. */
  readTextFile: (path: string) => Promise<string>;
  onProgress?: (progress: QueryProgress) => void;
}

export interface AnalyticsBackend {
  readonly source: SourceConfig;
  /** The schema for completion and lint; may come from a file, the API or the data. */
  fetchSchema(context: RunContext): Promise<AnalyticsSchema>;
  /** Runs one query. Rejects with a `BackendError` (backendErrors.ts) on every failure. */
  runQuery(spec: QuerySpec, context: RunContext): Promise<QueryResult>;
}

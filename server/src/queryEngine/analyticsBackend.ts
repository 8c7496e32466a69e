/**
 * The interface every data source implements (Mixpanel, Piwik PRO, local files). Each backend is
 * built from a source configuration (sourceConfig.ts); the query runner picks a backend by the
 * source's kind and never looks inside it.
 */
import type { AnalyticsSchema } from '../queryContract/schemaTypes';
import type { QuerySpec } from '../queryContract/querySpec';
import type { QueryResult } from '../protocol/resultModel';
import type { Credentials, SourceConfig } from './sourceConfig';

// The source configuration types used to live here; importers still reaching them through this file
// keep working until they import sourceConfig.ts directly.
export type {
  CredentialedSource,
  Credentials,
  LocalSourceConfig,
  MixpanelRegion,
  MixpanelSourceConfig,
  MparticlePod,
  MparticleSourceConfig,
  PiwikSourceConfig,
  SourceConfig,
} from './sourceConfig';
export { MPARTICLE_PODS } from './sourceConfig';

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
  /** Keep the whole raw response on the result instead of clipping it for "show raw". */
  fullRaw?: boolean;
}

export interface AnalyticsBackend {
  readonly source: SourceConfig;
  /** The schema for completion and lint; may come from a file, the API or the data. */
  fetchSchema(context: RunContext): Promise<AnalyticsSchema>;
  /** Runs one query. Rejects with a `BackendError` (backendErrors.ts) on every failure. */
  runQuery(spec: QuerySpec, context: RunContext): Promise<QueryResult>;
}

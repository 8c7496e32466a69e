/**
 * The configuration of a source, as aq.json and the `aq.sources` setting give it (after
 * workspaceConfig.ts has checked it): one shape per kind, and the secrets a source is asked for.
 */
import type { SourceCredentials } from '../protocol/customRequests';

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
  /** Time zone of the website, for `report` date ranges (`last 7 days`, `today`); default: the website's own from the Apps API. */
  timezone?: string;
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

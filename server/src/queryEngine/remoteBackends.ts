/**
 * Builds the backend for a remote source (Mixpanel or Piwik PRO) with its request queue and
 * result cache, and describes the request a query would make. The engine stays free of
 * vendor details; the vendors' modules stay free of engine details.
 */
import type { QuerySpec } from '../languageService/querySpec';
import type { GeneratedRequestResult } from '../protocol/customRequests';
import type { AnalyticsBackend, MixpanelSourceConfig, PiwikSourceConfig } from './analyticsBackend';
import { BackendError } from './backendErrors';

export interface RemoteBackendServices {
  onChange: () => void;
  now: () => Date;
  /** The Mixpanel query budget and queue of a source, for the status bar. */
  budgetOf?: (sourceName: string) => { remaining: number; queued: number; running: number } | undefined;
}

export interface RemoteBackendOptions {
  baseUrlOverride: string | undefined;
  cacheTtlMs: number | undefined;
  timeoutMs: number | undefined;
  services: RemoteBackendServices;
}

export function createRemoteBackend(source: MixpanelSourceConfig | PiwikSourceConfig, _options: RemoteBackendOptions): AnalyticsBackend {
  throw new BackendError('config', `Remote ${source.kind} sources are not available in this build.`);
}

export function remoteHost(source: MixpanelSourceConfig | PiwikSourceConfig, baseUrlOverride: string | undefined): string {
  if (baseUrlOverride) return new URL(baseUrlOverride).host;
  if (source.kind === 'piwik') return new URL(source.url).host;
  return { US: 'mixpanel.com', EU: 'eu.mixpanel.com', IN: 'in.mixpanel.com' }[source.region];
}

export async function describeRemoteRequest(source: MixpanelSourceConfig | PiwikSourceConfig, spec: QuerySpec, _baseUrlOverride: string | undefined): Promise<GeneratedRequestResult> {
  return { note: `"${spec.title}" would run on ${source.kind} source "${source.name}".` };
}

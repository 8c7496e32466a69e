/**
 * Builds the backend for a remote source (Mixpanel or Piwik PRO) with its request queue and the
 * shared result cache, and describes the request a query would make. The engine stays free of
 * vendor details; the vendors' modules stay free of engine details.
 */
import type { QuerySpec } from '../queryContract/querySpec';
import type { GeneratedRequestResult } from '../protocol/customRequests';
import type { QueryResult } from '../protocol/resultModel';
import type { MixpanelSourceConfig, MparticleSourceConfig, PiwikSourceConfig, RunContext } from './analyticsBackend';
import { MixpanelBackend } from './backends/mixpanel/mixpanelBackend';
import { PiwikProBackend } from './backends/piwikPro/piwikProBackend';
import { credentialDestination } from './credentialDestination';
import { compileFunnelToJql, funnelJqlOutputToData } from './funnelToJql';
import { RequestQueue } from './requestQueue';
import { ResultCache } from './resultCache';

export type RemoteSourceConfig = MixpanelSourceConfig | PiwikSourceConfig;

/** A remote backend: the common interface plus the per-run cache switch and request description. */
export interface RemoteBackend {
  readonly source: RemoteSourceConfig;
  fetchSchema(context: RunContext, options?: { lexiconOnly?: boolean }): ReturnType<MixpanelBackend['fetchSchema']>;
  runQuery(spec: QuerySpec, context: RunContext, options?: { bypassCache?: boolean }): Promise<QueryResult>;
  describeRequest(spec: QuerySpec, readTextFile?: (path: string) => Promise<string>): GeneratedRequestResult | Promise<GeneratedRequestResult>;
}

/** Mixpanel's Query API allows about 60 queries an hour per project (docs/api-notes.md). */
const MIXPANEL_HOURLY_BUDGET = 60;
const DEFAULT_TIMEOUT_MS = 120_000;

/**
 * The queues and cache shared by every remote backend of one engine. A queue belongs to a source
 * name, so rebuilding a backend after a settings change keeps counting the same hourly budget.
 */
export class RemoteServices {
  private readonly queues = new Map<string, RequestQueue>();
  private cache: ResultCache;

  constructor(
    private readonly onChange: () => void,
    cacheTtlMs?: number,
  ) {
    this.cache = new ResultCache({ ttlMs: cacheTtlMs });
  }

  setCacheTtl(cacheTtlMs: number | undefined): void {
    this.cache = new ResultCache({ ttlMs: cacheTtlMs });
  }

  create(source: RemoteSourceConfig, options: { baseUrlOverride: string | undefined; timeoutMs: number | undefined }): RemoteBackend {
    const common = {
      baseUrlOverride: options.baseUrlOverride,
      queue: this.queueFor(source),
      cache: this.cache,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
    return source.kind === 'mixpanel'
      ? new MixpanelBackend(source, { ...common, compileFunnelToJql, funnelJqlOutputToData })
      : new PiwikProBackend(source, common);
  }

  /** Budget and queue of a source for the status bar; undefined before its first query. */
  budgetOf(sourceName: string): { remaining: number; queued: number; running: number } | undefined {
    const queue = this.queues.get(sourceName);
    if (!queue) return undefined;
    const status = queue.status();
    return { remaining: status.budgetRemaining, queued: status.queued, running: status.running };
  }

  private queueFor(source: RemoteSourceConfig): RequestQueue {
    let queue = this.queues.get(source.name);
    if (!queue) {
      queue = new RequestQueue({ hourlyBudget: source.kind === 'mixpanel' ? MIXPANEL_HOURLY_BUDGET : Infinity });
      queue.onDidChange(() => this.onChange());
      this.queues.set(source.name, queue);
    }
    return queue;
  }
}

/** The host a source's requests go to, which is what stored credentials are bound to. */
export function remoteHost(source: RemoteSourceConfig | MparticleSourceConfig, baseUrlOverride: string | undefined): string {
  const { url } = credentialDestination(source, baseUrlOverride);
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export { credentialDestination, mparticleHost } from './credentialDestination';

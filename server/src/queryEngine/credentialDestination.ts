/**
 * Where a source's secret goes (scheme, host, port), from its configuration and the user's
 * base-URL override, for the shared host rule in protocol/credentialHostRule.ts.
 */
import type { CredentialDestination } from '../protocol/credentialHostRule';
import type { MixpanelSourceConfig, MparticlePod, MparticleSourceConfig, PiwikSourceConfig } from './analyticsBackend';
import { mixpanelHosts } from './backends/mixpanel/mixpanelHosts';

/** mParticle's Events API host of each pod. */
const MPARTICLE_POD_HOSTS: Record<MparticlePod, string> = {
  US1: 'https://s2s.us1.mparticle.com',
  US2: 'https://s2s.us2.mparticle.com',
  EU1: 'https://s2s.eu1.mparticle.com',
  AU1: 'https://s2s.au1.mparticle.com',
};

export function mparticleHost(pod: MparticlePod): string {
  return MPARTICLE_POD_HOSTS[pod] ?? MPARTICLE_POD_HOSTS.US1;
}

export type CredentialedSourceConfig = MixpanelSourceConfig | PiwikSourceConfig | MparticleSourceConfig;

/**
 * The origin a source's requests (and so its secret) go to. A base-URL override comes only from the
 * user (AQ_<NAME>_BASE_URL, the machine setting aq.baseUrlOverrides), never from aq.json.
 */
export function credentialDestination(source: CredentialedSourceConfig, baseUrlOverride: string | undefined): CredentialDestination {
  const base = { sourceName: source.name, kind: source.kind };
  if (baseUrlOverride) return { ...base, url: originOf(baseUrlOverride), fromUserOverride: true };
  const url = source.kind === 'piwik' ? source.url : source.kind === 'mparticle' ? mparticleHost(source.pod) : mixpanelHosts(source.region).query;
  return { ...base, url: originOf(url), fromUserOverride: false };
}

function originOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return url;
  }
}

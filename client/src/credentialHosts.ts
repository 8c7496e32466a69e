/**
 * Which host a stored secret belongs to. A secret is stored together with the host it was entered
 * for; the server names the host it is about to send it to, and a different host needs the user's
 * consent first — a workspace's aq.json may point a source anywhere. No `vscode` import: unit-tested.
 */

export type MixpanelRegionName = 'US' | 'EU' | 'IN';

const MIXPANEL_HOSTS: Record<MixpanelRegionName, string> = { US: 'mixpanel.com', EU: 'eu.mixpanel.com', IN: 'in.mixpanel.com' };

/** `https://Shop.piwik.pro/path` → `shop.piwik.pro`; `127.0.0.1:4010` stays; undefined when unparsable. */
export function normalizeHost(input: string): string | undefined {
  const trimmed = input.trim();
  if (!trimmed) return undefined;
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`);
    return url.host.toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}

export function mixpanelHost(region: string | undefined): string {
  return MIXPANEL_HOSTS[(region?.toUpperCase() ?? 'US') as MixpanelRegionName] ?? MIXPANEL_HOSTS.US;
}

function isMixpanelHost(host: string): boolean {
  return host === 'mixpanel.com' || host.endsWith('.mixpanel.com');
}

/**
 * True when a secret entered for `stored` may go to `requested` without asking. Mixpanel's own
 * hosts (query, export, regional) count as one; anything else must match exactly, port included.
 */
export function isSameCredentialHost(stored: string, requested: string): boolean {
  if (stored === requested) return true;
  return isMixpanelHost(stored) && isMixpanelHost(requested);
}

/** The SecretStorage key for one source's secret entered for one host. */
export function credentialSecretKey(sourceName: string, host: string): string {
  return `aq.credentials/${encodeURIComponent(sourceName)}@${host}`;
}

/** The host a source from the `aq.sources` setting sends its secret to; undefined when unknown. */
export function hostOfSourceSetting(source: unknown): string | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const entry = source as Record<string, unknown>;
  if (entry.kind === 'mixpanel') return mixpanelHost(typeof entry.region === 'string' ? entry.region : undefined);
  if (entry.kind === 'piwik' && typeof entry.url === 'string') return normalizeHost(entry.url);
  return undefined;
}

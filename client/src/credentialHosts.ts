/**
 * Which host a stored secret belongs to. A secret is stored together with the host it was entered
 * for; the server names the host it is about to send it to, and a different host needs the user's
 * consent first — a workspace's aq.json may point a source anywhere. The rule itself (which hosts
 * are vouched for) is shared with the CLI in server/src/protocol/credentialHostRule.ts. No `vscode`
 * import: unit-tested.
 */
import { isSameCredentialHost, mixpanelHost, normalizeHost } from '../../server/src/protocol/credentialHostRule';

export { isSameCredentialHost, mixpanelHost, normalizeHost };

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

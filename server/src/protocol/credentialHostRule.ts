/**
 * Where a credential may be sent: one rule for the editor and the CLI. A workspace's aq.json (or
 * one in a parent folder) is repository content, so a pull request can change it; it may choose
 * which source a query uses, but never which host receives that source's secret. A secret goes
 * only to a host the user vouched for outside the repository:
 *
 * - Mixpanel's own hosts, mParticle's own pod hosts, a Piwik PRO cloud account (`https://*.piwik.pro`);
 * - the base-URL override the user set (`AQ_<NAME>_BASE_URL`, the machine setting `aq.baseUrlOverrides`);
 * - a host the user named for this run (`aq run|send|watch --allow-host HOST`) or, in the editor,
 *   the host the secret was entered for.
 *
 * Anything else is refused with the reason. Plain http and loopback get no exception: a bare
 * `--allow-host HOST` allows https only, `--allow-host http://HOST:PORT` is needed for plain http.
 * Pure (no I/O, no editor or network imports) so the client's consent logic uses the same code.
 */

export type MixpanelRegionName = 'US' | 'EU' | 'IN';

const MIXPANEL_HOSTS: Record<MixpanelRegionName, string> = { US: 'mixpanel.com', EU: 'eu.mixpanel.com', IN: 'in.mixpanel.com' };

/** Piwik PRO's cloud accounts live at `https://<account>.piwik.pro`. */
const PIWIK_PRO_CLOUD_SUFFIX = '.piwik.pro';

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

function hostWithoutPort(host: string): string {
  return host.replace(/:\d+$/, '');
}

export function isMixpanelHost(host: string): boolean {
  const name = hostWithoutPort(host.toLowerCase());
  return name === 'mixpanel.com' || name.endsWith('.mixpanel.com');
}

export function isMparticleHost(host: string): boolean {
  const name = hostWithoutPort(host.toLowerCase());
  return name.endsWith('.mparticle.com');
}

/** A Piwik PRO cloud account host (`acme.piwik.pro`); a port other than https's default is not one. */
export function isPiwikProCloudHost(host: string): boolean {
  const name = host.toLowerCase();
  return name.endsWith(PIWIK_PRO_CLOUD_SUFFIX) && /^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(name) && name.length > PIWIK_PRO_CLOUD_SUFFIX.length;
}

/**
 * True when a secret entered for `stored` may go to `requested` without asking. Mixpanel's own
 * hosts (query, export, regional) count as one; anything else must match exactly, port included.
 */
export function isSameCredentialHost(stored: string, requested: string): boolean {
  if (stored === requested) return true;
  return isMixpanelHost(stored) && isMixpanelHost(requested) && !/:\d+$/.test(requested);
}

export type CredentialedKind = 'mixpanel' | 'piwik' | 'mparticle';

/** Where one source's secret is about to go. */
export interface CredentialDestination {
  sourceName: string;
  kind: CredentialedKind;
  /** The origin the secret is sent to: scheme, host and port. */
  url: string;
  /** The URL comes from the user's base-URL override (environment variable or machine setting), not from aq.json. */
  fromUserOverride: boolean;
}

export type DestinationVerdict = { allowed: true } | { allowed: false; reason: string };

/**
 * An `--allow-host` value (or a host the editor stored a secret for) as the origins it allows:
 * `acme.example` and `https://acme.example` allow https only; `http://127.0.0.1:4010` allows that
 * plain-http origin. Undefined when unparsable.
 */
export function allowedOriginOf(entry: string): string | undefined {
  const trimmed = entry.trim();
  if (!trimmed) return undefined;
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    if (!url.host) return undefined;
    return `${url.protocol}//${url.host.toLowerCase()}`;
  } catch {
    return undefined;
  }
}

/** Decides whether the secret of `destination` may go there, given the origins the user allowed. */
export function checkCredentialDestination(destination: CredentialDestination, allowedOrigins: readonly string[] = []): DestinationVerdict {
  if (destination.fromUserOverride) return { allowed: true };
  let url: URL;
  try {
    url = new URL(destination.url);
  } catch {
    return { allowed: false, reason: `"${destination.url}" is not a valid URL` };
  }
  const origin = `${url.protocol}//${url.host.toLowerCase()}`;
  if (allowedOrigins.some((allowed) => allowedOriginOf(allowed) === origin)) return { allowed: true };
  if (url.protocol !== 'https:') {
    return { allowed: false, reason: `${origin} is plain ${url.protocol.replace(':', '')}, which anyone on the network can read` };
  }
  const host = url.host.toLowerCase();
  switch (destination.kind) {
    case 'mixpanel':
      if (isMixpanelHost(host) && !url.port) return { allowed: true };
      return { allowed: false, reason: `${host} is not one of Mixpanel's hosts` };
    case 'mparticle':
      if (isMparticleHost(host) && !url.port) return { allowed: true };
      return { allowed: false, reason: `${host} is not one of mParticle's hosts` };
    case 'piwik':
      if (isPiwikProCloudHost(host)) return { allowed: true };
      return {
        allowed: false,
        reason: `${host} is not a Piwik PRO cloud host (https://<account>${PIWIK_PRO_CLOUD_SUFFIX}) and was not named by you outside the repository`,
      };
  }
}

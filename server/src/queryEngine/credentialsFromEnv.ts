/**
 * The CLI's secrets come from the environment, never from aq.json:
 * `AQ_<NAME>_USERNAME` + `AQ_<NAME>_SECRET` (Mixpanel service account), `AQ_<NAME>_SECRET` alone
 * (legacy project secret), `AQ_<NAME>_CLIENT_ID` + `AQ_<NAME>_CLIENT_SECRET` (Piwik PRO),
 * `AQ_<NAME>_API_KEY` + `AQ_<NAME>_API_SECRET` (an mParticle input), and
 * `AQ_<NAME>_BASE_URL` to point a source at another server (tests, local development).
 */
import { allowedOriginOf, checkCredentialDestination, type CredentialDestination } from '../protocol/credentialHostRule';
import type { Credentials, SourceConfig } from './analyticsBackend';
import { BackendError } from './backendErrors';
import type { SecretMaterial } from './credentialMasking';
import { credentialDestination, type CredentialedSourceConfig } from './credentialDestination';
import type { EngineSettings } from './queryEngineTypes';
import { readWorkspaceConfig } from './workspaceConfig';

/** Mixpanel retires project secrets on this date (docs/api-notes.md, "Mixpanel authentication"). */
export const PROJECT_SECRET_RETIREMENT_DATE = '2027-03-03';

export const LEGACY_SECRET_WARNING = `A legacy Mixpanel project secret is in use; Mixpanel retires project secrets on ${PROJECT_SECRET_RETIREMENT_DATE}. Create a service account and set its username and secret instead.`;

type Env = Record<string, string | undefined>;

/** `AQ_<NAME>_`: the source name upper-cased, every character other than A-Z and 0-9 turned into `_`. */
export function envPrefixFor(sourceName: string): string {
  return `AQ_${sourceName.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_`;
}

function reader(sourceName: string, env: Env): (suffix: string) => string | undefined {
  const prefix = envPrefixFor(sourceName);
  return (suffix) => {
    const value = env[prefix + suffix];
    return value === undefined || value === '' ? undefined : value;
  };
}

/**
 * The secrets the environment holds for a source, or undefined when it holds none. Which fields
 * count depends on the source's kind; the backend picks them (a Mixpanel `secret` without a
 * `username` is a legacy project secret).
 */
export function credentialsFromEnv(sourceName: string, env: Env = process.env): Credentials | undefined {
  const read = reader(sourceName, env);
  const credentials: Credentials = {};
  const username = read('USERNAME');
  const secret = read('SECRET');
  const clientId = read('CLIENT_ID');
  const clientSecret = read('CLIENT_SECRET');
  if (secret) {
    credentials.secret = secret;
    if (username) credentials.username = username;
  }
  if (clientId && clientSecret) {
    credentials.clientId = clientId;
    credentials.clientSecret = clientSecret;
  }
  const apiKey = read('API_KEY');
  const apiSecret = read('API_SECRET');
  if (apiKey && apiSecret) {
    credentials.apiKey = apiKey;
    credentials.apiSecret = apiSecret;
  }
  return Object.keys(credentials).length > 0 ? credentials : undefined;
}

/** Sentences for stderr about a source's environment credentials. Never contain a secret. */
export function credentialWarningsFromEnv(source: Pick<SourceConfig, 'name' | 'kind'>, env: Env = process.env): string[] {
  const read = reader(source.name, env);
  const prefix = envPrefixFor(source.name);
  if (source.kind === 'mixpanel') {
    if (read('USERNAME') && !read('SECRET')) return [`${prefix}USERNAME is set but ${prefix}SECRET is not; source "${source.name}" has no usable credentials.`];
    if (read('SECRET') && !read('USERNAME')) return [LEGACY_SECRET_WARNING];
  }
  if (source.kind === 'piwik' && Boolean(read('CLIENT_ID')) !== Boolean(read('CLIENT_SECRET'))) {
    return [`Source "${source.name}" needs both ${prefix}CLIENT_ID and ${prefix}CLIENT_SECRET.`];
  }
  return [];
}

/**
 * Every secret the environment holds for any source (and the Slack webhook), for masking all CLI
 * output: a server may echo any secret it ever received, and the CLI cannot know which source a
 * line of output came from.
 */
export function secretMaterialFromEnv(env: Env = process.env): SecretMaterial {
  const material: Required<Pick<SecretMaterial, 'basicPairs' | 'tokens' | 'secretUrls'>> = { basicPairs: [], tokens: [], secretUrls: [] };
  const value = (key: string): string | undefined => (env[key] ? env[key] : undefined);
  for (const key of Object.keys(env)) {
    const match = /^(AQ_\w+?_)(SECRET|CLIENT_SECRET|API_SECRET|API_KEY)$/.exec(key);
    const secret = match ? value(key) : undefined;
    if (!match || !secret) continue;
    const [, prefix, suffix] = match;
    material.tokens.push(secret);
    if (suffix === 'SECRET') {
      material.basicPairs.push([secret, '']);
      const username = value(`${prefix}USERNAME`);
      if (username) material.basicPairs.push([username, secret]);
    }
    if (suffix === 'CLIENT_SECRET' && value(`${prefix}CLIENT_ID`)) material.basicPairs.push([value(`${prefix}CLIENT_ID`)!, secret]);
    if (suffix === 'API_SECRET' && value(`${prefix}API_KEY`)) material.basicPairs.push([value(`${prefix}API_KEY`)!, secret]);
  }
  const webhook = value('AQ_SLACK_WEBHOOK_URL');
  if (webhook) material.secretUrls.push(webhook);
  return material;
}

/** `AQ_<NAME>_BASE_URL` for each named source, as `EngineSettings.baseUrlOverrides`; values that are no http(s) URL are left out (see `baseUrlProblemsFromEnv`). */
export function baseUrlOverridesFromEnv(sourceNames: Iterable<string>, env: Env = process.env): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const name of sourceNames) {
    const value = reader(name, env)('BASE_URL');
    if (value && isHttpUrl(value)) overrides[name] = value;
  }
  return overrides;
}

/** One sentence per `AQ_<NAME>_BASE_URL` of these sources that is not an http(s) URL. */
export function baseUrlProblemsFromEnv(sourceNames: Iterable<string>, env: Env = process.env): string[] {
  const problems: string[] = [];
  for (const name of sourceNames) {
    const value = reader(name, env)('BASE_URL');
    if (value && !isHttpUrl(value))
      problems.push(`${envPrefixFor(name)}BASE_URL is not an http(s) URL such as https://proxy.example or http://127.0.0.1:4010 (got "${value}").`);
  }
  return problems;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}

/** The `--allow-host` values that are not a host or an http(s) origin, as one sentence each. */
export function allowHostProblems(allowHosts: readonly string[]): string[] {
  return allowHosts
    .filter((entry) => !allowedOriginOf(entry))
    .map((entry) => `--allow-host "${entry}" is not a host (acme.example, acme.example:8443) or an origin (http://127.0.0.1:4010).`);
}

/**
 * The environment's secrets for a source, after the shared host rule: they go only where the user
 * vouched for outside the repository (the vendor's own hosts, AQ_<NAME>_BASE_URL, --allow-host).
 * Throws a `config` BackendError that says why and how to allow the host otherwise.
 */
export function vouchedCredentialsFromEnv(source: CredentialedSourceConfig, env: Env, allowHosts: readonly string[]): Credentials | undefined {
  const credentials = credentialsFromEnv(source.name, env);
  if (!credentials) return undefined;
  const override = reader(source.name, env)('BASE_URL');
  const destination = credentialDestination(source, override && isHttpUrl(override) ? override : undefined);
  const verdict = checkCredentialDestination(destination, allowHosts);
  if (!verdict.allowed) throw new BackendError('config', hostRefusal(destination, verdict.reason), { hint: hostRefusalHint(destination) });
  return credentials;
}

function hostRefusal(destination: CredentialDestination, reason: string): string {
  return `refusing to send the credentials of source "${destination.sourceName}" to ${destination.url}: ${reason}. aq.json is part of the repository, so it may not choose where secrets go.`;
}

function hostRefusalHint(destination: CredentialDestination): string {
  return `If you trust ${destination.url}, name it outside the repository: pass --allow-host ${destination.url} or set ${envPrefixFor(destination.sourceName)}BASE_URL=${destination.url}.`;
}

/**
 * The CLI's engine settings: base-URL overrides for the sources of `rootDir`'s aq.json, and
 * `AQ_CACHE_TTL_MS` / `AQ_REQUEST_TIMEOUT_MS` when set. Running `aq` is the user's own act, so
 * the workspace counts as trusted.
 */
export function engineSettingsFromEnv(rootDir: string | undefined, env: Env = process.env): EngineSettings {
  const names = Object.keys(readWorkspaceConfig(rootDir).sources);
  const settings: EngineSettings = { trusted: true, baseUrlOverrides: baseUrlOverridesFromEnv(names, env) };
  const ttl = Number(env.AQ_CACHE_TTL_MS);
  if (env.AQ_CACHE_TTL_MS && Number.isFinite(ttl) && ttl >= 0) settings.cacheTtlMs = ttl;
  const timeout = Number(env.AQ_REQUEST_TIMEOUT_MS);
  if (env.AQ_REQUEST_TIMEOUT_MS && Number.isFinite(timeout) && timeout > 0) settings.requestTimeoutMs = timeout;
  return settings;
}

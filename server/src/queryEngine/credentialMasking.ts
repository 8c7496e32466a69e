/**
 * One masking function for every form a credential can take on its way back out: a server may
 * echo the `Authorization` header, the request body or the URL into an error, a `raw` result or a
 * per-record rejection. Masking only the literal secret misses `Basic base64(user:secret)`, the
 * bearer token and URL- or JSON-escaped copies, so every form is derived here and replaced.
 */
import type { SourceCredentials } from '../protocol/customRequests';

export const MASK = '****';

/** Everything secret one request or one command holds. */
export interface SecretMaterial {
  credentials?: Partial<SourceCredentials>;
  /** Basic-auth pairs as sent (a legacy Mixpanel secret travels as `secret:`). */
  basicPairs?: Array<[string, string]>;
  /** Bearer access tokens and refresh tokens. */
  tokens?: string[];
  /** Secret URLs (a Slack webhook): the whole URL and its path are masked. */
  secretUrls?: string[];
}

/** Values shorter than this are not masked: they would mangle ordinary text and protect nothing. */
const MIN_SECRET_LENGTH = 4;

/** Every text form of the material's secrets, longest first. */
export function credentialForms(material: SecretMaterial): string[] {
  const forms = new Set<string>();
  const addValue = (value: string | undefined): void => {
    if (!value || value.length < MIN_SECRET_LENGTH) return;
    forms.add(value);
    forms.add(encodeURIComponent(value));
    forms.add(new URLSearchParams({ v: value }).toString().slice(2));
    forms.add(JSON.stringify(value).slice(1, -1));
  };
  const addPair = (user: string | undefined, password: string | undefined): void => {
    if (!user && !password) return;
    const joined = `${user ?? ''}:${password ?? ''}`;
    if (joined.length - 1 < MIN_SECRET_LENGTH) return;
    addValue(joined);
    const base64 = Buffer.from(joined, 'utf8').toString('base64');
    forms.add(base64);
    forms.add(base64.replace(/=+$/, ''));
    forms.add(Buffer.from(joined, 'utf8').toString('base64url'));
  };
  const credentials = material.credentials ?? {};
  for (const value of [credentials.secret, credentials.clientSecret, credentials.apiKey, credentials.apiSecret]) addValue(value);
  if (credentials.secret) {
    addPair(credentials.username, credentials.secret);
    addPair(credentials.secret, '');
  }
  if (credentials.apiKey || credentials.apiSecret) addPair(credentials.apiKey, credentials.apiSecret);
  if (credentials.clientId && credentials.clientSecret) addPair(credentials.clientId, credentials.clientSecret);
  for (const [user, password] of material.basicPairs ?? []) {
    addPair(user, password);
    addValue(password);
    if (!password) addValue(user);
  }
  for (const token of material.tokens ?? []) addValue(token);
  for (const url of material.secretUrls ?? []) {
    addValue(url);
    try {
      const parsed = new URL(url);
      if (parsed.pathname.length > 1) addValue(parsed.pathname);
      // The last segment of a webhook path is its token: masked even when echoed alone.
      addValue(parsed.pathname.split('/').filter(Boolean).pop());
    } catch {
      // An unparsable URL is still masked whole above.
    }
  }
  forms.delete('');
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** `text` with every form replaced by `****`. */
export function maskCredentialForms(text: string, forms: readonly string[]): string {
  let masked = text;
  for (const form of forms) if (masked.includes(form)) masked = masked.split(form).join(MASK);
  return masked;
}

export function maskCredentials(text: string, material: SecretMaterial): string {
  return maskCredentialForms(text, credentialForms(material));
}

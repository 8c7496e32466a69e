/**
 * Piwik PRO client credentials → bearer token (`POST /auth/token`, docs/api-notes.md). The token is
 * kept until shortly before it expires and dropped when an API call answers 401, so the caller can
 * renew it once. Tokens are cached per credential pair under a hash: the secret itself is never kept.
 */
import { createHash } from 'node:crypto';
import type { Credentials } from '../../analyticsBackend';
import { BackendError } from '../../backendErrors';
import { maskCredentials } from '../../credentialMasking';
import type { HttpClient } from '../../httpClient';

export interface PiwikTokenOptions {
  /** `https://<account>.piwik.pro`, or the base-URL override. */
  baseUrl: string;
  sourceName: string;
  http: HttpClient;
  timeoutMs: number;
  /** Renew this long before `expires_in` runs out; default 60 s. */
  marginMs?: number;
  now?: () => number;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

export class PiwikTokenProvider {
  private readonly cached = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(private readonly options: PiwikTokenOptions) {}

  /** A valid bearer token for these credentials, fetched only when none is cached. */
  async token(credentials: Credentials, signal: AbortSignal): Promise<string> {
    const { clientId, clientSecret } = credentials;
    if (!clientId || !clientSecret) {
      throw new BackendError('auth', `No client id and secret for Piwik PRO source "${this.options.sourceName}".`, {
        hint: 'Create API credentials in Piwik PRO (Menu → Profile → API credentials), then run "aq: Set Credentials", or set AQ_<NAME>_CLIENT_ID and AQ_<NAME>_CLIENT_SECRET for the CLI.',
      });
    }
    const key = credentialKey(clientId, clientSecret);
    const now = (this.options.now ?? Date.now)();
    const cached = this.cached.get(key);
    if (cached && cached.expiresAt > now) return cached.token;
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.fetchToken(clientId, clientSecret, key, signal).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }

  /** Forgets the token for these credentials (after a 401 from an API call). */
  invalidate(credentials: Credentials): void {
    if (credentials.clientId && credentials.clientSecret) this.cached.delete(credentialKey(credentials.clientId, credentials.clientSecret));
  }

  private async fetchToken(clientId: string, clientSecret: string, key: string, signal: AbortSignal): Promise<string> {
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}/auth/token`;
    const response = await this.options.http.send(
      {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
        secrets: { credentials: { clientId, clientSecret } },
      },
      { signal, timeoutMs: this.options.timeoutMs, maxBytes: 1024 * 1024 },
    );
    const name = this.options.sourceName;
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      throw new BackendError(
        'auth',
        `Piwik PRO rejected the client id and secret for source "${name}" (HTTP ${response.status}). Check the API credentials and that they belong to this account's URL.`,
        {
          status: response.status,
          hint: 'Piwik PRO: Menu → Profile → API credentials. Then run "aq: Set Credentials".',
        },
      );
    }
    if (response.status === 402) {
      throw new BackendError('plan', `Piwik PRO answered 402 for source "${name}": the organization has no active license.`, { status: 402 });
    }
    if (response.status >= 500)
      throw new BackendError('server', `Piwik PRO's /auth/token answered HTTP ${response.status}; try again later.`, { status: response.status });
    if (response.status !== 200) {
      throw new BackendError(
        'badRequest',
        `Piwik PRO's /auth/token answered HTTP ${response.status}: ${maskCredentials(response.body, { credentials: { clientId, clientSecret } }).slice(0, 200)}`,
        { status: response.status },
      );
    }
    let json: { access_token?: unknown; expires_in?: unknown };
    try {
      json = JSON.parse(response.body) as typeof json;
    } catch {
      throw new BackendError('badResponse', "Piwik PRO's /auth/token answer is not valid JSON.");
    }
    if (typeof json.access_token !== 'string' || !json.access_token)
      throw new BackendError('badResponse', "Piwik PRO's /auth/token answer has no access_token.");
    const lifetimeMs = (typeof json.expires_in === 'number' ? json.expires_in : 1800) * 1000;
    const margin = Math.min(this.options.marginMs ?? 60_000, lifetimeMs / 2);
    this.cached.set(key, { token: json.access_token, expiresAt: (this.options.now ?? Date.now)() + lifetimeMs - margin });
    return json.access_token;
  }
}

function credentialKey(clientId: string, clientSecret: string): string {
  return createHash('sha256').update(`${clientId}\0${clientSecret}`).digest('hex');
}

/**
 * Secrets live only in VS Code's SecretStorage, one entry per source and host. The server asks for
 * them just before a remote request (CredentialsRequest) and names the host; a secret entered for
 * another host is sent only after the user confirms that host.
 */
import type * as vscode from 'vscode';
import { CREDENTIAL_FIELDS, type CredentialsParams, type CredentialsResult, type SourceCredentials } from '../../server/src/protocol/customRequests';
import { checkCredentialDestination, type CredentialDestination } from '../../server/src/protocol/credentialHostRule';
import { credentialSecretKey, isSameCredentialHost, normalizeHost } from './credentialHosts';

/** Not secret: which hosts each source has a stored secret for (SecretStorage cannot be listed). */
const HOST_INDEX_KEY = 'aq.credentialHosts';

/** What is kept per source and host: the protocol's credential fields. */
export type StoredCredentials = SourceCredentials;

/** Asks the user whether a secret entered for `storedHosts` may go to `host`; `concern` is the host rule's reason, when it has one. */
export type ConfirmHost = (sourceName: string, host: string, storedHosts: string[], concern?: string) => PromiseLike<boolean>;

export class CredentialStore {
  private readonly pendingConsents = new Map<string, Promise<boolean>>();
  /** Origins the user accepted although the host rule has a concern (plain http): asked once per session. */
  private readonly acceptedOrigins = new Set<string>();

  constructor(
    private readonly secrets: Pick<vscode.SecretStorage, 'get' | 'store' | 'delete'>,
    private readonly state: Pick<vscode.Memento, 'get' | 'update'>,
    private readonly confirmHost: ConfirmHost,
  ) {}

  hostsFor(sourceName: string): string[] {
    return this.index()[sourceName] ?? [];
  }

  async store(sourceName: string, host: string, credentials: StoredCredentials): Promise<void> {
    await this.secrets.store(credentialSecretKey(sourceName, host), JSON.stringify(credentials));
    const index = this.index();
    index[sourceName] = [...new Set([...(index[sourceName] ?? []), host])];
    await this.state.update(HOST_INDEX_KEY, index);
  }

  async clear(sourceName: string): Promise<number> {
    const hosts = this.hostsFor(sourceName);
    for (const host of hosts) await this.secrets.delete(credentialSecretKey(sourceName, host));
    const index = this.index();
    delete index[sourceName];
    await this.state.update(HOST_INDEX_KEY, index);
    return hosts.length;
  }

  /** The answer to the server's CredentialsRequest. */
  async answer(params: CredentialsParams): Promise<CredentialsResult | null> {
    const host = normalizeHost(params.host);
    const hosts = this.hostsFor(params.sourceName);
    if (!host || hosts.length === 0) return null;
    const known = hosts.find((stored) => isSameCredentialHost(stored, host));
    // The CLI's rule: a host the secret was entered for is vouched for over https; plain http needs
    // the user's machine override. Where the CLI refuses, the editor asks instead.
    const concern = this.concernAbout(params);
    if (known && !concern) return this.load(params.sourceName, known);
    if (!(await this.consent(params.sourceName, host, hosts, concern))) return { hostMismatch: true };
    if (concern && params.url) this.acceptedOrigins.add(`${params.sourceName}@${params.url}`);
    if (known) return this.load(params.sourceName, known);
    const credentials = await this.load(params.sourceName, hosts[0]);
    if (!credentials) return null;
    await this.store(params.sourceName, host, credentials);
    return credentials;
  }

  private concernAbout(params: CredentialsParams): string | undefined {
    if (!params.url || this.acceptedOrigins.has(`${params.sourceName}@${params.url}`)) return undefined;
    const destination: CredentialDestination = {
      sourceName: params.sourceName,
      kind: params.sourceKind,
      url: params.url,
      fromUserOverride: params.fromUserOverride === true,
    };
    const verdict = checkCredentialDestination(destination, this.hostsFor(params.sourceName));
    return verdict.allowed ? undefined : verdict.reason;
  }

  private consent(sourceName: string, host: string, storedHosts: string[], concern?: string): Promise<boolean> {
    // Parallel requests to the same new host ask once.
    const key = `${sourceName}@${host}`;
    let pending = this.pendingConsents.get(key);
    if (!pending) {
      pending = Promise.resolve(this.confirmHost(sourceName, host, storedHosts, concern));
      this.pendingConsents.set(key, pending);
      void pending.finally(() => this.pendingConsents.delete(key));
    }
    return pending;
  }

  private async load(sourceName: string, host: string): Promise<StoredCredentials | null> {
    const text = await this.secrets.get(credentialSecretKey(sourceName, host));
    if (!text) return null;
    try {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      // Only the known fields, and only those set: nothing else stored under the key reaches the server.
      const credentials: StoredCredentials = {};
      for (const field of CREDENTIAL_FIELDS) if (typeof parsed[field] === 'string') credentials[field] = parsed[field];
      return credentials;
    } catch {
      return null;
    }
  }

  private index(): Record<string, string[]> {
    const value = this.state.get<unknown>(HOST_INDEX_KEY);
    if (typeof value !== 'object' || value === null) return {};
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).filter(
        (entry): entry is [string, string[]] => Array.isArray(entry[1]) && entry[1].every((host) => typeof host === 'string'),
      ),
    );
  }
}

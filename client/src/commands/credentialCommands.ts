/**
 * Set Credentials / Clear Credentials. Each secret is stored for the host it will be sent to; when
 * that host is not known from settings the user names it, so a workspace cannot choose it silently.
 */
import * as vscode from 'vscode';
import type { SourceStatus } from '../../../server/src/protocol/customRequests';
import { ExtensionConfig } from '../config';
import { hostOfSourceSetting, mixpanelHost, normalizeHost } from '../credentialHosts';
import type { StoredCredentials } from '../credentials';
import type { ExtensionState } from '../extensionState';
import { listSources, pickSource } from './selectSourceCommand';

type CredentialedKind = 'mixpanel' | 'piwik' | 'mparticle';
const CREDENTIALED_KINDS: CredentialedKind[] = ['mixpanel', 'piwik', 'mparticle'];

function isCredentialedKind(kind: unknown): kind is CredentialedKind {
  return CREDENTIALED_KINDS.includes(kind as CredentialedKind);
}

/** Arguments may come from other commands (Add Source, the auth-error action); all are optional. */
export async function setCredentials(state: ExtensionState, sourceName?: unknown, sourceKind?: unknown, host?: unknown): Promise<void> {
  let name = typeof sourceName === 'string' ? sourceName : undefined;
  let kind = isCredentialedKind(sourceKind) ? sourceKind : undefined;
  let configuredHost: string | undefined;
  if (!name || !kind || kind === 'mparticle') {
    const source = name ? await findSource(state, name) : await pickSource(state, 'aq: set the credentials of', CREDENTIALED_KINDS);
    if (!source || !isCredentialedKind(source.kind)) {
      if (source) void vscode.window.showInformationMessage(`'${source.name}' reads local files and needs no credentials.`);
      return;
    }
    name = source.name;
    kind = source.kind;
    configuredHost = source.host;
  }
  const targetHost = (typeof host === 'string' ? normalizeHost(host) : undefined) ?? (await hostFor(name, kind, configuredHost));
  if (!targetHost) return;
  const credentials = kind === 'mixpanel' ? await askMixpanel(name) : kind === 'piwik' ? await askPiwik(name) : await askMparticle(name);
  if (!credentials) return;
  await state.credentials.store(name, targetHost, credentials);
  void vscode.window.showInformationMessage(`Saved the credentials for '${name}' (${targetHost}) in VS Code's secret storage.`);
}

export async function clearCredentials(state: ExtensionState): Promise<void> {
  const source = await pickSource(state, 'aq: clear the stored credentials of', CREDENTIALED_KINDS);
  if (!source) return;
  const removed = await state.credentials.clear(source.name);
  void vscode.window.showInformationMessage(removed > 0 ? `Removed the stored credentials for '${source.name}'.` : `No credentials were stored for '${source.name}'.`);
}

async function findSource(state: ExtensionState, name: string): Promise<SourceStatus | undefined> {
  return (await listSources(state)).find((source) => source.name === name);
}

/**
 * Where the secret will be sent: the machine's base-URL override, else the host of the source in
 * the user's own settings. A Piwik PRO host that only a workspace names is shown to the user to
 * confirm, never taken silently. An mParticle pod's host is one of mParticle's own, so the server's
 * answer is taken.
 */
async function hostFor(name: string, kind: CredentialedKind, configuredHost: string | undefined): Promise<string | undefined> {
  const override = ExtensionConfig.baseUrlOverride(name);
  if (override) return normalizeHost(override);
  if (kind === 'mparticle') return configuredHost ? normalizeHost(configuredHost) : undefined;
  const fromUserSettings = hostOfSourceSetting(ExtensionConfig.userSources()[name]);
  if (fromUserSettings) return fromUserSettings;
  if (kind === 'mixpanel') return mixpanelHost('US');
  const workspaceUrl = ExtensionConfig.sources()[name]?.url;
  const url = await vscode.window.showInputBox({
    title: `Credentials for '${name}'`,
    prompt: 'The Piwik PRO account URL these credentials are for (they are only sent there)',
    placeHolder: 'https://example.piwik.pro',
    value: typeof workspaceUrl === 'string' ? workspaceUrl : undefined,
    validateInput: (value) => (normalizeHost(value) ? undefined : 'A URL such as https://example.piwik.pro'),
  });
  return url ? normalizeHost(url) : undefined;
}

async function askMixpanel(name: string): Promise<StoredCredentials | undefined> {
  const username = await vscode.window.showInputBox({
    title: `Mixpanel credentials for '${name}' (1/2)`,
    prompt: 'Service account username (Organization Settings → Service Accounts); leave empty for a legacy project credential',
    ignoreFocusOut: true,
  });
  if (username === undefined) return undefined;
  const secret = await vscode.window.showInputBox({
    title: `Mixpanel credentials for '${name}' (2/2)`,
    prompt: username.trim() ? 'Service account secret' : 'Project API secret',
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : 'The secret cannot be empty.'),
  });
  if (!secret) return undefined;
  return username.trim() ? { username: username.trim(), secret: secret.trim() } : { secret: secret.trim() };
}

async function askPiwik(name: string): Promise<StoredCredentials | undefined> {
  const clientId = await vscode.window.showInputBox({
    title: `Piwik PRO credentials for '${name}' (1/2)`,
    prompt: 'API client ID (Menu → Profile → API credentials)',
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : 'The client ID cannot be empty.'),
  });
  if (!clientId) return undefined;
  const clientSecret = await vscode.window.showInputBox({
    title: `Piwik PRO credentials for '${name}' (2/2)`,
    prompt: 'API client secret',
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : 'The client secret cannot be empty.'),
  });
  if (!clientSecret) return undefined;
  return { clientId: clientId.trim(), clientSecret: clientSecret.trim() };
}

async function askMparticle(name: string): Promise<StoredCredentials | undefined> {
  const apiKey = await vscode.window.showInputBox({
    title: `mParticle credentials for '${name}' (1/2)`,
    prompt: 'Server-to-server input key (Setup → Inputs → Feeds or Platforms → your input)',
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : 'The input key cannot be empty.'),
  });
  if (!apiKey) return undefined;
  const apiSecret = await vscode.window.showInputBox({
    title: `mParticle credentials for '${name}' (2/2)`,
    prompt: 'The input\'s API secret',
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : 'The API secret cannot be empty.'),
  });
  if (!apiSecret) return undefined;
  return { apiKey: apiKey.trim(), apiSecret: apiSecret.trim() };
}

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
import { listSources, pickSource } from '../sourcePicker';

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
  void vscode.window.showInformationMessage(
    removed > 0 ? `Removed the stored credentials for '${source.name}'.` : `No credentials were stored for '${source.name}'.`,
  );
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
  const pair = await askIdAndSecret(
    `Piwik PRO credentials for '${name}'`,
    { prompt: 'API client ID (Menu → Profile → API credentials)', what: 'client ID' },
    { prompt: 'API client secret', what: 'client secret' },
  );
  return pair && { clientId: pair.id, clientSecret: pair.secret };
}

async function askMparticle(name: string): Promise<StoredCredentials | undefined> {
  const pair = await askIdAndSecret(
    `mParticle credentials for '${name}'`,
    { prompt: 'Server-to-server input key (Setup → Inputs → Feeds or Platforms → your input)', what: 'input key' },
    { prompt: "The input's API secret", what: 'API secret' },
  );
  return pair && { apiKey: pair.id, apiSecret: pair.secret };
}

/** Two prompts, an identifier then a secret (hidden); neither may be empty. Undefined when cancelled. */
async function askIdAndSecret(
  title: string,
  id: { prompt: string; what: string },
  secret: { prompt: string; what: string },
): Promise<{ id: string; secret: string } | undefined> {
  const idValue = await vscode.window.showInputBox({
    title: `${title} (1/2)`,
    prompt: id.prompt,
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : `The ${id.what} cannot be empty.`),
  });
  if (!idValue) return undefined;
  const secretValue = await vscode.window.showInputBox({
    title: `${title} (2/2)`,
    prompt: secret.prompt,
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : `The ${secret.what} cannot be empty.`),
  });
  if (!secretValue) return undefined;
  return { id: idValue.trim(), secret: secretValue.trim() };
}

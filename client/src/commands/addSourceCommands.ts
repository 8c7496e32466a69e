/**
 * Add Mixpanel Source / Add Piwik PRO Source. New sources go to the user's `aq.sources` setting —
 * names, ids and hosts only; the secret goes to SecretStorage afterwards (Set Credentials).
 */
import * as vscode from 'vscode';
import { ExtensionConfig } from '../config';
import { mixpanelHost, normalizeHost } from '../credentialHosts';
import { CommandId } from './commandIds';

const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

async function askSourceName(kindLabel: string): Promise<string | undefined> {
  const existing = new Set(Object.keys(ExtensionConfig.sources()));
  return vscode.window.showInputBox({
    title: `Add ${kindLabel} Source (1/3)`,
    prompt: 'A short name to refer to it in queries: use mixpanel "<name>"',
    placeHolder: 'shop',
    validateInput: (value) =>
      !SOURCE_NAME.test(value)
        ? 'Letters, digits, "_", "." and "-", starting with a letter or digit.'
        : existing.has(value)
          ? `A source named '${value}' exists already.`
          : undefined,
  });
}

export async function addMixpanelSource(): Promise<void> {
  const name = await askSourceName('Mixpanel');
  if (!name) return;
  const projectId = await vscode.window.showInputBox({
    title: 'Add Mixpanel Source (2/3)',
    prompt: 'The project id (Project Settings → Overview in Mixpanel)',
    validateInput: (value) => (/^[1-9][0-9]*$/.test(value.trim()) ? undefined : 'A positive whole number.'),
  });
  if (!projectId) return;
  const region = await vscode.window.showQuickPick(
    [
      { label: 'US', description: 'mixpanel.com' },
      { label: 'EU', description: 'eu.mixpanel.com (EU data residency)' },
      { label: 'IN', description: 'in.mixpanel.com (India data residency)' },
    ],
    { title: 'Add Mixpanel Source (3/3)', placeHolder: 'Where the project stores its data' },
  );
  if (!region) return;
  await ExtensionConfig.updateUserSources({
    ...ExtensionConfig.userSources(),
    [name]: { kind: 'mixpanel', projectId: Number(projectId.trim()), region: region.label },
  });
  await offerCredentials(name, 'mixpanel', mixpanelHost(region.label));
}

export async function addPiwikSource(): Promise<void> {
  const name = await askSourceName('Piwik PRO');
  if (!name) return;
  const url = await vscode.window.showInputBox({
    title: 'Add Piwik PRO Source (2/3)',
    prompt: 'The account URL',
    placeHolder: 'https://example.piwik.pro',
    validateInput: (value) => (/^https?:\/\/[^/\s]+\/?$/.test(value.trim()) && normalizeHost(value) ? undefined : 'A URL such as https://example.piwik.pro'),
  });
  if (!url) return;
  const appId = await vscode.window.showInputBox({
    title: 'Add Piwik PRO Source (3/3)',
    prompt: 'The site or app id queries use by default (optional)',
    placeHolder: 'leave empty to name it in each query',
  });
  if (appId === undefined) return;
  const source: Record<string, unknown> = { kind: 'piwik', url: url.trim().replace(/\/+$/, '') };
  if (appId.trim()) source.appId = appId.trim();
  await ExtensionConfig.updateUserSources({ ...ExtensionConfig.userSources(), [name]: source });
  await offerCredentials(name, 'piwik', normalizeHost(url) ?? url);
}

async function offerCredentials(name: string, kind: 'mixpanel' | 'piwik', host: string): Promise<void> {
  const choice = await vscode.window.showInformationMessage(`Added the source '${name}' to your user settings. Set its credentials now?`, 'Set Credentials');
  if (choice) await vscode.commands.executeCommand(CommandId.setCredentials, name, kind, host);
}

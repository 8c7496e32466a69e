/** Select Source: the default for queries without a `use` line. */
import * as vscode from 'vscode';
import { ExtensionConfig } from '../config';
import type { ExtensionState } from '../extensionState';
import { listSources } from '../sourcePicker';
import { addMixpanelSource, addPiwikSource } from './addSourceCommands';

export async function selectSource(state: ExtensionState): Promise<void> {
  // mParticle inputs receive events and run no queries, so they cannot be the default.
  const sources = (await listSources(state)).filter((source) => source.kind !== 'mparticle');
  type Item = vscode.QuickPickItem & { action: () => Promise<unknown> };
  const items: Item[] = sources.map((source) => ({
    label: `${source.isDefault ? '$(check) ' : ''}${source.name}`,
    description: source.kind,
    detail: source.schemaLabel,
    action: async () => {
      await ExtensionConfig.setDefaultSource(source.name);
      void vscode.window.setStatusBarMessage(`aq: '${source.name}' is the default source`, 3000);
    },
  }));
  items.push(
    { label: '$(add) Add Mixpanel Source…', action: () => addMixpanelSource() },
    { label: '$(add) Add Piwik PRO Source…', action: () => addPiwikSource() },
  );
  const picked = await vscode.window.showQuickPick(items, { title: 'aq: default source for queries without a `use` line' });
  await picked?.action();
}

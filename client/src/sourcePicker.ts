/** The sources a command can act on, and the quick pick that chooses one of them. */
import * as vscode from 'vscode';
import { ListSourcesRequest, type SourceStatus } from '../../server/src/protocol/customRequests';
import { CommandId } from './commands/commandIds';
import { ExtensionConfig } from './config';
import type { ExtensionState } from './extensionState';

/**
 * The sources the server knows (settings and the aq.json that applies to `forFile`, by default the
 * active file), or the ones in settings when it cannot say.
 */
export async function listSources(state: ExtensionState, forFile?: vscode.Uri): Promise<SourceStatus[]> {
  const client = await state.languageClient();
  const uri = (forFile ?? vscode.window.activeTextEditor?.document.uri)?.toString();
  if (client) {
    try {
      return await client.sendRequest(ListSourcesRequest, { uri });
    } catch (error) {
      state.output.warn(`Listing sources failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const fallbackDefault = ExtensionConfig.defaultSource();
  return Object.entries(ExtensionConfig.sources()).map(([name, source]) => ({
    name,
    kind: source.kind === 'piwik' || source.kind === 'local' ? source.kind : 'mixpanel',
    isDefault: name === fallbackDefault,
  }));
}

export async function pickSource(state: ExtensionState, title: string, kinds?: Array<SourceStatus['kind']>): Promise<SourceStatus | undefined> {
  const sources = (await listSources(state)).filter((source) => !kinds || kinds.includes(source.kind));
  if (sources.length === 0) {
    const add = await vscode.window.showInformationMessage('No Mixpanel or Piwik PRO source is configured yet.', 'Add Mixpanel Source', 'Add Piwik PRO Source');
    if (add) await vscode.commands.executeCommand(add === 'Add Mixpanel Source' ? CommandId.addMixpanelSource : CommandId.addPiwikSource);
    return undefined;
  }
  if (sources.length === 1) return sources[0];
  const picked = await vscode.window.showQuickPick(
    sources.map((source) => ({ label: source.name, description: source.kind + (source.isDefault ? ' · default' : ''), source })),
    { title },
  );
  return picked?.source;
}

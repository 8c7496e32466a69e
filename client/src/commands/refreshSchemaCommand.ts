/** Refresh Schema: asks the server to fetch (or re-derive) a source's schema now. */
import * as vscode from 'vscode';
import { RefreshSchemaRequest } from '../../../server/src/protocol/customRequests';
import { showFailure } from '../errorNotifications';
import type { ExtensionState } from '../extensionState';
import { pickSource } from '../sourcePicker';

export async function refreshSchema(state: ExtensionState, sourceName?: string): Promise<void> {
  const client = await state.languageClient();
  if (!client) return;
  const name = typeof sourceName === 'string' ? sourceName : (await pickSource(state, 'aq: refresh the schema of'))?.name;
  if (!name) return;
  try {
    const sources = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `aq: refreshing the schema of '${name}'`, cancellable: true },
      (_progress, token) => client.sendRequest(RefreshSchemaRequest, { sourceName: name }, token),
    );
    state.statusBar.update(sources);
    void vscode.window.setStatusBarMessage(`aq: schema of '${name}' refreshed`, 3000);
  } catch (error) {
    await showFailure(error, { action: `Refreshing the schema of '${name}'`, retry: () => void refreshSchema(state, name) });
  }
}

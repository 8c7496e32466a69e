/**
 * Start Watching, Stop Watching and Show Watched Queries. Watches run on the server until stopped;
 * their alerts arrive as notifications.
 */
import * as vscode from 'vscode';
import { StartWatchRequest, StopWatchRequest } from '../../../server/src/protocol/customRequests';
import { showFailure } from '../errorNotifications';
import type { ExtensionState } from '../extensionState';
import { startWatchParams } from '../watchedQueries';
import { baseName, targetUri } from './commandArguments';

export async function startWatching(state: ExtensionState, uriArgument?: unknown, indexArgument?: unknown): Promise<void> {
  const uri = targetUri(uriArgument);
  if (!uri) return;
  const queryIndex = typeof indexArgument === 'number' ? indexArgument : 0;
  const client = await state.languageClient();
  if (!client) return;
  const everyMinutes = await pickInterval();
  if (everyMinutes === undefined) return;
  try {
    await client.sendRequest(StartWatchRequest, startWatchParams({ uri, queryIndex, everyMinutes }));
    state.watched.set(uri, queryIndex, everyMinutes);
    void vscode.window.setStatusBarMessage(`aq: watching query ${queryIndex + 1} of ${baseName(uri)} every ${everyMinutes} min`, 5000);
  } catch (error) {
    await showFailure(error, { action: 'Starting the watch' });
  }
}

export async function stopWatching(state: ExtensionState, uriArgument?: unknown, indexArgument?: unknown): Promise<void> {
  const uri = targetUri(uriArgument);
  if (!uri) return;
  const queryIndex = typeof indexArgument === 'number' ? indexArgument : 0;
  const client = await state.languageClient();
  state.watched.set(uri, queryIndex, undefined);
  if (!client) return;
  await client.sendRequest(StopWatchRequest, { uri: uri.toString(), queryIndex }).catch(() => undefined);
}

/** The running watches: open one's query, or stop it (or all). */
export async function showWatches(state: ExtensionState): Promise<void> {
  const watches = state.watched.all();
  if (watches.length === 0) {
    void vscode.window.showInformationMessage('aq: no query is being watched. Use "Start Watching" above a debugger query.');
    return;
  }
  type Item = vscode.QuickPickItem & { run: () => Promise<unknown> };
  const stopAll: Item = {
    label: '$(debug-stop) Stop All Watches',
    run: async () => Promise.all(watches.map((watch) => stopWatching(state, watch.uri, watch.queryIndex))),
  };
  const items: Item[] = watches.map((watch) => ({
    label: `$(eye) ${baseName(watch.uri)}, query ${watch.queryIndex + 1}`,
    description: `every ${watch.everyMinutes} min`,
    buttons: [{ iconPath: new vscode.ThemeIcon('debug-stop'), tooltip: 'Stop Watching' }],
    run: async () => vscode.window.showTextDocument(watch.uri),
  }));
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = 'aq: watched debugger queries';
  pick.placeholder = 'Open a watched query, or stop it with the button';
  pick.items = [...items, stopAll];
  pick.onDidTriggerItemButton(async (event) => {
    const watch = watches[items.indexOf(event.item)];
    if (watch) await stopWatching(state, watch.uri, watch.queryIndex);
    pick.hide();
  });
  pick.onDidAccept(async () => {
    const chosen = pick.selectedItems[0];
    pick.hide();
    await chosen?.run();
  });
  pick.onDidHide(() => pick.dispose());
  pick.show();
}

async function pickInterval(): Promise<number | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      { label: 'Every 5 minutes', minutes: 5 },
      { label: 'Every minute', minutes: 1 },
      { label: 'Every 15 minutes', minutes: 15 },
      { label: 'Every hour', minutes: 60 },
    ],
    { title: 'aq: poll the Tracker Debugger' },
  );
  return picked?.minutes;
}

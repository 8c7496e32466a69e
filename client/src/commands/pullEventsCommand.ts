/**
 * Pull Events to Local Source…: asks for a Mixpanel source, a range and (optionally) event names,
 * pulls the raw export on the server with a cancellable progress notification, then offers to add
 * the folder to aq.json as a local source and to switch the open .aq file's `use` line to it.
 */
import * as vscode from 'vscode';
import { AddLocalSourceRequest, PullEventsRequest, type PullEventsResult } from '../../../server/src/protocol/customRequests';
import { describeFailure, showFailure } from '../errorNotifications';
import type { ExtensionState } from '../extensionState';
import { lastWeek, parseEventNames, parsePullRange, switchUseLines } from '../pullDialog';
import { listSources } from '../sourcePicker';

const ADD_AND_USE = 'Add Source and Use It';
const ADD = 'Add Source';
const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export async function pullEvents(state: ExtensionState): Promise<void> {
  const client = await state.languageClient();
  if (!client) return;
  const editor = vscode.window.activeTextEditor;
  const documentUri = editor?.document.uri;
  const sources = (await listSources(state, documentUri)).filter((source) => source.kind === 'mixpanel');
  if (sources.length === 0) {
    void vscode.window.showWarningMessage(
      'aq: there is no Mixpanel source to pull from. Add one to aq.json, e.g. "sources": { "shop": { "kind": "mixpanel", "projectId": 1234567 } }.',
    );
    return;
  }
  const picked =
    sources.length === 1
      ? sources[0]
      : (
          await vscode.window.showQuickPick(
            sources.map((source) => ({ label: source.name, description: source.isDefault ? 'default' : source.host, source })),
            { title: 'aq: Pull Events to Local Source (1/3)', placeHolder: 'Mixpanel source' },
          )
        )?.source;
  if (!picked) return;
  const today = new Date().toISOString().slice(0, 10);
  const proposed = lastWeek(today);
  const rangeText = await vscode.window.showInputBox({
    title: 'aq: Pull Events to Local Source (2/3)',
    prompt: 'Days to pull, inclusive (one export request per day; Mixpanel allows 60 an hour)',
    value: `${proposed.from} to ${proposed.to}`,
    validateInput: (value) => {
      const range = parsePullRange(value, today);
      return typeof range === 'string' ? range : undefined;
    },
  });
  if (rangeText === undefined) return;
  const range = parsePullRange(rangeText, today);
  if (typeof range === 'string') return;
  const eventsText = await vscode.window.showInputBox({
    title: 'aq: Pull Events to Local Source (3/3)',
    prompt: 'Only these events, separated by commas (quote a name holding a comma); leave empty for every event',
    placeHolder: 'Sign Up, Purchase',
  });
  if (eventsText === undefined) return;
  const events = parseEventNames(eventsText);

  const progressKey = `pull:${picked.name}:${Date.now()}`;
  let result: PullEventsResult;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `aq: pulling '${picked.name}' ${range.from} to ${range.to}`, cancellable: true },
      async (progress, token) => {
        let reported = 0;
        const listener = state.onSendProgress((update) => {
          if (update.uri !== progressKey) return;
          progress.report({ message: update.message, increment: Math.max(0, update.percent - reported) });
          reported = Math.max(reported, update.percent);
        });
        try {
          return await client.sendRequest(
            PullEventsRequest,
            {
              uri: documentUri?.toString(),
              sourceName: picked.name,
              from: range.from,
              to: range.to,
              events: events.length > 0 ? events : undefined,
              progressKey,
            },
            token,
          );
        } finally {
          listener.dispose();
        }
      },
    );
  } catch (error) {
    if (describeFailure(error).cancelled) {
      void vscode.window.showInformationMessage('aq: the pull was cancelled; the complete days are kept, and pulling again continues with the rest.');
      return;
    }
    await showFailure(error, { action: `Pulling '${picked.name}'`, retry: () => void pullEvents(state) });
    return;
  }
  if (result.pulledDays + result.skippedDays === 0) {
    void vscode.window.showWarningMessage(`aq: ${result.summary}`);
    return;
  }
  const isAqFile = editor?.document.languageId === 'aq';
  const choice = await (result.complete ? vscode.window.showInformationMessage : vscode.window.showWarningMessage)(
    `aq: ${result.summary}`,
    ...(isAqFile ? [ADD_AND_USE, ADD] : [ADD]),
  );
  if (choice !== ADD_AND_USE && choice !== ADD) return;
  const name = await vscode.window.showInputBox({
    title: 'aq: name of the local source',
    value: `${picked.name}-local`,
    validateInput: (value) => (!SOURCE_NAME.test(value) ? 'Letters, digits, "_", "." and "-", starting with a letter or digit.' : undefined),
  });
  if (!name) return;
  try {
    const added = await client.sendRequest(AddLocalSourceRequest, { uri: documentUri?.toString(), name, path: result.sourcePath, timezoneOf: picked.name });
    void vscode.window.setStatusBarMessage(`aq: ${added.message}`, 5000);
  } catch (error) {
    await showFailure(error, { action: `Adding the local source '${name}'` });
    return;
  }
  if (choice !== ADD_AND_USE || !editor) return;
  const document = editor.document;
  const edits = switchUseLines(document.getText(), picked.name, name);
  if (edits.length === 0) {
    void vscode.window.showInformationMessage(
      `aq: ${vscode.workspace.asRelativePath(document.uri)} has no 'use mixpanel "${picked.name}"' line to switch; add 'use local "${name}"' where you want it.`,
    );
    return;
  }
  const workspaceEdit = new vscode.WorkspaceEdit();
  for (const edit of edits) {
    if (edit.insert) workspaceEdit.insert(document.uri, new vscode.Position(edit.line, 0), `${edit.text}\n\n`);
    else workspaceEdit.replace(document.uri, document.lineAt(edit.line).range, edit.text);
  }
  await vscode.workspace.applyEdit(workspaceEdit);
}

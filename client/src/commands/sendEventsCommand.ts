/**
 * Send Events: sends an event file on the server with a cancellable progress notification, to
 * Mixpanel (event files) or mParticle (`*.mparticle.json`); records the API rejected are shown as
 * diagnostics on their lines.
 */
import * as vscode from 'vscode';
import { SendEventsRequest, type SendEventsResult } from '../../../server/src/protocol/customRequests';
import { describeFailure, showFailure } from '../errorNotifications';
import { isEventFile, isMparticleFileName } from '../eventFiles';
import type { ExtensionState } from '../extensionState';
import { listSources } from '../sourcePicker';
import { baseName, targetUri } from './commandArguments';

const RESUME = 'Send the Rest (Resume)';

/**
 * The sources a file can go to, from the aq.json that applies to it: mParticle inputs for
 * `*.mparticle.json`, Mixpanel sources otherwise.
 */
async function pickDestination(state: ExtensionState, uri: vscode.Uri): Promise<string | undefined> {
  const kind = isMparticleFileName(uri) ? 'mparticle' : 'mixpanel';
  const label = kind === 'mparticle' ? 'mParticle' : 'Mixpanel';
  const sources = await listSources(state, uri);
  const candidates = sources.filter((source) => source.kind === kind);
  if (candidates.length === 0) {
    const example = kind === 'mparticle' ? '{ "kind": "mparticle", "pod": "US1" }' : '{ "kind": "mixpanel", "projectId": 1234567 }';
    void vscode.window.showWarningMessage(
      `aq: there is no ${label} source in aq.json to send ${baseName(uri)} to. Add one, e.g. "sources": { "name": ${example} }.`,
    );
    return undefined;
  }
  if (candidates.length === 1) return candidates[0].name;
  const picked = await vscode.window.showQuickPick(
    candidates.map((source) => ({ label: source.name, description: source.isDefault ? 'default' : source.host })),
    { title: `aq: send ${baseName(uri)} to`, placeHolder: `${label} source` },
  );
  return picked?.label;
}

export async function sendEvents(state: ExtensionState, uriArgument?: unknown, sourceArgument?: unknown, resume = false): Promise<void> {
  const uri = targetUri(uriArgument);
  if (!uri || !isEventFile(uri)) {
    void vscode.window.showWarningMessage('aq: open an event file (*.events.ndjson, *.events.json or *.mparticle.json) to send it.');
    return;
  }
  const client = await state.languageClient();
  if (!client) return;
  const sourceName = typeof sourceArgument === 'string' ? sourceArgument : await pickDestination(state, uri);
  if (!sourceName) return;
  const document = await vscode.workspace.openTextDocument(uri);
  state.sendFailures.delete(uri);
  let result: SendEventsResult;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `aq: sending ${baseName(uri)} to '${sourceName}'`, cancellable: true },
      async (progress, token) => {
        let reported = 0;
        const listener = state.onSendProgress((update) => {
          if (update.uri !== uri.toString()) return;
          progress.report({ message: update.message, increment: Math.max(0, update.percent - reported) });
          reported = Math.max(reported, update.percent);
        });
        try {
          return await client.sendRequest(SendEventsRequest, { uri: uri.toString(), sourceName, resume }, token);
        } finally {
          listener.dispose();
        }
      },
    );
  } catch (error) {
    if (describeFailure(error).cancelled) {
      const again = await vscode.window.showInformationMessage(`aq: sending ${baseName(uri)} was cancelled; what was delivered stays delivered.`, RESUME);
      if (again === RESUME) await sendEvents(state, uri, sourceName, true);
      return;
    }
    await showFailure(error, { action: `Sending ${baseName(uri)}`, retry: () => void sendEvents(state, uri, sourceName, resume) });
    return;
  }
  if (result.failedRecords.length > 0) {
    state.sendFailures.set(
      uri,
      result.failedRecords.map((failure) => {
        const line = Math.min(Math.max(0, failure.line - 1), Math.max(0, document.lineCount - 1));
        const diagnostic = new vscode.Diagnostic(document.lineAt(line).range, `Not sent: ${failure.message}`, vscode.DiagnosticSeverity.Error);
        diagnostic.source = 'aq send';
        return diagnostic;
      }),
    );
  }
  const canResume = /Resume/.test(result.summary);
  const show = result.failedRecords.length > 0 || canResume ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  const choice = await show(
    `aq: ${result.summary}${result.failedRecords.length > 0 ? ' The rejected lines are marked in the file.' : ''}`,
    ...(canResume ? [RESUME] : []),
  );
  if (choice === RESUME) await sendEvents(state, uri, sourceName, true);
}

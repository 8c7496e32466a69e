/**
 * Send Events, Start/Stop Watching and the Slack webhook commands. Sends run on the server with a
 * cancellable progress notification, to Mixpanel (event files) or mParticle (`*.mparticle.json`);
 * records the API rejected are shown as diagnostics on their lines. Watches run on the server until stopped; their alerts arrive as notifications.
 */
import * as vscode from 'vscode';
import { SendEventsRequest, StartWatchRequest, StopWatchRequest, type SendEventsResult } from '../../../server/src/protocol/customRequests';
import { describeFailure, showFailure } from '../errorNotifications';
import type { ExtensionState } from '../extensionState';
import { startWatchParams } from '../watchedQueries';
import { isEventFile, isMparticleFileName } from '../workflowCodeLens';
import { listSources } from './selectSourceCommand';

export const SLACK_WEBHOOK_SECRET_KEY = 'aq.slackWebhookUrl';
const SLACK_WEBHOOK_PATTERN = /^https:\/\/hooks\.slack\.com\/services\/\S+$/;
const RESUME = 'Send the Rest (Resume)';

function targetUri(uri: unknown): vscode.Uri | undefined {
  if (uri instanceof vscode.Uri) return uri;
  return vscode.window.activeTextEditor?.document.uri;
}

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
    void vscode.window.showWarningMessage(`aq: there is no ${label} source in aq.json to send ${baseName(uri)} to. Add one, e.g. "sources": { "name": ${example} }.`);
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
  const choice = await show(`aq: ${result.summary}${result.failedRecords.length > 0 ? ' The rejected lines are marked in the file.' : ''}`, ...(canResume ? [RESUME] : []));
  if (choice === RESUME) await sendEvents(state, uri, sourceName, true);
}

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
  const stopAll: Item = { label: '$(debug-stop) Stop All Watches', run: async () => Promise.all(watches.map((watch) => stopWatching(state, watch.uri, watch.queryIndex))) };
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

export async function setSlackWebhook(state: ExtensionState): Promise<void> {
  const url = await vscode.window.showInputBox({
    title: 'aq: Slack incoming webhook for watch alerts',
    prompt: 'Stored in the editor\'s secret storage, never in settings or logs.',
    placeHolder: 'https://hooks.slack.com/services/T…/B…/…',
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => (SLACK_WEBHOOK_PATTERN.test(value.trim()) ? undefined : 'An incoming-webhook URL starts with https://hooks.slack.com/services/'),
  });
  if (!url) return;
  await state.context.secrets.store(SLACK_WEBHOOK_SECRET_KEY, url.trim());
  void vscode.window.setStatusBarMessage('aq: watch alerts will also go to Slack', 3000);
}

export async function clearSlackWebhook(state: ExtensionState): Promise<void> {
  await state.context.secrets.delete(SLACK_WEBHOOK_SECRET_KEY);
  void vscode.window.setStatusBarMessage('aq: the Slack webhook is removed', 3000);
}

/** What the server's `aq/slackWebhook` request is answered with. */
export async function slackWebhookAnswer(secrets: vscode.SecretStorage): Promise<{ url: string } | null> {
  const url = await secrets.get(SLACK_WEBHOOK_SECRET_KEY);
  return url ? { url } : null;
}

function baseName(uri: vscode.Uri): string {
  return uri.path.split('/').pop() ?? uri.path;
}

/**
 * Run Query at Cursor / Run All Queries / Cancel: a cancellable progress notification around
 * RunQueryRequest; the result goes to the query's panel, the CodeLens and the history.
 */
import * as vscode from 'vscode';
import { RunExpectationsRequest, RunQueryRequest } from '../../../server/src/protocol/customRequests';
import type { QueryResult } from '../../../server/src/protocol/resultModel';
import { documentQueries, queryAt, type DocumentQuery } from '../documentQueries';
import { describeFailure, showFailure } from '../errorNotifications';
import type { ExtensionState } from '../extensionState';
import { describeOutcome, expectationsOutcome, successOutcome } from '../runOutcome';

export interface RunOptions {
  bypassCache?: boolean;
}

/** Runs one query; resolves once it finished, failed or was cancelled (never rejects). */
export async function runQuery(
  state: ExtensionState,
  document: vscode.TextDocument,
  query: DocumentQuery,
  options: RunOptions = {},
): Promise<'done' | 'failed' | 'cancelled'> {
  if (!vscode.workspace.isTrusted) {
    await explainRestrictedMode();
    return 'failed';
  }
  const client = await state.languageClient();
  if (!client) return 'failed';

  state.runs.get(query.title)?.cancel();
  const cancellation = new vscode.CancellationTokenSource();
  state.runs.set(query.title, cancellation);
  void updateRunningContext(state);
  state.panels.existing(query.title)?.showRunning();
  const startedAt = Date.now();
  const queryText = document.getText(query.range).trimEnd();
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `aq: running ${query.title}`, cancellable: true },
      (_progress, token) => {
        token.onCancellationRequested(() => cancellation.cancel());
        return client.sendRequest(
          RunQueryRequest,
          { uri: document.uri.toString(), queryIndex: query.index, bypassCache: options.bypassCache },
          cancellation.token,
        );
      },
    );
    showResult(state, document.uri, query, result, queryText);
    if (document.languageId === 'aq') await checkExpectations(state, document, query, cancellation.token);
    return 'done';
  } catch (error) {
    const failure = describeFailure(error);
    if (failure.cancelled || cancellation.token.isCancellationRequested) {
      state.panels.existing(query.title)?.showFailure('Cancelled.');
      return 'cancelled';
    }
    const outcome = { ok: false as const, message: failure.message, finishedAt: Date.now() };
    state.outcomes.set(document.uri, query.index, { title: query.title, outcome });
    state.panels.existing(query.title)?.showFailure(failure.message);
    state.output.warn(`${query.title}: ${failure.message} (${Date.now() - startedAt} ms)`);
    void showFailure(error, { action: `Running '${query.title}'`, retry: () => void runQuery(state, document, query, options) });
    return 'failed';
  } finally {
    if (state.runs.get(query.title) === cancellation) state.runs.delete(query.title);
    cancellation.dispose();
    void updateRunningContext(state);
  }
}

function showResult(state: ExtensionState, uri: vscode.Uri, query: DocumentQuery, result: QueryResult, queryText: string): void {
  const outcome = successOutcome(result, Date.now());
  state.outcomes.set(uri, query.index, { title: query.title, outcome, result });
  const panel = state.panels.forTitle(query.title);
  panel.source = { uri, queryIndex: query.index };
  panel.showResult(result, queryText);
  void state.history.add({
    queryText,
    title: query.title,
    uri: uri.toString(),
    queryIndex: query.index,
    ranAt: new Date(outcome.finishedAt).toISOString(),
    summary: describeOutcome(outcome, outcome.finishedAt),
    sourceName: result.source.name,
    result,
  });
}

/**
 * After a run, the query's `expect` clauses are checked (a remote source answers from the engine's
 * cache of the run just made) and the outcome line reads them: "✓ 3/3 expectations" or the first failure.
 */
async function checkExpectations(state: ExtensionState, document: vscode.TextDocument, query: DocumentQuery, token: vscode.CancellationToken): Promise<void> {
  const client = await state.languageClient();
  if (!client) return;
  try {
    const results = await client.sendRequest(RunExpectationsRequest, { uri: document.uri.toString(), only: [{ queryIndex: query.index }] }, token);
    if (results.length === 0) return;
    const stored = state.outcomes.get(document.uri, query.index);
    if (stored?.outcome.ok)
      state.outcomes.set(document.uri, query.index, { ...stored, outcome: { ...stored.outcome, expectations: expectationsOutcome(results) } });
    state.reportExpectationResults(document.uri, results);
  } catch (error) {
    state.output.warn(`${query.title}: checking its expectations failed: ${describeFailure(error).message}`);
  }
}

/** Command: the query under the cursor, or the one a CodeLens names with (uri, index). */
export async function runQueryAtCursor(state: ExtensionState, uri?: vscode.Uri, queryIndex?: number): Promise<void> {
  const document = uri ? await vscode.workspace.openTextDocument(uri) : activeQueryDocument();
  if (!document) return;
  const queries = await documentQueries(document);
  const editor = vscode.window.activeTextEditor;
  const query =
    queryIndex !== undefined
      ? queries.find((candidate) => candidate.index === queryIndex)
      : editor?.document === document
        ? await queryAt(document, editor.selection.active)
        : queries[0];
  if (!query) {
    void vscode.window.showInformationMessage('This file has no query to run yet. A query starts with a line such as: segmentation "Sign Up"');
    return;
  }
  await runQuery(state, document, query);
}

export async function runAllQueries(state: ExtensionState): Promise<void> {
  const document = activeQueryDocument();
  if (!document) return;
  for (const query of await documentQueries(document)) {
    if ((await runQuery(state, document, query)) === 'cancelled') break;
  }
}

/** Re-runs the query a panel shows, skipping the cache (the user asked for fresh numbers). */
export async function rerunPanelQuery(state: ExtensionState, title: string, source: { uri: vscode.Uri; queryIndex: number } | undefined): Promise<void> {
  if (!source) return;
  const document = await vscode.workspace.openTextDocument(source.uri);
  const query = (await documentQueries(document)).find((candidate) => candidate.title === title) ?? (await documentQueries(document))[source.queryIndex];
  if (query) await runQuery(state, document, query, { bypassCache: true });
}

export function cancelQueries(state: ExtensionState, title?: string): void {
  if (title) {
    state.runs.get(title)?.cancel();
    return;
  }
  if (state.runs.size === 0) {
    void vscode.window.setStatusBarMessage('aq: no query is running', 3000);
    return;
  }
  for (const run of state.runs.values()) run.cancel();
}

export function showLastResult(state: ExtensionState, uri: vscode.Uri, queryIndex: number): void {
  const stored = state.outcomes.get(uri, queryIndex);
  if (!stored?.result) return;
  const panel = state.panels.forTitle(stored.title);
  panel.source = { uri, queryIndex };
  panel.showResult(stored.result);
}

export function activeQueryDocument(): vscode.TextDocument | undefined {
  const document = vscode.window.activeTextEditor?.document;
  if (document && (document.languageId === 'aq' || document.languageId === 'jql')) return document;
  void vscode.window.showInformationMessage('Open an .aq (or .jql) file to run its queries.');
  return undefined;
}

/** `aq.queryRunning` enables the Cancel keybinding only while something runs. */
function updateRunningContext(state: ExtensionState): Thenable<unknown> {
  return vscode.commands.executeCommand('setContext', 'aq.queryRunning', state.runs.size > 0);
}

async function explainRestrictedMode(): Promise<void> {
  const choice = await vscode.window.showWarningMessage(
    'aq does not run queries in Restricted Mode: a workspace can name the hosts your credentials are sent to and the scripts that run. Trust this workspace to run queries; editing, completion and lint still work.',
    'Manage Workspace Trust',
  );
  if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
}

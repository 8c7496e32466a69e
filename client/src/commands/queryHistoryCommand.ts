/** Open Query History: the last runs of this workspace; a pick re-opens the result (or re-runs it). */
import * as vscode from 'vscode';
import { documentQueries } from '../documentQueries';
import type { ExtensionState } from '../extensionState';
import type { HistoryEntry } from '../queryHistory';
import { runQuery } from './runQueryCommand';

export async function openQueryHistory(state: ExtensionState): Promise<void> {
  const entries = state.history.entries();
  if (entries.length === 0) {
    void vscode.window.showInformationMessage('No query has run in this workspace yet.');
    return;
  }
  type Item = vscode.QuickPickItem & { entry?: HistoryEntry; clear?: true };
  const items: Item[] = entries.map((entry) => ({
    label: entry.title,
    description: entry.summary,
    detail: `${new Date(entry.ranAt).toLocaleString()} · ${entry.sourceName} · ${vscode.workspace.asRelativePath(vscode.Uri.parse(entry.uri))}${entry.result ? '' : ' · runs again (result too large to keep)'}${entry.queryText ? ` · ${oneLineQuery(entry.queryText)}` : ''}`,
    entry,
  }));
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(trash) Clear History', clear: true });
  const picked = await vscode.window.showQuickPick(items, { title: 'aq: query history', matchOnDescription: true, matchOnDetail: true });
  if (!picked) return;
  if (picked.clear) return state.history.clear();
  const entry = picked.entry;
  if (!entry) return;
  const uri = vscode.Uri.parse(entry.uri);
  if (entry.result) {
    const panel = state.panels.forTitle(entry.title);
    panel.source = { uri, queryIndex: entry.queryIndex };
    panel.showResult(entry.result, entry.queryText);
    return;
  }
  const document = await vscode.workspace.openTextDocument(uri);
  const queries = await documentQueries(document);
  const query = queries.find((candidate) => candidate.title === entry.title) ?? queries[entry.queryIndex];
  if (query) await runQuery(state, document, query);
}

/** The query's clauses on one line, as the pick's detail can show them ("on properties[…] · last 30 days"). */
function oneLineQuery(text: string): string {
  const clauses = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const joined = clauses.join(' · ');
  return joined.length > 160 ? `${joined.slice(0, 159)}…` : joined;
}

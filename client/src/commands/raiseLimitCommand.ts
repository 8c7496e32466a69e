/**
 * Raise Limit: when `limit` left segments out of a query's last result, writes a `limit` that shows
 * them all (the quick fix, the CodeLens and the panel's button all end here), then runs the query again.
 */
import * as vscode from 'vscode';
import { limitNoticeText, raisedLimit } from '../../../server/src/protocol/limitNotice';
import { documentQueries } from '../documentQueries';
import type { ExtensionState } from '../extensionState';
import { planLimitEdit } from '../limitEdit';
import { CommandId } from './commandIds';
import { runQuery } from './runQueryCommand';

export async function raiseLimit(state: ExtensionState, uri: vscode.Uri, queryIndex: number): Promise<void> {
  const stored = state.outcomes.get(uri, queryIndex);
  const notice = stored?.outcome.ok ? stored.outcome.limited : undefined;
  if (!notice) return;
  const document = await vscode.workspace.openTextDocument(uri);
  const query = (await documentQueries(document)).find((candidate) => candidate.index === queryIndex);
  if (!query) return;
  const lines = Array.from({ length: document.lineCount }, (_unused, line) => document.lineAt(line).text);
  const plan = planLimitEdit(lines, query.range.start.line, query.range.end.line, raisedLimit(notice));
  if (!plan) return;
  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, new vscode.Range(plan.line, plan.startCharacter, plan.line, plan.endCharacter), plan.text);
  if (!(await vscode.workspace.applyEdit(edit))) return;
  const rerun = (await documentQueries(document)).find((candidate) => candidate.index === queryIndex);
  if (rerun) await runQuery(state, document, rerun);
}

/** The quick fix (Ctrl+.) inside a query whose last run was cut by `limit`. */
export class RaiseLimitCodeActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  constructor(private readonly state: ExtensionState) {}

  async provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection): Promise<vscode.CodeAction[]> {
    const query = (await documentQueries(document)).find(
      (candidate) => candidate.range.contains(range.start) || candidate.range.start.line === range.start.line,
    );
    if (!query) return [];
    const stored = this.state.outcomes.get(document.uri, query.index);
    const notice = stored?.outcome.ok ? stored.outcome.limited : undefined;
    if (!notice) return [];
    const action = new vscode.CodeAction(
      `Raise limit to ${raisedLimit(notice)} (${limitNoticeText(notice).replace(/ — raise limit$/, '')})`,
      vscode.CodeActionKind.QuickFix,
    );
    action.command = { command: CommandId.raiseLimit, title: action.title, arguments: [document.uri, query.index] };
    action.isPreferred = true;
    return [action];
  }
}

/** Show Generated Request (curl, secret masked) / Show Generated JQL, for the query at the cursor. */
import * as vscode from 'vscode';
import { GeneratedRequestRequest } from '../../../server/src/protocol/customRequests';
import { queryAt } from '../documentQueries';
import { showFailure } from '../errorNotifications';
import type { ExtensionState } from '../extensionState';
import { activeQueryDocument } from './runQueryCommand';

export async function showGenerated(state: ExtensionState, what: 'curl' | 'jql'): Promise<void> {
  const document = activeQueryDocument();
  const editor = vscode.window.activeTextEditor;
  if (!document || !editor) return;
  const query = await queryAt(document, editor.selection.active);
  if (!query) return;
  const client = await state.languageClient();
  if (!client) return;
  try {
    const generated = await client.sendRequest(GeneratedRequestRequest, { uri: document.uri.toString(), queryIndex: query.index });
    const text = what === 'curl' ? generated.curl : generated.jql;
    if (!text) {
      const fallback = what === 'curl' ? 'This query sends no HTTP request.' : 'Only ad-hoc funnels compile to JQL.';
      void vscode.window.showInformationMessage(generated.note ?? fallback);
      return;
    }
    const shown = await vscode.workspace.openTextDocument({ language: what === 'curl' ? 'shellscript' : 'javascript', content: text });
    await vscode.window.showTextDocument(shown, { viewColumn: vscode.ViewColumn.Beside, preview: true });
  } catch (error) {
    await showFailure(error, { action: `Generating the ${what === 'curl' ? 'request' : 'JQL'} of '${query.title}'` });
  }
}

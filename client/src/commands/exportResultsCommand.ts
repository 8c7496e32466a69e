/**
 * Export Results (CSV, Cyfe CSV, JSON) and Save as PNG: the server formats the file
 * (ExportResultRequest), the user picks where it goes.
 */
import * as vscode from 'vscode';
import { ExportResultRequest, type ExportParams } from '../../../server/src/protocol/customRequests';
import type { QueryResult } from '../../../server/src/protocol/resultModel';
import { showFailure } from '../errorNotifications';
import type { ExtensionState } from '../extensionState';
import type { ExportFormat } from '../results/resultsMessages';

const FORMATS: Record<ExportFormat, { label: string; extension: string; filter: string }> = {
  csv: { label: 'CSV', extension: 'csv', filter: 'CSV' },
  'cyfe-csv': { label: 'Cyfe CSV (Date as YYYYMMDD, one column per segment)', extension: 'csv', filter: 'CSV' },
  json: { label: 'JSON', extension: 'json', filter: 'JSON' },
};

/**
 * `clean` asks the server to drop "", "undefined" and null segments first (the panel's toggle).
 * It is an optional field beyond ExportParams; a server that ignores it exports the result as run.
 */
type ExportRequestParams = ExportParams & { clean?: boolean };

/** Command: export the focused (or last shown) panel's result. */
export async function exportResultsCommand(state: ExtensionState): Promise<void> {
  const result = state.panels.current()?.currentResult;
  if (!result) {
    void vscode.window.showInformationMessage('Run a query first; Export Results saves the result shown in its panel.');
    return;
  }
  const picked = await vscode.window.showQuickPick(
    (Object.keys(FORMATS) as ExportFormat[]).map((format) => ({ label: FORMATS[format].label, format })),
    { title: `aq: export '${result.title}' as` },
  );
  if (picked) await exportResult(state, result, picked.format, false);
}

export async function exportResult(state: ExtensionState, result: QueryResult, format: ExportFormat, clean: boolean): Promise<void> {
  const client = await state.languageClient();
  if (!client) return;
  const spec = FORMATS[format];
  try {
    const params: ExportRequestParams = { result, format, clean };
    const { text } = await client.sendRequest(ExportResultRequest, params);
    const target = await vscode.window.showSaveDialog({
      title: `Export '${result.title}'`,
      defaultUri: defaultFile(result.title, spec.extension),
      filters: { [spec.filter]: [spec.extension] },
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    const open = await vscode.window.showInformationMessage(`Saved ${spec.filter} to ${vscode.workspace.asRelativePath(target)}.`, 'Open');
    if (open) await vscode.window.showTextDocument(target);
  } catch (error) {
    await showFailure(error, { action: `Exporting '${result.title}'` });
  }
}

export async function savePng(title: string, dataUrl: string): Promise<void> {
  const target = await vscode.window.showSaveDialog({
    title: `Save the chart of '${title}'`,
    defaultUri: defaultFile(title, 'png'),
    filters: { PNG: ['png'] },
  });
  if (!target) return;
  const base64 = dataUrl.slice(dataUrl.indexOf(',') + 1);
  await vscode.workspace.fs.writeFile(target, Buffer.from(base64, 'base64'));
  void vscode.window.setStatusBarMessage(`aq: saved ${vscode.workspace.asRelativePath(target)}`, 3000);
}

/** `Signups by country` → `<workspace>/signups-by-country.csv`. */
function defaultFile(title: string, extension: string): vscode.Uri | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const slug =
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'result';
  return folder ? vscode.Uri.joinPath(folder, `${slug}.${extension}`) : undefined;
}

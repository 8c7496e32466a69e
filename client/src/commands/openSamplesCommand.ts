/**
 * Open Sample Queries (the walkthrough's second step): copies the bundled examples (queries,
 * aq.json, schema — not the data, which the local engine writes on first use) to the extension's
 * storage, so the user's workspace is untouched, and opens shop.aq.
 */
import * as vscode from 'vscode';
import type { ExtensionState } from '../extensionState';

const SKIPPED = new Set(['data']);

export async function openSamples(state: ExtensionState): Promise<void> {
  const source = vscode.Uri.joinPath(state.context.extensionUri, 'examples');
  const target = vscode.Uri.joinPath(state.context.globalStorageUri, 'samples');
  try {
    await copyMissing(source, target);
    const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(target, 'shop.aq'));
    await vscode.window.showTextDocument(document);
  } catch (error) {
    void vscode.window.showErrorMessage(`Could not open the sample queries: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Copies files that are not there yet; a user's edits to a sample survive the next open. */
async function copyMissing(from: vscode.Uri, to: vscode.Uri): Promise<void> {
  await vscode.workspace.fs.createDirectory(to);
  for (const [name, type] of await vscode.workspace.fs.readDirectory(from)) {
    if (SKIPPED.has(name)) continue;
    const source = vscode.Uri.joinPath(from, name);
    const target = vscode.Uri.joinPath(to, name);
    if (type === vscode.FileType.Directory) {
      await copyMissing(source, target);
    } else if (!(await exists(target))) {
      await vscode.workspace.fs.copy(source, target, { overwrite: false });
    }
  }
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

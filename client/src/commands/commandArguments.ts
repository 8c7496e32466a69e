/** What commands invoked from a CodeLens, a menu or the palette receive, made usable. */
import * as vscode from 'vscode';

/** The file a command is about: its argument when it is one, else the active editor's. */
export function targetUri(uri: unknown): vscode.Uri | undefined {
  if (uri instanceof vscode.Uri) return uri;
  return vscode.window.activeTextEditor?.document.uri;
}

/** The last segment of a URI's path, for messages. */
export function baseName(uri: vscode.Uri): string {
  return uri.path.split('/').pop() ?? uri.path;
}

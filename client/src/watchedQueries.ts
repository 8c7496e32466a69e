/**
 * The queries the server is watching for broken events, by document and query index, so the
 * CodeLens shows "Start Watching" or "Stop Watching". A closed document's watches end on the server
 * too, so they are forgotten here.
 */
import * as vscode from 'vscode';

export class WatchedQueries implements vscode.Disposable {
  private readonly watched = new Set<string>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly closeListener = vscode.workspace.onDidCloseTextDocument((document) => this.forgetDocument(document.uri));

  has(uri: vscode.Uri, queryIndex: number): boolean {
    return this.watched.has(watchKey(uri, queryIndex));
  }

  set(uri: vscode.Uri, queryIndex: number, watching: boolean): void {
    if (watching) this.watched.add(watchKey(uri, queryIndex));
    else this.watched.delete(watchKey(uri, queryIndex));
    this.changed.fire();
  }

  /** The server lost every watch (it restarted). */
  clear(): void {
    this.watched.clear();
    this.changed.fire();
  }

  private forgetDocument(uri: vscode.Uri): void {
    const prefix = `${uri.toString()}#`;
    for (const existing of [...this.watched]) if (existing.startsWith(prefix)) this.watched.delete(existing);
    this.changed.fire();
  }

  dispose(): void {
    this.closeListener.dispose();
    this.changed.dispose();
  }
}

function watchKey(uri: vscode.Uri, queryIndex: number): string {
  return `${uri.toString()}#${queryIndex}`;
}

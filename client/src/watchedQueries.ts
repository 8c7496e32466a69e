/**
 * The queries the server is watching for broken events, by document and query index, so the
 * CodeLens shows "Start Watching" or "Stop Watching", and so the watches can be started again when
 * the server restarts (a crash, or trust granted). A closed document's watches end on the server
 * too, so they are forgotten here.
 */
import * as vscode from 'vscode';
import type { StartWatchParams } from '../../server/src/protocol/customRequests';
import { ExtensionConfig } from './config';

export interface WatchedQuery {
  uri: vscode.Uri;
  queryIndex: number;
  everyMinutes: number;
}

export class WatchedQueries implements vscode.Disposable {
  private readonly watched = new Map<string, WatchedQuery>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly closeListener = vscode.workspace.onDidCloseTextDocument((document) => this.forgetDocument(document.uri));

  has(uri: vscode.Uri, queryIndex: number): boolean {
    return this.watched.has(watchKey(uri, queryIndex));
  }

  /** Records a watch the server started (with its interval), or forgets one (`undefined`). */
  set(uri: vscode.Uri, queryIndex: number, everyMinutes: number | undefined): void {
    if (everyMinutes !== undefined) this.watched.set(watchKey(uri, queryIndex), { uri, queryIndex, everyMinutes });
    else this.watched.delete(watchKey(uri, queryIndex));
    this.changed.fire();
  }

  all(): WatchedQuery[] {
    return [...this.watched.values()];
  }

  private forgetDocument(uri: vscode.Uri): void {
    const prefix = `${uri.toString()}#`;
    for (const existing of [...this.watched.keys()]) if (existing.startsWith(prefix)) this.watched.delete(existing);
    this.changed.fire();
  }

  dispose(): void {
    this.closeListener.dispose();
    this.changed.dispose();
  }
}

/** What the server is asked to watch, with the current alert settings: for Start Watching and for restarting watches. */
export function startWatchParams(watch: WatchedQuery): StartWatchParams {
  return {
    uri: watch.uri.toString(),
    queryIndex: watch.queryIndex,
    everyMinutes: watch.everyMinutes,
    maxAlertsPerPoll: ExtensionConfig.watchMaxAlertsPerPoll(),
  };
}

function watchKey(uri: vscode.Uri, queryIndex: number): string {
  return `${uri.toString()}#${queryIndex}`;
}

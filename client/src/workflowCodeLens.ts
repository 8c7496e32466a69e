/**
 * "Send Events" at the top of event files, and "Start Watching" / "Stop Watching" above the
 * `debugger` queries of .aq files.
 */
import * as vscode from 'vscode';
import { CommandId } from './commands/commandIds';
import { ExtensionConfig } from './config';
import { documentQueries } from './documentQueries';
import { isEventFile, isMparticleFileName } from './eventFiles';
import type { WatchedQueries } from './watchedQueries';

const DEBUGGER_HEAD = /^\s*debugger\b/m;

export class WorkflowCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly watched: WatchedQueries) {
    watched.onDidChange(() => this.changed.fire());
  }

  refresh(): void {
    this.changed.fire();
  }

  async provideCodeLenses(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (!ExtensionConfig.codeLensEnabled()) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    if (isEventFile(document.uri)) {
      return [
        new vscode.CodeLens(top, {
          title: '$(cloud-upload) Send Events',
          tooltip: isMparticleFileName(document.uri)
            ? 'Send the batches of this file to an mParticle input'
            : 'Send the events of this file to a Mixpanel source',
          command: CommandId.sendEvents,
          arguments: [document.uri],
        }),
      ];
    }
    if (document.languageId !== 'aq') return [];
    const queries = await documentQueries(document);
    if (token.isCancellationRequested) return [];
    const lenses: vscode.CodeLens[] = [];
    for (const query of queries) {
      if (!DEBUGGER_HEAD.test(document.getText(query.range))) continue;
      const range = new vscode.Range(query.range.start, query.range.start);
      const watching = this.watched.has(document.uri, query.index);
      lenses.push(
        new vscode.CodeLens(range, {
          title: watching ? '$(eye-closed) Stop Watching' : '$(eye) Start Watching',
          tooltip: watching ? `Stop watching ${query.title}` : `Poll ${query.title} for broken events and alert on each new one`,
          command: watching ? CommandId.stopWatching : CommandId.startWatching,
          arguments: [document.uri, query.index],
        }),
      );
    }
    return lenses;
  }
}

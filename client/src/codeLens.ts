/**
 * "▶ Run" above each query and, after a run, its outcome: "✓ 12,345 events · 1,204 rows · 3 series · 0.8 s"
 * or "✗ <error>", and "Raise limit to N" when `limit` left segments out. Outcomes are kept per document and query index until the document closes.
 */
import * as vscode from 'vscode';
import { raisedLimit } from '../../server/src/protocol/limitNotice';
import type { QueryResult } from '../../server/src/protocol/resultModel';
import { CommandId } from './commands/commandIds';
import { ExtensionConfig } from './config';
import { documentQueries } from './documentQueries';
import { describeOutcome, type RunOutcome } from './runOutcome';

export interface StoredOutcome {
  /** The query's title: its results panel. */
  title: string;
  outcome: RunOutcome;
  result?: QueryResult;
}

export class RunOutcomeStore implements vscode.Disposable {
  private readonly outcomes = new Map<string, StoredOutcome>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly closeListener = vscode.workspace.onDidCloseTextDocument((document) => this.forget(document.uri));

  set(uri: vscode.Uri, queryIndex: number, stored: StoredOutcome): void {
    this.outcomes.set(key(uri, queryIndex), stored);
    this.changed.fire();
  }

  get(uri: vscode.Uri, queryIndex: number): StoredOutcome | undefined {
    return this.outcomes.get(key(uri, queryIndex));
  }

  private forget(uri: vscode.Uri): void {
    const prefix = `${uri.toString()}#`;
    for (const existing of [...this.outcomes.keys()]) if (existing.startsWith(prefix)) this.outcomes.delete(existing);
    this.changed.fire();
  }

  dispose(): void {
    this.closeListener.dispose();
    this.changed.dispose();
  }
}

function key(uri: vscode.Uri, queryIndex: number): string {
  return `${uri.toString()}#${queryIndex}`;
}

export class QueryCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly outcomes: RunOutcomeStore) {
    outcomes.onDidChange(() => this.changed.fire());
  }

  refresh(): void {
    this.changed.fire();
  }

  async provideCodeLenses(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (!ExtensionConfig.codeLensEnabled()) return [];
    const queries = await documentQueries(document);
    if (token.isCancellationRequested) return [];
    const lenses: vscode.CodeLens[] = [];
    for (const query of queries) {
      const range = new vscode.Range(query.range.start, query.range.start);
      lenses.push(
        new vscode.CodeLens(range, {
          title: '▶ Run',
          tooltip: `Run ${query.title}`,
          command: CommandId.runQueryAtCursor,
          arguments: [document.uri, query.index],
        }),
      );
      const stored = this.outcomes.get(document.uri, query.index);
      if (stored) {
        lenses.push(
          new vscode.CodeLens(range, {
            title: describeOutcome(stored.outcome, Date.now()),
            tooltip: stored.outcome.ok ? 'Show the result' : stored.outcome.message,
            command: stored.result ? CommandId.showLastResult : '',
            arguments: [document.uri, query.index],
          }),
        );
        if (stored.outcome.ok && stored.outcome.limited) {
          const limit = raisedLimit(stored.outcome.limited);
          lenses.push(
            new vscode.CodeLens(range, {
              title: `Raise limit to ${limit}`,
              tooltip: `Write limit ${limit} into the query and run it again`,
              command: CommandId.raiseLimit,
              arguments: [document.uri, query.index],
            }),
          );
        }
      }
    }
    return lenses;
  }
}

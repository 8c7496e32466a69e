/**
 * Every `expect` clause is a test in VS Code's Test Explorer, grouped by file and query: run one, a
 * query's, a file's or all; a failed one marks its line with actual against expected. The server
 * lists and runs them (aq/listExpectations, aq/runExpectations); this only keeps the tree in step
 * with the files and reports outcomes. A query run from its CodeLens reports here too.
 */
import * as vscode from 'vscode';
import {
  ListExpectationsRequest,
  RunExpectationsRequest,
  type ExpectationRange,
  type ExpectationTestItem,
  type ExpectationTestResult,
} from '../../server/src/protocol/customRequests';
import { describeFailure } from './errorNotifications';
import type { ExtensionState } from './extensionState';

const AQ_FILES = '**/*.aq';
/** Folders whose `.aq` files are not the workspace's checks. */
const EXCLUDED = '**/{node_modules,.git}/**';

function toRange(range: ExpectationRange): vscode.Range {
  return new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
}

function queryId(uri: vscode.Uri, queryIndex: number): string {
  return `${uri.toString()}#${queryIndex}`;
}

function expectationId(uri: vscode.Uri, queryIndex: number, expectationIndex: number): string {
  return `${queryId(uri, queryIndex)}/${expectationIndex}`;
}

/** Where an item sits: its file, and its query and expectation when it is one. */
interface ItemAddress {
  uri: vscode.Uri;
  queryIndex?: number;
  expectationIndex?: number;
}

export class ExpectationTests implements vscode.Disposable {
  private readonly controller = vscode.tests.createTestController('aqExpectations', 'aq expectations');
  private readonly addresses = new WeakMap<vscode.TestItem, ItemAddress>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly pendingRefresh = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly state: ExtensionState) {
    this.controller.resolveHandler = async (item) => {
      if (!item) await this.discoverWorkspace();
    };
    this.controller.refreshHandler = async () => {
      await this.discoverWorkspace();
    };
    this.controller.createRunProfile('Run', vscode.TestRunProfileKind.Run, (request, token) => this.run(request, token), true);
    const watcher = vscode.workspace.createFileSystemWatcher(AQ_FILES);
    this.disposables.push(
      this.controller,
      watcher,
      watcher.onDidCreate((uri) => void this.refreshFile(uri)),
      watcher.onDidChange((uri) => void this.refreshFile(uri)),
      watcher.onDidDelete((uri) => this.controller.items.delete(uri.toString())),
      vscode.workspace.onDidOpenTextDocument((document) => this.scheduleRefresh(document)),
      vscode.workspace.onDidChangeTextDocument((event) => this.scheduleRefresh(event.document)),
      state.onExpectationResults(({ uri, results }) => this.recordResults(uri, results)),
    );
    for (const document of vscode.workspace.textDocuments) this.scheduleRefresh(document);
  }

  /** Lists the expectations of every `.aq` file of the workspace. */
  private async discoverWorkspace(): Promise<void> {
    const files = await vscode.workspace.findFiles(AQ_FILES, EXCLUDED);
    await Promise.all(files.map((uri) => this.refreshFile(uri)));
  }

  private scheduleRefresh(document: vscode.TextDocument): void {
    if (document.languageId !== 'aq' || document.uri.scheme === 'git') return;
    const key = document.uri.toString();
    clearTimeout(this.pendingRefresh.get(key));
    this.pendingRefresh.set(
      key,
      setTimeout(() => {
        this.pendingRefresh.delete(key);
        void this.refreshFile(document.uri);
      }, 300),
    );
  }

  /** The open document's text, or the file's from disk (the server only knows open documents). */
  private async textOf(uri: vscode.Uri): Promise<string | undefined> {
    const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
    if (open) return open.getText();
    try {
      return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      return undefined;
    }
  }

  /** Rebuilds one file's items from the server's listing; a file without expectations has none. */
  async refreshFile(uri: vscode.Uri): Promise<vscode.TestItem | undefined> {
    const text = await this.textOf(uri);
    const client = await this.state.languageClient();
    if (text === undefined || !client) {
      this.controller.items.delete(uri.toString());
      return undefined;
    }
    let listed: ExpectationTestItem[];
    try {
      listed = await client.sendRequest(ListExpectationsRequest, { uri: uri.toString(), text });
    } catch (error) {
      this.state.output.warn(`Listing the expectations of ${uri.fsPath}: ${describeFailure(error).message}`);
      return undefined;
    }
    if (listed.length === 0) {
      this.controller.items.delete(uri.toString());
      return undefined;
    }
    const file = this.controller.createTestItem(uri.toString(), vscode.workspace.asRelativePath(uri), uri);
    this.addresses.set(file, { uri });
    const queries = new Map<number, vscode.TestItem>();
    for (const entry of listed) {
      let query = queries.get(entry.queryIndex);
      if (!query) {
        query = this.controller.createTestItem(queryId(uri, entry.queryIndex), entry.query, uri);
        query.range = toRange(entry.queryRange);
        this.addresses.set(query, { uri, queryIndex: entry.queryIndex });
        queries.set(entry.queryIndex, query);
        file.children.add(query);
      }
      const item = this.controller.createTestItem(expectationId(uri, entry.queryIndex, entry.expectationIndex), `expect ${entry.expectation}`, uri);
      item.range = toRange(entry.range);
      this.addresses.set(item, { uri, queryIndex: entry.queryIndex, expectationIndex: entry.expectationIndex });
      query.children.add(item);
    }
    this.controller.items.add(file);
    return file;
  }

  private async run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('aq does not run queries in Restricted Mode: trust the workspace to run its expectations.');
      return;
    }
    if (!request.include) await this.discoverWorkspace();
    const roots = request.include ?? [...this.controller.items].map(([, item]) => item);
    const excluded = new Set(request.exclude ?? []);
    // The expectations to run, by file.
    const byFile = new Map<string, { uri: vscode.Uri; items: vscode.TestItem[] }>();
    const collect = (item: vscode.TestItem): void => {
      if (excluded.has(item)) return;
      const address = this.addresses.get(item);
      if (!address) return;
      if (address.expectationIndex !== undefined) {
        const entry = byFile.get(address.uri.toString()) ?? { uri: address.uri, items: [] };
        entry.items.push(item);
        byFile.set(address.uri.toString(), entry);
        return;
      }
      item.children.forEach(collect);
    };
    roots.forEach(collect);

    const run = this.controller.createTestRun(request);
    const cancellation = new vscode.CancellationTokenSource();
    const subscription = token.onCancellationRequested(() => cancellation.cancel());
    try {
      const client = await this.state.languageClient();
      for (const { uri, items } of byFile.values()) {
        if (token.isCancellationRequested) break;
        for (const item of items) run.started(item);
        if (!client) {
          for (const item of items) run.errored(item, new vscode.TestMessage('The aq language server is not running.'));
          continue;
        }
        const only = items.map((item) => {
          const address = this.addresses.get(item)!;
          return { queryIndex: address.queryIndex!, expectationIndex: address.expectationIndex };
        });
        const startedAt = Date.now();
        try {
          const text = await this.textOf(uri);
          const results = await client.sendRequest(RunExpectationsRequest, { uri: uri.toString(), text, only }, cancellation.token);
          this.report(run, uri, results, Date.now() - startedAt);
        } catch (error) {
          const failure = describeFailure(error);
          for (const item of items) {
            if (failure.cancelled || token.isCancellationRequested) run.skipped(item);
            else run.errored(item, new vscode.TestMessage(failure.message));
          }
        }
      }
    } finally {
      subscription.dispose();
      cancellation.dispose();
      run.end();
    }
  }

  /** Results of a query run from its CodeLens, kept in the Test Explorer like a run of its own. */
  private recordResults(uri: vscode.Uri, results: readonly ExpectationTestResult[]): void {
    if (results.length === 0) return;
    void this.refreshFile(uri).then((file) => {
      if (!file) return;
      const run = this.controller.createTestRun(new vscode.TestRunRequest([file]), undefined, false);
      this.report(run, uri, results);
      run.end();
    });
  }

  private report(run: vscode.TestRun, uri: vscode.Uri, results: readonly ExpectationTestResult[], durationMs?: number): void {
    const file = this.controller.items.get(uri.toString());
    for (const result of results) {
      const item = file?.children.get(queryId(uri, result.queryIndex))?.children.get(expectationId(uri, result.queryIndex, result.expectationIndex));
      if (!item) continue;
      const location = new vscode.Location(uri, toRange(result.range));
      if (result.status === 'passed') {
        run.passed(item, durationMs);
      } else if (result.status === 'failed') {
        const message = new vscode.TestMessage(result.message);
        message.location = location;
        message.expectedOutput = `expect ${result.expectation}`;
        if (result.observed !== undefined) message.actualOutput = result.observed;
        run.failed(item, message, durationMs);
      } else {
        const message = new vscode.TestMessage(result.message);
        message.location = location;
        run.errored(item, message, durationMs);
      }
    }
  }

  dispose(): void {
    for (const timer of this.pendingRefresh.values()) clearTimeout(timer);
    for (const disposable of this.disposables) disposable.dispose();
  }
}

/**
 * Everything the commands share: the language client (started on first need), the credential
 * store, run outcomes for the CodeLens, query history, result panels, the status bar and the
 * cancellation sources of running queries.
 */
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import { StartWatchRequest, type ExpectationTestResult } from '../../server/src/protocol/customRequests';
import { RunOutcomeStore } from './codeLens';
import { ExtensionConfig } from './config';
import { confirmCredentialHost } from './credentialConsent';
import { CredentialStore } from './credentials';
import { createLanguageClient } from './languageClient';
import { QueryHistory } from './queryHistory';
import { ResultsPanels, type ResultsPanelActions } from './results/resultsPanel';
import { SchemaDriftStatusBar, SourceStatusBar, WatchStatusBar } from './statusBar';
import { slackWebhookAnswer } from './slackWebhookStore';
import { startWatchParams, WatchedQueries } from './watchedQueries';

export class ExtensionState implements vscode.Disposable {
  readonly output = vscode.window.createOutputChannel('aq', { log: true });
  readonly credentials: CredentialStore;
  readonly outcomes = new RunOutcomeStore();
  readonly history: QueryHistory;
  readonly panels: ResultsPanels;
  readonly statusBar = new SourceStatusBar();
  readonly driftBar = new SchemaDriftStatusBar();
  /** Running queries by panel title; "Cancel" cancels one or all. */
  readonly runs = new Map<string, vscode.CancellationTokenSource>();
  /** Debugger queries the server is watching (for the CodeLens). */
  readonly watched = new WatchedQueries();
  private readonly watchStatus = new WatchStatusBar(this.watched);
  /** Records the last send of each event file could not deliver, on their lines. */
  readonly sendFailures = vscode.languages.createDiagnosticCollection('aq-send');
  private readonly sendProgress = new vscode.EventEmitter<{ uri: string; message: string; percent: number }>();
  readonly onSendProgress = this.sendProgress.event;
  private readonly expectationResults = new vscode.EventEmitter<{ uri: vscode.Uri; results: ExpectationTestResult[] }>();
  /** Fires when a query run from the editor checked its expectations, so the Test Explorer keeps the outcome. */
  readonly onExpectationResults = this.expectationResults.event;
  private client: LanguageClient | undefined;
  /** Listens for the current client's automatic restarts (one per client object). */
  private watchingRestarts: vscode.Disposable | undefined;
  private startedOnce = false;
  private starting: Promise<LanguageClient | undefined> | undefined;

  constructor(
    readonly context: vscode.ExtensionContext,
    panelActions: (state: ExtensionState) => ResultsPanelActions,
  ) {
    this.credentials = new CredentialStore(context.secrets, context.globalState, confirmCredentialHost);
    this.history = new QueryHistory(context.workspaceState, () => ExtensionConfig.queryHistorySize());
    this.panels = new ResultsPanels(context.extensionUri, panelActions(this));
  }

  /** The running client, starting it when needed; undefined (after telling the user) when it cannot start. */
  languageClient(): Promise<LanguageClient | undefined> {
    if (this.client?.isRunning()) return Promise.resolve(this.client);
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async start(): Promise<LanguageClient | undefined> {
    try {
      this.client ??= createLanguageClient(this.context, {
        credentials: this.credentials,
        onSourceStatus: (sources) => {
          this.statusBar.update(sources);
          // A schema file changed on disk (a pull in a terminal) shows at once; the server answers from memory.
          void this.driftBar.refresh();
        },
        onSendProgress: (progress) => this.sendProgress.fire(progress),
        onWatchAlert: (alert) => this.showWatchAlert(alert),
        slackWebhook: () => slackWebhookAnswer(this.context.secrets),
        outputChannel: this.output,
      });
      const client = this.client;
      if (!this.watchingRestarts) {
        // vscode-languageclient restarts a crashed server by itself; the new process watches nothing yet.
        this.watchingRestarts = client.onDidChangeState((change) => {
          if (change.newState === State.Running && this.startedOnce) void this.restoreWatches(client);
        });
      }
      await client.start();
      this.startedOnce = true;
      return client;
    } catch (error) {
      this.output.error(`The aq language server did not start: ${error instanceof Error ? error.message : String(error)}`);
      const choice = await vscode.window.showErrorMessage('The aq language server did not start. Queries cannot run until it does.', 'Show Log');
      if (choice) this.output.show();
      return undefined;
    }
  }

  private showWatchAlert(alert: { title: string; text: string; kind: string }): void {
    this.output.warn(`${alert.title}\n${alert.text}`);
    const show = alert.kind === 'recovered' ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
    void show(`aq: ${alert.title}`, { detail: alert.text }, 'Show Details').then((choice) => {
      if (choice) this.output.show(true);
    });
  }

  /** Restarts the server, e.g. after workspace trust was granted (the server reads trust at start). */
  async restartClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.watchingRestarts?.dispose();
    this.watchingRestarts = undefined;
    this.startedOnce = false;
    if (client) await client.dispose().catch(() => undefined);
    const restarted = await this.languageClient();
    if (restarted) await this.restoreWatches(restarted);
  }

  /**
   * A new server process watches nothing: start the watches the user had again. The server keeps
   * what each watch already reported on disk, so nothing is reported twice.
   */
  private async restoreWatches(client: LanguageClient): Promise<void> {
    for (const watch of this.watched.all()) {
      try {
        await client.sendRequest(StartWatchRequest, startWatchParams(watch));
      } catch (error) {
        this.watched.set(watch.uri, watch.queryIndex, undefined);
        this.output.warn(
          `Watching query ${watch.queryIndex + 1} of ${watch.uri.fsPath} could not be restarted: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  reportExpectationResults(uri: vscode.Uri, results: ExpectationTestResult[]): void {
    this.expectationResults.fire({ uri, results });
  }

  async dispose(): Promise<void> {
    for (const run of this.runs.values()) run.cancel();
    this.expectationResults.dispose();
    this.panels.dispose();
    this.statusBar.dispose();
    this.driftBar.dispose();
    this.outcomes.dispose();
    this.watchStatus.dispose();
    this.watched.dispose();
    this.watchingRestarts?.dispose();
    this.sendFailures.dispose();
    this.sendProgress.dispose();
    await this.client?.dispose().catch(() => undefined);
    this.output.dispose();
  }
}

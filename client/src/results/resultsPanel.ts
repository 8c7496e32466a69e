/**
 * One results panel per query title: a re-run updates it in place. The webview may hold hostile
 * data, so the panel treats every message from it as untrusted (parseWebviewMessage) and only
 * ever loads the bundle from dist/webview.
 */
import * as vscode from 'vscode';
import type { QueryResult } from '../../../server/src/protocol/resultModel';
import { buildResultsHtml, createNonce } from './resultsHtml';
import { parseWebviewMessage, type ExportFormat, type HostToWebviewMessage, type WebviewToHostMessage } from './resultsMessages';

/** What a panel asks the rest of the extension to do for it. */
export interface ResultsPanelActions {
  rerun(panel: ResultsPanel): void;
  cancel(panel: ResultsPanel): void;
  raiseLimit(panel: ResultsPanel): void;
  exportResult(result: QueryResult, format: ExportFormat, clean: boolean): Promise<void>;
  savePng(title: string, dataUrl: string): Promise<void>;
  log(message: string): void;
}

export class ResultsPanel implements vscode.Disposable {
  private result: QueryResult | undefined;
  private pending: HostToWebviewMessage | undefined;
  private queryText: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** Where the query lives, for Re-run. */
  source: { uri: vscode.Uri; queryIndex: number } | undefined;

  constructor(
    readonly title: string,
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly actions: ResultsPanelActions,
    onDispose: () => void,
  ) {
    const bundle = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    panel.webview.html = buildResultsHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(bundle, 'resultsApp.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(bundle, 'resultsApp.css')).toString(),
      nonce: createNonce(),
      title,
    });
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        const message = parseWebviewMessage(raw);
        if (message) void this.handle(message);
        else actions.log(`Ignored a malformed message from the results webview of '${title}'.`);
      }),
      panel.onDidDispose(() => {
        onDispose();
        this.dispose();
      }),
    );
  }

  get currentResult(): QueryResult | undefined {
    return this.result;
  }

  get isActive(): boolean {
    return this.panel.active;
  }

  reveal(): void {
    this.panel.reveal(undefined, true);
  }

  /** `queryText`: the query as it ran, shown beside the result (history entries keep theirs). */
  showResult(result: QueryResult, queryText?: string): void {
    this.result = result;
    this.queryText = queryText;
    this.post({ type: 'showResult', result, ...(queryText !== undefined ? { queryText } : {}) });
  }

  showRunning(): void {
    this.post({ type: 'running', title: this.title });
  }

  showFailure(message: string): void {
    this.post({ type: 'runFailed', message });
  }

  private post(message: HostToWebviewMessage): void {
    // A webview that is still loading drops messages; the latest one is replayed on `ready`.
    this.pending = message.type === 'showResult' ? undefined : message;
    void this.panel.webview.postMessage(message);
  }

  private async handle(message: WebviewToHostMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        if (this.result)
          void this.panel.webview.postMessage({
            type: 'showResult',
            result: this.result,
            ...(this.queryText !== undefined ? { queryText: this.queryText } : {}),
          } satisfies HostToWebviewMessage);
        if (this.pending) void this.panel.webview.postMessage(this.pending);
        return;
      case 'export':
        if (this.result) await this.actions.exportResult(this.result, message.format, message.clean);
        return;
      case 'savePng':
        await this.actions.savePng(this.title, message.dataUrl);
        return;
      case 'copy':
        await vscode.env.clipboard.writeText(message.text);
        void vscode.window.setStatusBarMessage('aq: copied to the clipboard', 2000);
        return;
      case 'rerun':
        this.actions.rerun(this);
        return;
      case 'cancel':
        this.actions.cancel(this);
        return;
      case 'raiseLimit':
        this.actions.raiseLimit(this);
        return;
    }
  }

  dispose(): void {
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    this.panel.dispose();
  }
}

/** The open panels by query title. */
export class ResultsPanels implements vscode.Disposable {
  private readonly panels = new Map<string, ResultsPanel>();
  private lastShown: ResultsPanel | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly actions: ResultsPanelActions,
  ) {}

  /** The panel for a title, created beside the editor when missing. */
  forTitle(title: string): ResultsPanel {
    let panel = this.panels.get(title);
    if (!panel) {
      const webviewPanel = vscode.window.createWebviewPanel(
        'aq.results',
        `aq: ${title}`,
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        {
          enableScripts: true,
          enableFindWidget: true,
          localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview')],
        },
      );
      const created: ResultsPanel = new ResultsPanel(title, webviewPanel, this.extensionUri, this.actions, () => {
        this.panels.delete(title);
        if (this.lastShown === created) this.lastShown = undefined;
      });
      panel = created;
      this.panels.set(title, panel);
    } else {
      panel.reveal();
    }
    this.lastShown = panel;
    return panel;
  }

  existing(title: string): ResultsPanel | undefined {
    return this.panels.get(title);
  }

  /** The focused panel, else the one shown last: what "Export Results" exports. */
  current(): ResultsPanel | undefined {
    return [...this.panels.values()].find((panel) => panel.isActive) ?? this.lastShown;
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
    this.panels.clear();
  }
}

/**
 * The status bar item for aq files: the default source, how old its schema is and Mixpanel's
 * remaining hourly query budget, from the server's SourceStatusNotification.
 */
import * as vscode from 'vscode';
import type { SourceStatus } from '../../server/src/protocol/customRequests';
import { CommandId } from './commands/commandIds';

const AGE_REFRESH_MS = 60_000;

export class SourceStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('aq.source', vscode.StatusBarAlignment.Right, 100);
  private sources: SourceStatus[] = [];
  private readonly timer = setInterval(() => this.render(), AGE_REFRESH_MS);
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.item.name = 'aq source';
    this.item.command = CommandId.selectSource;
    this.disposables.push(vscode.window.onDidChangeActiveTextEditor(() => this.render()));
    this.render();
  }

  update(sources: SourceStatus[]): void {
    this.sources = sources;
    this.render();
  }

  private render(): void {
    const language = vscode.window.activeTextEditor?.document.languageId;
    if (language !== 'aq' && language !== 'jql') {
      this.item.hide();
      return;
    }
    const current = this.sources.find((source) => source.isDefault) ?? this.sources[0];
    if (!current) {
      this.item.text = '$(database) aq: no source';
      this.item.tooltip = 'No source configured. Click to add or select one.';
      this.item.show();
      return;
    }
    const parts = [`$(database) ${current.name}`];
    if (current.schemaFetchedAt) parts.push(`schema ${age(current.schemaFetchedAt)}`);
    if (current.budgetRemaining !== undefined) parts.push(`${current.budgetRemaining} left`);
    if (current.running) parts.push(`$(sync~spin) ${current.running}`);
    this.item.text = parts.join(' · ');
    const tooltip = new vscode.MarkdownString();
    tooltip.appendText(`${current.name} (${current.kind})`);
    if (current.schemaLabel) tooltip.appendText(`\nSchema: ${current.schemaLabel}`);
    if (current.schemaFetchedAt) tooltip.appendText(`\nSchema fetched ${age(current.schemaFetchedAt)} ago`);
    if (current.budgetRemaining !== undefined) tooltip.appendText(`\nQueries left this hour: ${current.budgetRemaining}`);
    if (current.queued) tooltip.appendText(`\nQueued: ${current.queued}`);
    tooltip.appendText('\n\nClick to select another source.');
    this.item.tooltip = tooltip;
    this.item.show();
  }

  dispose(): void {
    clearInterval(this.timer);
    this.item.dispose();
    for (const disposable of this.disposables) disposable.dispose();
  }
}

function age(iso: string): string {
  const ms = Date.now() - Date.parse(iso);
  if (!Number.isFinite(ms)) return '?';
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.floor(hours / 24)} d`;
}

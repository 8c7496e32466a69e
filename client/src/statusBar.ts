/**
 * The status bar item for aq files: the default source, how old its schema is and Mixpanel's
 * remaining hourly query budget. The sources are the active file's (each file may have its own
 * aq.json), asked for whenever the file changes or the server says something changed.
 */
import * as vscode from 'vscode';
import type { SourceSchemaDrift, SourceStatus } from '../../server/src/protocol/customRequests';
import { CommandId } from './commands/commandIds';
import type { WatchedQueries } from './watchedQueries';

const AGE_REFRESH_MS = 60_000;

/** The sources the server gives a document (undefined when it cannot answer yet). */
export type SourcesOf = (uri: string | undefined) => Promise<SourceStatus[] | undefined>;

export class SourceStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('aq.source', vscode.StatusBarAlignment.Right, 100);
  private sources: SourceStatus[] = [];
  private readonly timer = setInterval(() => this.render(), AGE_REFRESH_MS);
  private readonly disposables: vscode.Disposable[] = [];
  private sourcesOf: SourcesOf | undefined;
  /** Answers to an older question must not overwrite a newer one. */
  private asked = 0;

  constructor() {
    this.item.name = 'aq source';
    this.item.command = CommandId.selectSource;
    this.disposables.push(vscode.window.onDidChangeActiveTextEditor(() => void this.refresh()));
    this.render();
  }

  /** Once the server runs: from now on the bar shows the active file's sources. */
  connect(sourcesOf: SourcesOf): void {
    this.sourcesOf = sourcesOf;
    void this.refresh();
  }

  /** The server says sources changed (schema, queue, budget); `sources` are all of them, used until the active file's arrive. */
  update(sources: SourceStatus[]): void {
    if (!this.sourcesOf) {
      this.sources = sources;
      this.render();
      return;
    }
    void this.refresh();
  }

  private async refresh(): Promise<void> {
    if (!this.sourcesOf) return this.render();
    const ticket = ++this.asked;
    const sources = await this.sourcesOf(vscode.window.activeTextEditor?.document.uri.toString()).catch(() => undefined);
    if (ticket !== this.asked) return;
    if (sources) this.sources = sources;
    this.render();
  }

  private render(): void {
    const language = vscode.window.activeTextEditor?.document.languageId;
    if (language !== 'aq' && language !== 'jql') {
      this.item.hide();
      return;
    }
    const queryable = this.sources.filter((source) => source.kind !== 'mparticle');
    const current = queryable.find((source) => source.isDefault) ?? queryable[0];
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

/**
 * "$(eye) N watching" while debugger queries are watched, whatever file is open: a watch runs in the
 * background and should not be forgotten. Clicking it lists them to open or stop.
 */
export class WatchStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('aq.watches', vscode.StatusBarAlignment.Right, 99);
  private readonly listener: vscode.Disposable;

  constructor(private readonly watched: WatchedQueries) {
    this.item.name = 'aq watches';
    this.item.command = CommandId.showWatches;
    this.listener = watched.onDidChange(() => this.render());
    this.render();
  }

  private render(): void {
    const count = this.watched.all().length;
    if (count === 0) {
      this.item.hide();
      return;
    }
    this.item.text = `$(eye) ${count} watching`;
    this.item.tooltip = `aq is polling ${count === 1 ? 'a debugger query' : `${count} debugger queries`} for broken events. Click to open or stop one.`;
    this.item.show();
  }

  dispose(): void {
    this.listener.dispose();
    this.item.dispose();
  }
}

/** The drift of the active file's sources (undefined when the server cannot answer yet). */
export type DriftOf = (uri: string | undefined) => Promise<SourceSchemaDrift[] | undefined>;

/** How often the bar asks again while a file stays open; the server compares at most this often too. */
const DRIFT_REFRESH_MS = 10 * 60 * 1000;

/**
 * "$(warning) schema drift: 2 events, 3 properties" while a source of the active file differs from
 * its committed schemaFile. It asks when the active file changes and every 10 minutes, never while
 * typing; the server answers from memory in between. Clicking it shows the drift.
 */
export class SchemaDriftStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('aq.schemaDrift', vscode.StatusBarAlignment.Right, 98);
  private readonly timer = setInterval(() => void this.refresh(), DRIFT_REFRESH_MS);
  private readonly listener: vscode.Disposable;
  private driftOf: DriftOf | undefined;
  private asked = 0;
  /** The last answer, for the commands (which source drifted, its text). */
  drifts: SourceSchemaDrift[] = [];

  constructor() {
    this.item.name = 'aq schema drift';
    this.item.command = CommandId.showSchemaDrift;
    this.listener = vscode.window.onDidChangeActiveTextEditor(() => void this.refresh());
  }

  connect(driftOf: DriftOf): void {
    this.driftOf = driftOf;
    void this.refresh();
  }

  /** Shows an answer the caller already has (after Update Schema Snapshot) without asking again. */
  replace(drift: SourceSchemaDrift): void {
    this.drifts = [...this.drifts.filter((known) => known.source !== drift.source || known.schemaFile !== drift.schemaFile), drift];
    this.render();
  }

  async refresh(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!this.driftOf || !editor || (editor.document.languageId !== 'aq' && editor.document.languageId !== 'jql')) {
      this.item.hide();
      return;
    }
    const ticket = ++this.asked;
    const drifts = await this.driftOf(editor.document.uri.toString()).catch(() => undefined);
    if (ticket !== this.asked) return;
    if (drifts) this.drifts = drifts;
    this.render();
  }

  private render(): void {
    const drifting = this.drifts.filter((drift) => drift.events + drift.properties > 0);
    if (drifting.length === 0) {
      this.item.hide();
      return;
    }
    const events = drifting.reduce((sum, drift) => sum + drift.events, 0);
    const properties = drifting.reduce((sum, drift) => sum + drift.properties, 0);
    const counts = [events > 0 ? counted(events, 'event', 'events') : '', properties > 0 ? counted(properties, 'property', 'properties') : ''].filter(Boolean);
    this.item.text = `$(warning) schema drift: ${counts.join(', ')}`;
    const tooltip = new vscode.MarkdownString();
    for (const drift of drifting) {
      tooltip.appendText(
        `${drift.source}: ${vscode.workspace.asRelativePath(drift.schemaFile)} differs from the live schema (${drift.liveLabel ?? 'live'}): ${counted(drift.events, 'event', 'events')}, ${counted(drift.properties, 'property', 'properties')}.\n`,
      );
    }
    tooltip.appendText('\nClick to show the drift; "aq: Update Schema Snapshot" rewrites the file.');
    this.item.tooltip = tooltip;
    this.item.show();
  }

  dispose(): void {
    clearInterval(this.timer);
    this.listener.dispose();
    this.item.dispose();
  }
}

function counted(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

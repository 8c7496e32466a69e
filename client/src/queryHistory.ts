/**
 * The last runs of this workspace (workspaceState), newest first, for "Open Query History". Small
 * results are kept so a pick re-opens them without a new query; large ones are re-run instead.
 */
import * as vscode from 'vscode';
import type { QueryResult } from '../../server/src/protocol/resultModel';

const HISTORY_KEY = 'aq.queryHistory';
/** Bigger results are not kept in workspaceState (VS Code keeps it in memory and on disk). */
const MAX_STORED_RESULT_CHARS = 512 * 1024;

export interface HistoryEntry {
  title: string;
  uri: string;
  queryIndex: number;
  /** ISO time the run finished. */
  ranAt: string;
  summary: string;
  sourceName: string;
  /** The query's text when it ran: the file may have changed since. */
  queryText?: string;
  result?: QueryResult;
}

export class QueryHistory {
  constructor(
    private readonly state: vscode.Memento,
    private readonly maxEntries: () => number,
  ) {}

  entries(): HistoryEntry[] {
    const value = this.state.get<unknown>(HISTORY_KEY);
    return Array.isArray(value) ? value.filter(isHistoryEntry) : [];
  }

  async add(entry: HistoryEntry): Promise<void> {
    const kept = entry.result && JSON.stringify(entry.result).length <= MAX_STORED_RESULT_CHARS ? entry : { ...entry, result: undefined };
    const others = this.entries().filter(
      (existing) => !(existing.uri === entry.uri && existing.queryIndex === entry.queryIndex && existing.ranAt === entry.ranAt),
    );
    await this.state.update(HISTORY_KEY, [kept, ...others].slice(0, this.maxEntries()));
  }

  async clear(): Promise<void> {
    await this.state.update(HISTORY_KEY, []);
  }
}

function isHistoryEntry(value: unknown): value is HistoryEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Partial<HistoryEntry>;
  return typeof entry.title === 'string' && typeof entry.uri === 'string' && typeof entry.queryIndex === 'number' && typeof entry.ranAt === 'string';
}

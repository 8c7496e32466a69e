/**
 * The messages between the results panel (extension host) and its webview, both directions.
 * Plain JSON through `postMessage`. The webview renders untrusted analytics data, so the host
 * treats everything it receives as untrusted too: `parseWebviewMessage` checks every field before
 * the host acts on it. No `vscode` import here: the webview bundle includes this file.
 */
import type { QueryResult } from '../../../server/src/protocol/resultModel';

/** Export formats the panel offers; the same names as ExportParams.format. */
export type ExportFormat = 'csv' | 'cyfe-csv' | 'json';

/** Host → webview: render this result (a re-run replaces the previous one in place). */
export interface ShowResultMessage {
  type: 'showResult';
  result: QueryResult;
  /** The query's text as it ran. */
  queryText?: string;
}

/** Host → webview: a run of this panel's query started; the panel shows it is working. */
export interface RunningMessage {
  type: 'running';
  title: string;
}

/** Host → webview: the run failed; the last result stays on screen under the message. */
export interface RunFailedMessage {
  type: 'runFailed';
  message: string;
}

export type HostToWebviewMessage = ShowResultMessage | RunningMessage | RunFailedMessage;

/** Webview → host: the page has loaded and wants the current result. */
export interface ReadyMessage {
  type: 'ready';
}

/** Webview → host: export the shown result; `clean` is the panel's toggle. */
export interface ExportMessage {
  type: 'export';
  format: ExportFormat;
  clean: boolean;
}

/** Webview → host: save the chart as a PNG (`dataUrl` from ECharts' getDataURL). */
export interface SavePngMessage {
  type: 'savePng';
  dataUrl: string;
}

/** Webview → host: put text (TSV of a cell, a row or the whole table) on the clipboard. */
export interface CopyMessage {
  type: 'copy';
  text: string;
}

/** Webview → host: run the panel's query again / cancel the running one. */
export interface RerunMessage {
  type: 'rerun';
}
export interface CancelMessage {
  type: 'cancel';
}
/** Webview → host: write a `limit` that shows every segment into the query, and run it again. */
export interface RaiseLimitMessage {
  type: 'raiseLimit';
}

export type WebviewToHostMessage = ReadyMessage | ExportMessage | SavePngMessage | CopyMessage | RerunMessage | CancelMessage | RaiseLimitMessage;

/** Bounds on what the webview may hand the host: a PNG of a large chart, the TSV of 100k rows. */
export const MAX_PNG_DATA_URL_LENGTH = 40 * 1024 * 1024;
export const MAX_COPY_TEXT_LENGTH = 64 * 1024 * 1024;

const PNG_DATA_URL = /^data:image\/png;base64,[A-Za-z0-9+/]+={0,2}$/;
const EXPORT_FORMATS: readonly string[] = ['csv', 'cyfe-csv', 'json'];

/** The message if it is one the host understands with well-formed fields; undefined otherwise. */
export function parseWebviewMessage(value: unknown): WebviewToHostMessage | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const message = value as Record<string, unknown>;
  switch (message.type) {
    case 'ready':
    case 'rerun':
    case 'cancel':
    case 'raiseLimit':
      return { type: message.type };
    case 'export':
      if (typeof message.format !== 'string' || !EXPORT_FORMATS.includes(message.format) || typeof message.clean !== 'boolean') return undefined;
      return { type: 'export', format: message.format as ExportFormat, clean: message.clean };
    case 'savePng':
      if (typeof message.dataUrl !== 'string' || message.dataUrl.length > MAX_PNG_DATA_URL_LENGTH || !PNG_DATA_URL.test(message.dataUrl)) return undefined;
      return { type: 'savePng', dataUrl: message.dataUrl };
    case 'copy':
      if (typeof message.text !== 'string' || message.text.length > MAX_COPY_TEXT_LENGTH) return undefined;
      return { type: 'copy', text: message.text };
    default:
      return undefined;
  }
}

/** Webview side: the message if it is one the host sends; guards against other frames' messages. */
export function parseHostMessage(value: unknown): HostToWebviewMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const message = value as Record<string, unknown>;
  switch (message.type) {
    case 'showResult':
      if (!isQueryResultLike(message.result)) return undefined;
      return typeof message.queryText === 'string'
        ? { type: 'showResult', result: message.result, queryText: message.queryText }
        : { type: 'showResult', result: message.result };
    case 'running':
      return typeof message.title === 'string' ? { type: 'running', title: message.title } : undefined;
    case 'runFailed':
      return typeof message.message === 'string' ? { type: 'runFailed', message: message.message } : undefined;
    default:
      return undefined;
  }
}

const DATA_KINDS: readonly string[] = ['series', 'funnel', 'retention', 'rows', 'debugger'];

function isQueryResultLike(value: unknown): value is QueryResult {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as Partial<QueryResult>;
  return (
    typeof result.title === 'string' &&
    typeof result.data === 'object' &&
    result.data !== null &&
    DATA_KINDS.includes((result.data as { kind?: unknown }).kind as string) &&
    typeof result.meta === 'object' &&
    result.meta !== null
  );
}

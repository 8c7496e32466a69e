/**
 * The custom LSP messages between the aq client and server, declared once and imported by both
 * (the client bundles this file through esbuild). Each message says who sends it, to whom, when.
 */
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import type { QueryResult } from './resultModel';

export type { QueryResult } from './resultModel';

/** Error codes carried by ResponseError from aq requests (outside JSON-RPC's reserved range). */
export const AqErrorCode = {
  backend: -32900,
} as const;

/** `data` of a ResponseError with code `AqErrorCode.backend`. */
export interface BackendErrorData {
  kind: string;
  status?: number;
  retryAfterMs?: number;
  hint?: string;
  /** The source the failing query ran on, so the client can offer Set Credentials for it. */
  sourceName?: string;
  sourceKind?: string;
}

export interface RunQueryParams {
  uri: string;
  /** 0-based index of the query in the document (document symbols are in the same order). */
  queryIndex: number;
  /** Ignore a cached answer and ask the backend again. */
  bypassCache?: boolean;
}

/**
 * Client → server, when the user runs a query (CodeLens, command, keybinding). Cancelling the
 * request aborts the HTTP call. Fails with ResponseError(AqErrorCode.backend, message, BackendErrorData).
 */
export const RunQueryRequest = new RequestType<RunQueryParams, QueryResult, BackendErrorData>('aq/runQuery');

export interface GeneratedRequestResult {
  /** The request as a curl command with every secret masked as `****`. */
  curl?: string;
  /** The JQL script an ad-hoc funnel compiles to. */
  jql?: string;
  /** Why nothing can be shown (e.g. a local source). */
  note?: string;
}

/** Client → server, for "Show Generated Request" and "Show Generated JQL". */
export const GeneratedRequestRequest = new RequestType<RunQueryParams, GeneratedRequestResult, void>('aq/generatedRequest');

export interface CredentialsParams {
  sourceName: string;
  sourceKind: 'mixpanel' | 'piwik';
  /** The host the secret will be sent to; the client checks it against the host it was stored for. */
  host: string;
}

export interface CredentialsResult {
  username?: string;
  secret?: string;
  clientId?: string;
  clientSecret?: string;
  /** Set when the stored secret was entered for another host and the user has not confirmed this one. */
  hostMismatch?: boolean;
}

/**
 * Server → client, just before a request to a remote source. The client answers from
 * SecretStorage (or null when nothing is stored); the server keeps the answer only for that request.
 */
export const CredentialsRequest = new RequestType<CredentialsParams, CredentialsResult | null, void>('aq/credentials');

export interface SourceStatus {
  name: string;
  kind: 'mixpanel' | 'piwik' | 'local';
  isDefault: boolean;
  /** ISO time the schema in use was fetched or derived; undefined when there is none yet. */
  schemaFetchedAt?: string;
  schemaLabel?: string;
  /** Mixpanel's hourly query budget left, as the server counts it. */
  budgetRemaining?: number;
  queued?: number;
  running?: number;
}

/** Server → client, whenever a source's schema, queue or budget changes (status bar). */
export const SourceStatusNotification = new NotificationType<{ sources: SourceStatus[] }>('aq/sourceStatus');

/** Client → server, for "Select Source" and the status bar. */
export const ListSourcesRequest = new RequestType<{ uri?: string }, SourceStatus[], void>('aq/listSources');

/** Client → server, for "Refresh Schema". Resolves when the new schema is in use. */
export const RefreshSchemaRequest = new RequestType<{ sourceName?: string }, SourceStatus[], BackendErrorData>('aq/refreshSchema');

export interface ExportParams {
  result: QueryResult;
  format: 'csv' | 'cyfe-csv' | 'json';
  /** The panel's `clean` toggle: drop "", "undefined" and null segments before exporting. */
  clean?: boolean;
}

/** Client → server, for "Export Results": the file text in the chosen layout. */
export const ExportResultRequest = new RequestType<ExportParams, { text: string }, void>('aq/exportResult');

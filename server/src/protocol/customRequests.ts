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
  sourceKind: 'mixpanel' | 'piwik' | 'mparticle';
  /** The host the secret will be sent to; the client checks it against the host it was stored for. */
  host: string;
  /** The origin (scheme, host, port) it goes to, for the shared host rule (credentialHostRule.ts). */
  url?: string;
  /** True when that origin is the user's machine setting aq.baseUrlOverrides, not the workspace's aq.json. */
  fromUserOverride?: boolean;
}

/**
 * The secrets of one source. Mixpanel: service account `username` + `secret`, or a legacy project
 * `secret` alone. Piwik PRO: `clientId` + `clientSecret`. mParticle (sending only): `apiKey` + `apiSecret`.
 */
export interface SourceCredentials {
  username?: string;
  secret?: string;
  clientId?: string;
  clientSecret?: string;
  apiKey?: string;
  apiSecret?: string;
}

/** Every field of SourceCredentials: what is copied between the store, the wire and a request, and nothing else. */
export const CREDENTIAL_FIELDS = ['username', 'secret', 'clientId', 'clientSecret', 'apiKey', 'apiSecret'] as const satisfies ReadonlyArray<
  keyof SourceCredentials
>;

export interface CredentialsResult extends SourceCredentials {
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
  /** `mparticle` sources receive events ("Send Events") and run no queries. */
  kind: 'mixpanel' | 'piwik' | 'local' | 'mparticle';
  isDefault: boolean;
  /** The host its secrets go to, when configuration fixes it (an mParticle pod, or a base-URL override). */
  host?: string;
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

export interface SendEventsParams {
  /** An open event file (`*.events.ndjson`, `*.events.json`, `*.mparticle.json`); its editor text is sent. */
  uri: string;
  /** The source of aq.json the events go to: a Mixpanel source (event files) or an mParticle input (`*.mparticle.json`). */
  sourceName: string;
  /** Skip the requests an interrupted earlier send of the same file already delivered. */
  resume?: boolean;
  /** Plan and count, send nothing. */
  dryRun?: boolean;
}

export interface SendEventsResult {
  sent: number;
  skipped: number;
  /** Records the API refused, by the 1-based line of the file they came from. */
  failedRecords: Array<{ line: number; message: string }>;
  /** One or two sentences for the editor's message. */
  summary: string;
}

/**
 * Client → server, for "Send Events". Progress arrives as `aq/sendProgress`; cancelling the request
 * stops the send (it can be resumed). Fails with ResponseError(AqErrorCode.backend, ...) for bad
 * files, unknown sources and missing credentials.
 */
export const SendEventsRequest = new RequestType<SendEventsParams, SendEventsResult, BackendErrorData>('aq/sendEvents');

export interface PullEventsParams {
  /** The document the command was run from: its aq.json names the source. */
  uri?: string;
  /** A Mixpanel source. */
  sourceName: string;
  /** `YYYY-MM-DD`, inclusive. */
  from: string;
  to: string;
  /** Only these events (none: all). */
  events?: string[];
  where?: string;
  /** Pull complete days again. */
  force?: boolean;
  /** Also pull user profiles. */
  profiles?: boolean;
  /** The key progress notifications (`aq/sendProgress`) carry as `uri`. */
  progressKey: string;
}

export interface PullEventsResult {
  /** True when every day (and the profiles, when asked) arrived. */
  complete: boolean;
  pulledDays: number;
  skippedDays: number;
  events: number;
  /** The folder, absolute, and as aq.json would name it (relative to its folder when inside). */
  outputDir: string;
  sourcePath: string;
  /** One or two sentences for the editor's message. */
  summary: string;
}

/**
 * Client → server, for "Pull Events to Local Source…": the Raw Export API day by day into
 * `data/<source>/YYYY-MM-DD.ndjson.gz` next to aq.json. Progress arrives as `aq/sendProgress` with
 * `uri` = `progressKey`; cancelling the request stops after keeping the complete days.
 */
export const PullEventsRequest = new RequestType<PullEventsParams, PullEventsResult, BackendErrorData>('aq/pullEvents');

/** Client → server, after a pull: adds `{ "kind": "local", "path" }` to aq.json, keeping its formatting. */
export const AddLocalSourceRequest = new RequestType<
  { uri?: string; name: string; path: string; timezoneOf?: string },
  { added: boolean; message: string },
  BackendErrorData
>('aq/addLocalSource');

/** Server → client, while a send (or a pull) runs. */
export const SendProgressNotification = new NotificationType<{ uri: string; message: string; percent: number }>('aq/sendProgress');

export interface WatchParams {
  uri: string;
  /** 0-based index of a `debugger` query in the document. */
  queryIndex: number;
}

export interface StartWatchParams extends WatchParams {
  /** Minutes between polls; fractions down to 0.01 are accepted (tests). Default 5. */
  everyMinutes?: number;
  /** More new events than this in one poll become one summary alert (`aq.watch.maxAlertsPerPoll`). Default 10. */
  maxAlertsPerPoll?: number;
}

/** Client → server, "Start Watching": polls the query until stopped, the document closes or the server shuts down. */
export const StartWatchRequest = new RequestType<StartWatchParams, { watching: true }, BackendErrorData>('aq/startWatch');

/** Client → server, "Stop Watching". `stopped` is false when that query was not being watched. */
export const StopWatchRequest = new RequestType<WatchParams, { stopped: boolean }, void>('aq/stopWatch');

/** Server → client, one per new broken event (or summary, failed poll, recovery) of a watch. */
export const WatchAlertNotification = new NotificationType<{ uri: string; queryIndex: number; title: string; text: string; kind: string }>('aq/watchAlert');

/**
 * Server → client, when a watch alert is about to be delivered: the Slack incoming-webhook URL from
 * SecretStorage, or null when none is set. The server never logs it.
 */
export const SlackWebhookRequest = new RequestType<Record<string, never>, { url: string } | null, void>('aq/slackWebhook');

/** Which document's expectations: an open document by its uri, or a closed file's `text` read by the client. */
export interface ExpectationsParams {
  uri: string;
  /** The file's text when it is not open in the editor (the server only knows open documents). */
  text?: string;
}

/** A line/character range, zero-based, as LSP counts. */
export interface ExpectationRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

/** One `expect` clause of a document, as the Test Explorer lists it. */
export interface ExpectationTestItem {
  /** The query's title, or `Query N`. */
  query: string;
  queryIndex: number;
  /** 0-based position among its query's expectations. */
  expectationIndex: number;
  /** The text after `expect`, as written. */
  expectation: string;
  /** The whole `expect` clause. */
  range: ExpectationRange;
  /** The query's head line. */
  queryRange: ExpectationRange;
}

export interface ExpectationTestResult extends ExpectationTestItem {
  status: 'passed' | 'failed' | 'error';
  /** The measured number (a share as a fraction); null when it could not be measured. */
  actual: number | null;
  /** `total 812, expected > 1,000`, or why the expectation could not be checked. */
  message: string;
  /** What was measured, without the expectation: `total 812`. */
  observed?: string;
}

/** Client → server: the expectations of a document, without running anything. */
export const ListExpectationsRequest = new RequestType<ExpectationsParams, ExpectationTestItem[], void>('aq/listExpectations');

export interface RunExpectationsParams extends ExpectationsParams {
  /** Only these (a query's every expectation when `expectationIndex` is absent); default all. */
  only?: Array<{ queryIndex: number; expectationIndex?: number }>;
  bypassCache?: boolean;
}

/**
 * Client → server, when the Test Explorer runs expectations or a query with expectations ran:
 * runs the queries concerned and checks each expectation. A query that fails is an `error` result,
 * not a failed request. Cancelling aborts the runs.
 */
export const RunExpectationsRequest = new RequestType<RunExpectationsParams, ExpectationTestResult[], BackendErrorData>('aq/runExpectations');

/** One event property in a drift report. */
export interface DriftPropertyRef {
  event: string;
  property: string;
}

/** What differs between a source's committed `schemaFile` and its live schema (the JSON of `aq schema diff`). */
export interface SchemaDriftReport {
  source: string;
  addedEvents: string[];
  removedEvents: string[];
  addedProperties: DriftPropertyRef[];
  removedProperties: DriftPropertyRef[];
  changedTypes: Array<DriftPropertyRef & { from: string; to: string }>;
}

/** The last comparison of one source that has a `schemaFile`. */
export interface SourceSchemaDrift {
  source: string;
  /** The committed Lexicon file, absolute. */
  schemaFile: string;
  /** ISO time the live schema was compared. */
  checkedAt: string;
  /** Where the live schema came from ("derived from shop.ndjson.gz", "Lexicon (project 123)"). */
  liveLabel?: string;
  /** Absent when the comparison could not be made (see `error`). */
  drift?: SchemaDriftReport;
  /** How many events and properties differ (0 and 0: no drift). */
  events: number;
  properties: number;
  /** The drift as a person reads it: `+` / `-` / `~` lines grouped by event; empty without drift. */
  text: string;
  /** Why the live schema could not be compared (no credentials, no Lexicon access, budget kept for queries…). */
  error?: string;
}

export interface SchemaDriftParams {
  /** The document whose aq.json names the sources; without one, the first folder's. */
  uri?: string;
  /** Only this source; otherwise every source of the document with a `schemaFile`. */
  sourceName?: string;
}

/**
 * Client → server, for the status bar and "Show Schema Drift": each source's comparison, made in the
 * background at most every 10 minutes per source (and within the query budget) and answered from
 * memory in between, so asking often costs nothing.
 */
export const SchemaDriftRequest = new RequestType<SchemaDriftParams, SourceSchemaDrift[], BackendErrorData>('aq/schemaDrift');

/** Client → server, for "Update Schema Snapshot" (after the user confirmed): rewrites the source's `schemaFile` with its live schema. */
export const UpdateSchemaSnapshotRequest = new RequestType<{ uri?: string; sourceName: string }, SourceSchemaDrift, BackendErrorData>(
  'aq/updateSchemaSnapshot',
);

/**
 * The one context every LSP handler works on: what the session knows (documents, their parses,
 * the engines, settings and trust) and what it can ask the editor. Handlers take it as an
 * interface so a test can hand them a small fake instead of a running server.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ChunkedDocument, PropertyValueTarget, SchemaLookup } from '../languageService/analyticsLanguageService';
import type { AnalyticsSchema, QueryDiagnostic, TextSpan, ValidationOptions } from '../languageService/analyticsTypes';
import type { AqDocument } from '../languageService/parser/queryAst';
import type { SourceStatus } from '../protocol/customRequests';
import type { CredentialedSource, Credentials } from '../queryEngine/sourceConfig';
import type { QueryEngine } from '../queryEngine/queryEngineTypes';
import type { CredentialDestination } from '../protocol/credentialHostRule';

export interface ServerLog {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
}

/** What the language features (completion, hover, diagnostics, …) read. */
export interface LanguageFeatureContext {
  document(uri: string): TextDocument | undefined;
  /** The cached parse of an open `.aq` document. */
  model(document: TextDocument): AqDocument;
  /** The same parse chunk by chunk, as the incremental parser keeps it: what keystroke-time features read. */
  chunks(document: TextDocument): ChunkedDocument;
  /** Schemas by the `use` line of a query, for the document at `path`. */
  schemaLookup(path: string | undefined): SchemaLookup;
  /** The schema `.jql` scripts and event files are checked against (the default source's). */
  jqlSchema(path: string | undefined): AnalyticsSchema | undefined;
  validationOptions(path: string | undefined): ValidationOptions;
  /** Settles once the schema of the query at the position is loaded (or failed to load). */
  schemaReadyAt(uri: string, position: { line: number; character: number }): Promise<void>;
  /** Whether the editor takes one edit range for a whole completion list. */
  canDefaultEditRange(): boolean;
  /** Values the source holds for an event property (cached; aborted with `signal`), for value completion. */
  propertyValues?(path: string | undefined, target: PropertyValueTarget, signal: AbortSignal): Promise<string[] | undefined>;
  /** What an API found in the document's queries when they last ran, on the clauses concerned. */
  runDiagnostics?(document: TextDocument): QueryDiagnostic[];
  log: ServerLog;
}

/** What aq's own requests (run, send, watch, …) need besides the language features. */
export interface ServerContext extends LanguageFeatureContext {
  /** The engine, or a ResponseError thrown when the server is not initialized yet. */
  engine(): QueryEngine;
  /** The status of the sources the document at `path` can use (every source in use without one); none before initialize. */
  sourceStatus(path: string | undefined): SourceStatus[];
  rootDir(): string | undefined;
  /** `aq.timezone`, for sources that set none. */
  timezone(): string | undefined;
  trusted(): boolean;
  /** Settles once the editor's settings are applied; whatever calls a source waits for it so it uses the configured URLs. */
  settingsReady(): Promise<void>;
  /** `aq.baseUrlOverrides[name]` as currently applied. */
  baseUrlOverride(sourceName: string): string | undefined;
  /** Asks the editor for one request's secrets; refuses in an untrusted workspace. */
  credentialsFor(source: CredentialedSource, host: string, destination?: CredentialDestination): Promise<Credentials | undefined>;
  askSlackWebhook(): Promise<{ url: string } | null>;
  sendProgress(params: { uri: string; message: string; percent: number }): void;
  sendAlert(params: { uri: string; queryIndex: number; title: string; text: string; kind: string }): void;
  /** Records what the API said about a query's clause when it ran (undefined: it ran fine), for `runDiagnostics`. */
  recordRunProblem?(uri: string, queryIndex: number, problem: { span: TextSpan; message: string } | undefined): void;
  /** The cache folder: each watch keeps what it reported there (so a restart reports nothing twice), and each send its progress. */
  cacheDir: string;
}

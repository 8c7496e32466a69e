/**
 * The work behind the custom aq requests (run a query, show its request, refresh a schema,
 * export a result): turning an open document's query into a spec, asking the editor for
 * credentials just in time, and mapping every BackendError to the ResponseError the client turns
 * into a message with a fix button.
 */
import { join } from 'node:path';
import { ResponseError } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { sourceRefOf } from '../languageService/analyticsLanguageService';
import { buildQuerySpec } from '../languageService/buildQuerySpec';
import type { AqDocument } from '../languageService/parser/queryAst';
import type { QuerySpec } from '../languageService/querySpec';
import {
  AqErrorCode,
  CREDENTIAL_FIELDS,
  type BackendErrorData,
  type CredentialsParams,
  type CredentialsResult,
  type ExportParams,
  type GeneratedRequestResult,
  type RunQueryParams,
  type SourceStatus,
} from '../protocol/customRequests';
import type { QueryResult } from '../protocol/resultModel';
import type { CredentialedSource, Credentials, SourceConfig } from '../queryEngine/analyticsBackend';
import { BackendError, isBackendError } from '../queryEngine/backendErrors';
import type { QueryEngine } from '../queryEngine/queryEngineTypes';
import { cleanResult } from '../results/cleanSegments';
import { formatResultCsv } from '../results/resultCsv';
import { formatError } from './runSafe';
import { documentPathOf } from './documentPath';
import type { CredentialDestination } from '../protocol/credentialHostRule';

/** What the request handlers need from the server; functions, because the values change at runtime. */
export interface QueryRequestContext {
  /** The engine, or a ResponseError thrown when the server is not initialized yet. */
  engine(): QueryEngine;
  document(uri: string): TextDocument | undefined;
  model(document: TextDocument): AqDocument;
  rootDir(): string | undefined;
  /** `aq.timezone`, for sources that set none. */
  timezone(): string | undefined;
  trusted(): boolean;
  /** Sends `aq/credentials` to the editor. */
  askCredentials(params: CredentialsParams): Promise<CredentialsResult | null>;
  log: { warn(message: string): void };
}

export interface QueryRequests {
  /** Asks the editor for one request's secrets; refuses in an untrusted workspace. */
  credentialsFor(source: CredentialedSource, host: string, destination?: CredentialDestination): Promise<Credentials | undefined>;
  runQuery(params: RunQueryParams, signal: AbortSignal): Promise<QueryResult>;
  generatedRequest(params: RunQueryParams): Promise<GeneratedRequestResult>;
  refreshSchema(sourceName: string | undefined, signal: AbortSignal): Promise<SourceStatus[]>;
  exportResult(params: ExportParams): { text: string };
}

export const RESTRICTED_MODE_MESSAGE = 'This workspace is in Restricted Mode: aq sends no queries or credentials to remote sources until you trust the workspace.';

export function backendResponseError(error: BackendError, source?: CredentialedSource): ResponseError<BackendErrorData> {
  const data: BackendErrorData = { kind: error.kind };
  if (error.details.status !== undefined) data.status = error.details.status;
  if (error.details.retryAfterMs !== undefined) data.retryAfterMs = error.details.retryAfterMs;
  if (error.details.hint !== undefined) data.hint = error.details.hint;
  if (source) {
    data.sourceName = source.name;
    data.sourceKind = source.kind;
  }
  return new ResponseError(AqErrorCode.backend, error.message, data);
}

function badRequest(message: string): ResponseError<BackendErrorData> {
  return new ResponseError(AqErrorCode.backend, message, { kind: 'badRequest' });
}

async function mapBackendErrors<T>(work: () => Promise<T>, source?: SourceConfig): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isBackendError(error)) throw backendResponseError(error, source);
    throw error;
  }
}

export function createQueryRequests(context: QueryRequestContext): QueryRequests {
  async function credentialsFor(source: CredentialedSource, host: string, destination?: CredentialDestination): Promise<Credentials | undefined> {
    if (source.kind === 'local') return undefined;
    if (!context.trusted()) throw new BackendError('config', RESTRICTED_MODE_MESSAGE);
    let answer: CredentialsResult | null;
    try {
      const where = destination ? { url: destination.url, fromUserOverride: destination.fromUserOverride } : {};
      answer = await context.askCredentials({ sourceName: source.name, sourceKind: source.kind, host, ...where });
    } catch (error) {
      context.log.warn(formatError(`aq: could not ask the editor for the credentials of "${source.name}"`, error));
      return undefined;
    }
    // A secret stored for another host is never sent here; the backend then reports missing credentials.
    if (!answer || answer.hostMismatch) return undefined;
    const credentials: Credentials = {};
    for (const field of CREDENTIAL_FIELDS) if (answer[field]) credentials[field] = answer[field];
    return credentials;
  }

  /** Builds the spec of one query of an open document; throws ResponseErrors the client shows as is. */
  function querySpecFor(params: RunQueryParams): { spec: QuerySpec; documentPath: string; source: SourceConfig | undefined } {
    const engine = context.engine();
    const document = context.document(params.uri);
    if (!document) throw badRequest('The query file is not open in the editor; open it and run the query again.');
    const block = context.model(document).queries[params.queryIndex];
    if (!block) throw badRequest(`The file has no query number ${params.queryIndex + 1} any more; it changed while the run was requested.`);
    const documentPath = documentPathOf(document.uri) ?? join(context.rootDir() ?? process.cwd(), 'untitled.aq');
    const source = engine.resolveSource(sourceRefOf(block.source) ?? engine.defaultSource(documentPath), documentPath);
    const timezone = (source && 'timezone' in source ? source.timezone : undefined) ?? context.timezone();
    const built = buildQuerySpec(block, { now: new Date(), timezone, defaultSource: engine.defaultSource(documentPath) });
    if (!built.ok) throw badRequest(built.errors.map((error) => error.message).join('\n'));
    return { spec: built.spec, documentPath, source };
  }

  return {
    credentialsFor,
    async runQuery(params, signal) {
      const { spec, documentPath, source } = querySpecFor(params);
      return mapBackendErrors(
        () => context.engine().run(spec, documentPath, { signal, getCredentials: credentialsFor, bypassCache: params.bypassCache === true }),
        source,
      );
    },
    async generatedRequest(params) {
      const { spec, documentPath, source } = querySpecFor(params);
      return mapBackendErrors(() => context.engine().generatedRequest(spec, documentPath), source);
    },
    refreshSchema(sourceName, signal) {
      return mapBackendErrors(() => context.engine().refreshSchema(sourceName, { signal, getCredentials: credentialsFor }));
    },
    exportResult(params) {
      const result = params.clean && !params.result.cleaned ? cleanResult(params.result) : params.result;
      if (params.format === 'json') return { text: `${JSON.stringify(result, null, 2)}\n` };
      return { text: formatResultCsv(result, params.format === 'cyfe-csv' ? 'cyfe' : 'plain') };
    },
  };
}

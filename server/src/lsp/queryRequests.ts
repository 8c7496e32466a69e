/**
 * The work behind the custom aq requests (run a query, show its request, refresh a schema,
 * export a result): turning an open document's query into a spec, running it with credentials the
 * editor gives just in time, and mapping every BackendError to the ResponseError the client turns
 * into a message with a fix button.
 */
import { join } from 'node:path';
import { ResponseError } from 'vscode-languageserver';
import { sourceRefOf } from '../languageService/analyticsLanguageService';
import { buildQuerySpec } from '../queryContract/buildQuerySpec';
import type { QuerySpec } from '../queryContract/querySpec';
import {
  AqErrorCode,
  type BackendErrorData,
  type ExpectationsParams,
  type ExpectationTestItem,
  type ExpectationTestResult,
  type ExportParams,
  type RunExpectationsParams,
  type GeneratedRequestResult,
  type RunQueryParams,
  type SourceStatus,
} from '../protocol/customRequests';
import type { QueryResult } from '../protocol/resultModel';
import type { CredentialedSource, SourceConfig } from '../queryEngine/sourceConfig';
import { type BackendError, isBackendError } from '../queryEngine/backendErrors';
import { cleanResult } from '../results/cleanSegments';
import { formatResultCsv } from '../results/resultCsv';
import type { AqDocument } from '../languageService/parser/queryAst';
import { parseAqDocument } from '../languageService/parser/queryParser';
import { listExpectations, runExpectations, type ExpectationItem } from '../workflows/expectations/runExpectations';
import type { ServerContext } from './serverContext';
import { documentPathOf } from './documentPath';

export interface QueryRequests {
  runQuery(params: RunQueryParams, signal: AbortSignal): Promise<QueryResult>;
  listExpectations(params: ExpectationsParams): ExpectationTestItem[];
  runExpectations(params: RunExpectationsParams, signal: AbortSignal): Promise<ExpectationTestResult[]>;
  generatedRequest(params: RunQueryParams): Promise<GeneratedRequestResult>;
  refreshSchema(sourceName: string | undefined, signal: AbortSignal): Promise<SourceStatus[]>;
  exportResult(params: ExportParams): { text: string };
}

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

export function createQueryRequests(context: ServerContext): QueryRequests {
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

  /** The open document's text and parse, or the text the client read from a closed file. */
  function expectationDocument(params: ExpectationsParams): { text: string; model: AqDocument; documentPath: string } {
    const open = context.document(params.uri);
    const documentPath = documentPathOf(params.uri) ?? join(context.rootDir() ?? process.cwd(), 'untitled.aq');
    if (open) return { text: open.getText(), model: context.model(open), documentPath };
    if (params.text === undefined) throw badRequest('The file is neither open in the editor nor sent with the request.');
    return { text: params.text, model: parseAqDocument(params.text), documentPath };
  }

  /** The item as the protocol carries it: no offsets, which mean nothing to the client. */
  function toTestItem(item: ExpectationItem): ExpectationTestItem {
    return {
      query: item.query,
      queryIndex: item.queryIndex,
      expectationIndex: item.expectationIndex,
      expectation: item.expectation,
      range: item.range,
      queryRange: item.queryRange,
    };
  }

  const credentialsFor = context.credentialsFor;
  return {
    listExpectations(params) {
      const { text, model } = expectationDocument(params);
      return listExpectations(model, text).map(toTestItem);
    },
    async runExpectations(params, signal) {
      const { text, model, documentPath } = expectationDocument(params);
      if (!context.trusted()) {
        throw badRequest('aq does not run queries in Restricted Mode: trust the workspace to run its expectations.');
      }
      await context.settingsReady();
      const results = await runExpectations({
        engine: context.engine(),
        path: documentPath,
        text,
        document: model,
        only: params.only,
        defaultTimezone: context.timezone(),
        signal,
        getCredentials: credentialsFor,
        bypassCache: params.bypassCache === true,
      });
      return results.map((result) => {
        const item: ExpectationTestResult = { ...toTestItem(result), status: result.status, actual: result.actual, message: result.message };
        if (result.observed !== undefined) item.observed = result.observed;
        return item;
      });
    },
    async runQuery(params, signal) {
      const { spec, documentPath, source } = querySpecFor(params);
      await context.settingsReady();
      return mapBackendErrors(async () => {
        try {
          const result = await context.engine().run(spec, documentPath, { signal, getCredentials: credentialsFor, bypassCache: params.bypassCache === true });
          context.recordRunProblem?.(params.uri, params.queryIndex, undefined);
          return result;
        } catch (error) {
          // What the API pins on a clause also shows on that clause, until the query changes.
          const at = isBackendError(error) ? error.details.at : undefined;
          if (at) context.recordRunProblem?.(params.uri, params.queryIndex, { span: at.span, message: (error as Error).message });
          throw error;
        }
      }, source);
    },
    async generatedRequest(params) {
      const { spec, documentPath, source } = querySpecFor(params);
      return mapBackendErrors(() => context.engine().generatedRequest(spec, documentPath), source);
    },
    async refreshSchema(sourceName, signal) {
      await context.settingsReady();
      return mapBackendErrors(() => context.engine().refreshSchema(sourceName, { signal, getCredentials: credentialsFor }));
    },
    exportResult(params) {
      const result = params.clean && !params.result.cleaned ? cleanResult(params.result) : params.result;
      if (params.format === 'json') return { text: `${JSON.stringify(result, null, 2)}\n` };
      return { text: formatResultCsv(result, params.format === 'cyfe-csv' ? 'cyfe' : 'plain') };
    },
  };
}

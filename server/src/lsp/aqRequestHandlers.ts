/**
 * aq's own requests (`aq/runQuery`, `aq/sendEvents`, `aq/startWatch`, …): each runs its work under
 * the safety net (a bug answers with an error instead of killing the server; cancellation becomes
 * an AbortSignal) and leaves the work itself to queryRequests.ts and workflowRequests.ts.
 */
import type { CancellationToken } from 'vscode-languageserver';
import type {
  BackendErrorData,
  ExpectationsParams,
  ExpectationTestItem,
  ExpectationTestResult,
  ExportParams,
  RunExpectationsParams,
  GeneratedRequestResult,
  PullEventsParams,
  PullEventsResult,
  RunQueryParams,
  SchemaDriftParams,
  SendEventsParams,
  SendEventsResult,
  SourceSchemaDrift,
  SourceStatus,
  StartWatchParams,
  WatchParams,
} from '../protocol/customRequests';
import type { QueryResult } from '../protocol/resultModel';
import { documentPathOf } from './documentPath';
import { createPullRequests, type PullRequests } from './pullRequests';
import { createQueryRequests, type QueryRequests } from './queryRequests';
import { runSafe, runSafeAsync } from './runSafe';
import { createSchemaDriftRequests, type SchemaDriftRequests } from './schemaDriftRequests';
import type { ServerContext } from './serverContext';
import { createWorkflowRequests, type WorkflowRequests } from './workflowRequests';

export class AqRequestHandlers {
  private readonly queries: QueryRequests;
  private readonly workflows: WorkflowRequests;
  private readonly pulls: PullRequests;
  private readonly drift: SchemaDriftRequests;

  constructor(private readonly context: ServerContext) {
    this.queries = createQueryRequests(context);
    this.workflows = createWorkflowRequests(context);
    this.pulls = createPullRequests(context);
    this.drift = createSchemaDriftRequests(context);
  }

  runQuery(params: RunQueryParams, token: CancellationToken) {
    return runSafeAsync<QueryResult, BackendErrorData>(this.context.log, (signal) => this.queries.runQuery(params, signal), 'running the query', token);
  }

  listExpectations(params: ExpectationsParams, token: CancellationToken) {
    return runSafeAsync<ExpectationTestItem[], void>(this.context.log, async () => this.queries.listExpectations(params), 'listing expectations', token);
  }

  runExpectations(params: RunExpectationsParams, token: CancellationToken) {
    return runSafeAsync<ExpectationTestResult[], BackendErrorData>(
      this.context.log,
      (signal) => this.queries.runExpectations(params, signal),
      'running expectations',
      token,
    );
  }

  generatedRequest(params: RunQueryParams, token: CancellationToken) {
    return runSafeAsync<GeneratedRequestResult, void>(this.context.log, () => this.queries.generatedRequest(params), 'describing the request', token);
  }

  /** With a document, the sources its aq.json (or folder) gives it; otherwise every source in use. */
  listSources(params: { uri?: string }, token: CancellationToken) {
    return runSafe(this.context.log, () => this.context.sourceStatus(params.uri ? documentPathOf(params.uri) : undefined), [], 'listing sources', token);
  }

  refreshSchema(params: { sourceName?: string }, token: CancellationToken) {
    return runSafeAsync<SourceStatus[], BackendErrorData>(
      this.context.log,
      (signal) => this.queries.refreshSchema(params.sourceName, signal),
      'refreshing the schema',
      token,
    );
  }

  schemaDrift(params: SchemaDriftParams, token: CancellationToken) {
    return runSafeAsync<SourceSchemaDrift[], BackendErrorData>(this.context.log, () => this.drift.schemaDrift(params), 'comparing the schema', token);
  }

  updateSchemaSnapshot(params: { uri?: string; sourceName: string }, token: CancellationToken) {
    return runSafeAsync<SourceSchemaDrift, BackendErrorData>(
      this.context.log,
      (signal) => this.drift.updateSchemaSnapshot(params, signal),
      'updating the schema snapshot',
      token,
    );
  }

  exportResult(params: ExportParams, token: CancellationToken) {
    return runSafeAsync<{ text: string }, void>(this.context.log, async () => this.queries.exportResult(params), 'exporting the result', token);
  }

  sendEvents(params: SendEventsParams, token: CancellationToken) {
    return runSafeAsync<SendEventsResult, BackendErrorData>(this.context.log, (signal) => this.workflows.sendEvents(params, signal), 'sending events', token);
  }

  pullEvents(params: PullEventsParams, token: CancellationToken) {
    return runSafeAsync<PullEventsResult, BackendErrorData>(this.context.log, (signal) => this.pulls.pullEvents(params, signal), 'pulling events', token);
  }

  addLocalSource(params: { uri?: string; name: string; path: string; timezoneOf?: string }, token: CancellationToken) {
    return runSafeAsync<{ added: boolean; message: string }, BackendErrorData>(
      this.context.log,
      () => this.pulls.addLocalSource(params),
      'adding the local source',
      token,
    );
  }

  startWatch(params: StartWatchParams, token: CancellationToken) {
    return runSafeAsync<{ watching: true }, BackendErrorData>(this.context.log, () => this.workflows.startWatch(params), 'starting the watch', token);
  }

  stopWatch(params: WatchParams, token: CancellationToken) {
    return runSafeAsync<{ stopped: boolean }, void>(this.context.log, async () => this.workflows.stopWatch(params), 'stopping the watch', token);
  }

  /** A closed document's watches stop. */
  documentClosed(uri: string): void {
    this.workflows.stopWatchesOf(uri);
  }

  dispose(): void {
    this.workflows.dispose();
  }
}

/**
 * Wires the aq language server to an LSP connection: one line per message, each into a named
 * handler. The session (serverSession.ts) holds the state; languageFeatureHandlers.ts answers the
 * standard language features and aqRequestHandlers.ts aq's own requests.
 */
import type { CancellationToken, Connection, ResponseError } from 'vscode-languageserver';
import type { RequestType as AqRequestType } from 'vscode-languageserver-protocol';
import {
  ExportResultRequest,
  GeneratedRequestRequest,
  ListExpectationsRequest,
  ListSourcesRequest,
  RunExpectationsRequest,
  RefreshSchemaRequest,
  RunQueryRequest,
  SchemaDriftRequest,
  SendEventsRequest,
  UpdateSchemaSnapshotRequest,
  PullEventsRequest,
  AddLocalSourceRequest,
  StartWatchRequest,
  StopWatchRequest,
} from './protocol/customRequests';
import { AqRequestHandlers } from './lsp/aqRequestHandlers';
import { serverCapabilities } from './lsp/capabilities';
import { LanguageFeatureHandlers } from './lsp/languageFeatureHandlers';
import { ServerSession, type ServerRuntime } from './lsp/serverSession';

export type { ServerRuntime } from './lsp/serverSession';

export function startServer(connection: Connection, runtime: ServerRuntime): void {
  const session = new ServerSession(connection, runtime);
  const features = new LanguageFeatureHandlers(session);
  const aq = new AqRequestHandlers(session);
  const onAqRequest = aqRequestRegistrar(connection);

  connection.onInitialize((params) => serverCapabilities(session.initialize(params, (document) => features.diagnostics(document))));
  connection.onInitialized(() => session.initialized());
  connection.onDidChangeConfiguration(() => session.configurationChanged());
  connection.onDidChangeWatchedFiles((params) => session.watchedFilesChanged(params));
  session.documents.onDidClose((event) => {
    session.documentClosed(event.document.uri);
    aq.documentClosed(event.document.uri);
  });

  connection.onCompletion((params, token) => features.completion(params, token));
  connection.onCompletionResolve((item) => features.resolveCompletion(item));
  connection.onHover((params, token) => features.hover(params, token));
  connection.onCodeAction((params, token) => features.codeActions(params, token));
  connection.onDocumentSymbol((params, token) => features.documentSymbols(params, token));
  connection.onFoldingRanges((params, token) => features.foldingRanges(params, token));
  connection.languages.semanticTokens.on((params, token) => features.semanticTokens(params, token));

  onAqRequest(RunQueryRequest, (params, token) => aq.runQuery(params, token));
  onAqRequest(ListExpectationsRequest, (params, token) => aq.listExpectations(params, token));
  onAqRequest(RunExpectationsRequest, (params, token) => aq.runExpectations(params, token));
  onAqRequest(GeneratedRequestRequest, (params, token) => aq.generatedRequest(params, token));
  onAqRequest(ListSourcesRequest, (params, token) => aq.listSources(params, token));
  onAqRequest(RefreshSchemaRequest, (params, token) => aq.refreshSchema(params, token));
  onAqRequest(SchemaDriftRequest, (params, token) => aq.schemaDrift(params, token));
  onAqRequest(UpdateSchemaSnapshotRequest, (params, token) => aq.updateSchemaSnapshot(params, token));
  onAqRequest(ExportResultRequest, (params, token) => aq.exportResult(params, token));
  onAqRequest(SendEventsRequest, (params, token) => aq.sendEvents(params, token));
  onAqRequest(PullEventsRequest, (params, token) => aq.pullEvents(params, token));
  onAqRequest(AddLocalSourceRequest, (params, token) => aq.addLocalSource(params, token));
  onAqRequest(StartWatchRequest, (params, token) => aq.startWatch(params, token));
  onAqRequest(StopWatchRequest, (params, token) => aq.stopWatch(params, token));

  connection.onShutdown(() => {
    aq.dispose();
    session.dispose();
  });
  session.documents.listen(connection);
  connection.listen();
}

/**
 * The aq message types come from the protocol package the client uses, a newer copy than the one
 * bundled with vscode-languageserver; registering by method name keeps both sides on one declaration.
 */
function aqRequestRegistrar(connection: Connection) {
  return <P, R, E>(type: AqRequestType<P, R, E>, handler: (params: P, token: CancellationToken) => R | Promise<R | ResponseError<E>>): void => {
    connection.onRequest<unknown, unknown>(type.method, (params: P, token: CancellationToken) => handler(params, token));
  };
}

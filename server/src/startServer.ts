/**
 * Wires the aq language service and query engine to an LSP connection: capabilities, document
 * sync, feature handlers and the custom aq requests. No language logic lives here; every
 * handler looks up the document, takes the cached parse, calls the core and converts the answer.
 */
import { dirname, resolve } from 'node:path';
import {
  CancellationToken,
  CodeActionKind,
  Connection,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  ErrorCodes,
  InitializeParams,
  InitializeResult,
  Position,
  ResponseError,
  SemanticTokens,
  TextDocuments,
  TextDocumentSyncKind,
  type WorkspaceFolder,
} from 'vscode-languageserver';
import type { NotificationType as AqNotificationType, RequestType as AqRequestType } from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getAqLanguageService, sourceRefOf, type SchemaLookup } from './languageService/analyticsLanguageService';
import type { AnalyticsSchema, ValidationOptions } from './languageService/analyticsTypes';
import type { AqDocument } from './languageService/parser/queryAst';
import {
  CredentialsRequest,
  ExportResultRequest,
  GeneratedRequestRequest,
  ListSourcesRequest,
  RefreshSchemaRequest,
  RunQueryRequest,
  SendEventsRequest,
  SendProgressNotification,
  SlackWebhookRequest,
  SourceStatusNotification,
  StartWatchRequest,
  StopWatchRequest,
  WatchAlertNotification,
  type BackendErrorData,
  type GeneratedRequestResult,
  type SendEventsResult,
  type SourceStatus,
} from './protocol/customRequests';
import type { QueryResult } from './protocol/resultModel';
import { defaultCacheDir } from './queryEngine/cacheDir';
import type { QueryEngineOptions } from './queryEngine/queryEngine';
import type { QueryEngine } from './queryEngine/queryEngineTypes';
import { WorkspaceEngines } from './queryEngine/workspaceEngines';
import { registerDiagnosticsPullSupport, registerDiagnosticsPushSupport, type DiagnosticsSupport } from './lsp/diagnosticsSupport';
import { createDocumentModelCache } from './lsp/documentModelCache';
import { documentPathOf, isAqDocument, isEventFileDocument, isJqlDocument } from './lsp/documentPath';
import { lintEventFile } from './workflows/send/eventFileLint';
import { createQueryRequests } from './lsp/queryRequests';
import { formatError, runSafe, runSafeAsync } from './lsp/runSafe';
import { createWorkflowRequests } from './lsp/workflowRequests';
import { createSettingsResolver, toEngineSettings, type SettingsResolver } from './lsp/settingsResolver';
import {
  codeActionsFromDiagnostics,
  encodeSemanticTokens,
  SEMANTIC_TOKENS_LEGEND,
  toLspCompletionList,
  toLspDiagnostic,
  toLspDocumentSymbol,
  toLspFoldingRange,
  toLspHover,
} from './lsp/toLsp';

/** What the entry point provides: the platform pieces startServer must not create itself. */
export interface ServerRuntime {
  createEngine(options: QueryEngineOptions): QueryEngine;
  /** Whether a file exists (for `jql "script.jql"` checks). */
  fileExists(path: string): boolean;
}

/** initializationOptions the aq client sends. */
interface AqInitializationOptions {
  trusted?: boolean;
}

const ENGINE_CHANGE_COALESCE_MS = 50;

export function startServer(connection: Connection, runtime: ServerRuntime): void {
  const log = {
    error: (message: string) => connection.console.error(message),
    warn: (message: string) => connection.console.warn(message),
    info: (message: string) => connection.console.log(message),
  };
  const service = getAqLanguageService();
  const documents = new TextDocuments(TextDocument);
  const models = createDocumentModelCache<AqDocument>((document, parser) => parser.parse(document.getText()));

  let engine: WorkspaceEngines | undefined;
  let diagnostics: DiagnosticsSupport | undefined;
  let settingsResolver: SettingsResolver | undefined;
  let rootUri: string | undefined;
  let rootDir: string | undefined;
  /** Every workspace folder, the first (rootDir) first; each may hold its own aq.json. */
  let folderDirs: string[] = [];
  let trusted = true;
  let canRegisterConfigurationChange = false;
  let canRegisterWatchedFiles = false;
  let canWatchWorkspaceFolders = false;
  let appliedSettingsKey: string | undefined;
  let canDefaultEditRange = false;
  /** `aq.timezone`: the time zone of date ranges for sources that set none. */
  let timezoneSetting: string | undefined;
  let baseUrlOverrides: Record<string, string> | undefined;
  /** Settled once the first settings are applied; sends and watches wait for it so they use the configured URLs. */
  let settingsApplied: Promise<void> = Promise.resolve();

  // The aq message types come from the protocol package the client uses, a newer copy than the one
  // bundled with vscode-languageserver; registering by method name keeps both sides on one declaration.
  function onAqRequest<P, R, E>(type: AqRequestType<P, R, E>, handler: (params: P, token: CancellationToken) => Promise<R | ResponseError<E>>): void {
    connection.onRequest<unknown, unknown>(type.method, (params: P, token: CancellationToken) => handler(params, token));
  }

  function sendAqRequest<P, R>(type: AqRequestType<P, R, unknown>, params: P): Promise<R> {
    return connection.sendRequest<R>(type.method, params);
  }

  function sendAqNotification<P>(type: AqNotificationType<P>, params: P): void {
    void connection.sendNotification(type.method, params);
  }

  function requireEngine(): WorkspaceEngines {
    if (!engine) throw new ResponseError(ErrorCodes.ServerNotInitialized, 'The aq server is not initialized yet.');
    return engine;
  }

  function schemaLookup(path: string | undefined): SchemaLookup {
    const cache = new Map<string, AnalyticsSchema | undefined>();
    return (ref) => {
      const key = ref ? `${ref.kind}\u0000${ref.name}` : '';
      if (!cache.has(key)) cache.set(key, engine?.schemaFor(ref, path));
      return cache.get(key);
    };
  }

  function validationOptions(path: string | undefined): ValidationOptions {
    return {
      fileExists: path ? (scriptPath) => runtime.fileExists(resolve(dirname(path), scriptPath)) : undefined,
      knownSources: engine?.knownSources(path),
    };
  }

  function jqlSchema(path: string | undefined): AnalyticsSchema | undefined {
    return engine?.schemaFor(undefined, path);
  }

  /**
   * Waits until the schema of the query at a position is in memory. Schemas load lazily, so
   * without this the first completion after opening a file (or changing settings) would offer
   * no names at all. Never rejects: a schema that cannot load just means no names.
   */
  async function schemaReadyAt(uri: string, position: Position): Promise<void> {
    const document = documents.get(uri);
    if (!document || !engine) return;
    const path = documentPathOf(uri);
    try {
      if (!isAqDocument(document)) {
        await engine.loadSchema(undefined, path);
      } else {
        const block = service.queryAt(models.get(document), document.offsetAt(position));
        await engine.loadSchema(sourceRefOf(block?.source), path);
      }
    } catch (error) {
      log.warn(formatError('aq: loading the schema failed', error));
    }
  }

  function validate(document: TextDocument) {
    const path = documentPathOf(document.uri);
    const text = document.getText();
    const problems = isEventFileDocument(document)
      ? lintEventFile(document.uri, text, { schema: jqlSchema(path) })
      : isJqlDocument(document)
      ? service.validateJql(text, jqlSchema(path))
      : service.validate(models.get(document), text, schemaLookup(path), validationOptions(path));
    return problems.map((problem) => toLspDiagnostic(document, problem));
  }

  /**
   * Applies the current settings. Reconfiguring drops every loaded schema, so unchanged settings
   * are skipped unless a configuration file changed (`force`).
   */
  async function configureEngine(force: boolean): Promise<void> {
    if (!engine) return;
    const raw = settingsResolver ? await settingsResolver.get(rootUri) : {};
    const { settings, timezone, problems } = toEngineSettings(raw, trusted);
    timezoneSetting = timezone;
    baseUrlOverrides = settings.baseUrlOverrides;
    const key = JSON.stringify(settings);
    if (!force && key === appliedSettingsKey) return;
    appliedSettingsKey = key;
    for (const problem of problems) log.warn(`aq: ${problem}`);
    engine.configureFolders(folderDirs, settings);
    for (const problem of engine.configurationProblems()) log.warn(`aq: ${problem}`);
  }

  const queries = createQueryRequests({
    engine: requireEngine,
    document: (uri) => documents.get(uri),
    model: (document) => models.get(document),
    rootDir: () => rootDir,
    timezone: () => timezoneSetting,
    trusted: () => trusted,
    askCredentials: (params) => sendAqRequest(CredentialsRequest, params),
    log,
  });

  const workflows = createWorkflowRequests({
    engine: requireEngine,
    document: (uri) => documents.get(uri),
    model: (document) => models.get(document),
    rootDir: () => rootDir,
    trusted: () => trusted,
    settingsReady: () => settingsApplied,
    baseUrlOverride: (sourceName) => baseUrlOverrides?.[sourceName],
    credentialsFor: queries.credentialsFor,
    askSlackWebhook: () => sendAqRequest(SlackWebhookRequest, {}),
    sendProgress: (params) => sendAqNotification(SendProgressNotification, params),
    sendAlert: (params) => sendAqNotification(WatchAlertNotification, params),
    cacheDir: defaultCacheDir(),
    log,
  });

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const capabilities = params.capabilities;
    const options = (params.initializationOptions ?? {}) as AqInitializationOptions;
    trusted = options.trusted !== false;
    rootUri = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? undefined;
    rootDir = rootUri ? documentPathOf(rootUri) : undefined;
    folderDirs = foldersOf(params.workspaceFolders, rootDir);
    canWatchWorkspaceFolders = capabilities.workspace?.workspaceFolders === true;
    canRegisterConfigurationChange = capabilities.workspace?.didChangeConfiguration?.dynamicRegistration === true;
    canRegisterWatchedFiles = capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    canDefaultEditRange = capabilities.textDocument?.completion?.completionList?.itemDefaults?.includes('editRange') === true;
    settingsResolver = createSettingsResolver(connection, capabilities.workspace?.configuration === true, log);

    engine = new WorkspaceEngines(() =>
      runtime.createEngine({
        log: (message) => log.info(`aq: ${message}`),
        backgroundCredentials: trusted ? queries.credentialsFor : undefined,
      }),
    );
    // aq.json is read now, so documents opened before the settings arrive do not flash "unknown source".
    const initialSettings = toEngineSettings({}, trusted).settings;
    baseUrlOverrides = initialSettings.baseUrlOverrides;
    appliedSettingsKey = JSON.stringify(initialSettings);
    engine.configureFolders(folderDirs, initialSettings);
    const supportsPull = capabilities.textDocument?.diagnostic !== undefined;
    diagnostics = supportsPull
      ? registerDiagnosticsPullSupport(documents, connection, log, validate, capabilities.workspace?.diagnostics?.refreshSupport === true)
      : registerDiagnosticsPushSupport(documents, connection, log, validate);
    // A run changes the queue and budget many times; one re-lint and one status update per burst is enough.
    let pendingChange: NodeJS.Timeout | undefined;
    engine.onDidChange(() => {
      if (pendingChange) return;
      pendingChange = setTimeout(() => {
        pendingChange = undefined;
        diagnostics?.requestRefresh();
        if (engine) sendAqNotification(SourceStatusNotification, { sources: engine.status() });
      }, ENGINE_CHANGE_COALESCE_MS);
    });

    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: ['"', '[', ' ', '.'], resolveProvider: false },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        documentSymbolProvider: true,
        foldingRangeProvider: true,
        semanticTokensProvider: { legend: SEMANTIC_TOKENS_LEGEND, full: true },
        diagnosticProvider: supportsPull ? { interFileDependencies: false, workspaceDiagnostics: false } : undefined,
        workspace: canWatchWorkspaceFolders ? { workspaceFolders: { supported: true, changeNotifications: true } } : undefined,
      },
      serverInfo: { name: 'aq-language-server' },
    };
  });

  connection.onInitialized(() => {
    if (canRegisterConfigurationChange) {
      void connection.client.register(DidChangeConfigurationNotification.type, { section: 'aq' });
    }
    if (canRegisterWatchedFiles) {
      void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/aq.json' }, { globPattern: '**/*.json' }] });
    }
    settingsApplied = configureEngine(false).catch((error: unknown) => log.error(formatError('aq: configuring the query engine failed', error)));
    if (canWatchWorkspaceFolders) {
      connection.workspace.onDidChangeWorkspaceFolders((change) => {
        const removed = new Set(change.removed.map((folder) => documentPathOf(folder.uri)));
        const added = change.added.map((folder) => documentPathOf(folder.uri)).filter((dir): dir is string => dir !== undefined);
        folderDirs = [...folderDirs.filter((dir) => !removed.has(dir)), ...added.filter((dir) => !folderDirs.includes(dir))];
        configureEngine(true).catch((error: unknown) => log.error(formatError('aq: applying the workspace folders failed', error)));
      });
    }
  });

  connection.onDidChangeConfiguration(() => {
    settingsResolver?.clear();
    configureEngine(false).catch((error: unknown) => log.error(formatError('aq: applying the new settings failed', error)));
  });

  connection.onDidChangeWatchedFiles((params) => {
    const schemaFiles = new Set((engine?.status() ?? []).map((status) => status.schemaLabel));
    const affectsConfiguration = params.changes.some((change) => {
      const path = documentPathOf(change.uri);
      return path !== undefined && (/(^|[\\/])aq\.json$/.test(path) || schemaFiles.has(path));
    });
    if (affectsConfiguration) {
      configureEngine(true).catch((error: unknown) => log.error(formatError('aq: reloading aq.json failed', error)));
    }
  });

  documents.onDidClose((event) => {
    models.onDocumentRemoved(event.document.uri);
    workflows.stopWatchesOf(event.document.uri);
  });

  /**
   * Runs a position-based feature (completion, hover) once the schema of the query under the
   * cursor is loaded; event files to send have neither.
   */
  async function atPosition<T>(
    params: { textDocument: { uri: string }; position: Position },
    token: CancellationToken,
    label: string,
    compute: (document: TextDocument, text: string, offset: number, path: string | undefined) => T | null,
  ) {
    await schemaReadyAt(params.textDocument.uri, params.position);
    return runSafe<T | null>(
      log,
      () => {
        const document = documents.get(params.textDocument.uri);
        if (!document || isEventFileDocument(document)) return null;
        return compute(document, document.getText(), document.offsetAt(params.position), documentPathOf(document.uri));
      },
      null,
      label,
      token,
    );
  }

  connection.onCompletion((params, token) =>
    atPosition(params, token, 'completion', (document, text, offset, path) => {
      const candidates = isJqlDocument(document)
        ? service.completeJql(text, offset, jqlSchema(path))
        : service.complete(models.get(document), text, offset, schemaLookup(path));
      return toLspCompletionList(document, candidates, canDefaultEditRange);
    }),
  );

  connection.onHover((params, token) =>
    atPosition(params, token, 'hover', (document, text, offset, path) => {
      const hover = isJqlDocument(document)
        ? service.hoverJql(text, offset, jqlSchema(path))
        : service.hover(models.get(document), text, offset, schemaLookup(path));
      return hover ? toLspHover(document, hover) : null;
    }),
  );

  connection.onCodeAction((params, token) =>
    runSafe(
      log,
      () => {
        const only = params.context.only;
        if (only && !only.some((kind) => kind === CodeActionKind.QuickFix || CodeActionKind.QuickFix.startsWith(`${kind}.`))) return [];
        const ours = params.context.diagnostics.filter((diagnostic) => diagnostic.source === 'aq');
        return codeActionsFromDiagnostics(params.textDocument.uri, ours);
      },
      [],
      'code actions',
      token,
    ),
  );

  connection.onDocumentSymbol((params, token) =>
    runSafe(
      log,
      () => {
        const document = documents.get(params.textDocument.uri);
        if (!document || !isAqDocument(document)) return [];
        return service.symbols(models.get(document)).map((symbol) => toLspDocumentSymbol(document, symbol));
      },
      [],
      'document symbols',
      token,
    ),
  );

  connection.onFoldingRanges((params, token) =>
    runSafe(
      log,
      () => {
        const document = documents.get(params.textDocument.uri);
        // null lets the editor fall back to indentation folding in .jql files.
        if (!document || !isAqDocument(document)) return null;
        return service
          .folding(models.get(document), document.getText())
          .map((folding) => toLspFoldingRange(document, folding))
          .filter((range) => range !== undefined);
      },
      null,
      'folding ranges',
      token,
    ),
  );

  connection.languages.semanticTokens.on((params, token) =>
    runSafe<SemanticTokens>(
      log,
      () => {
        const document = documents.get(params.textDocument.uri);
        if (!document || !isAqDocument(document)) return { data: [] };
        return { data: encodeSemanticTokens(document, service.semanticTokens(models.get(document), document.getText())) };
      },
      { data: [] },
      'semantic tokens',
      token,
    ),
  );

  onAqRequest(RunQueryRequest, (params, token) =>
    runSafeAsync<QueryResult, BackendErrorData>(log, (signal) => queries.runQuery(params, signal), 'running the query', token),
  );

  onAqRequest(GeneratedRequestRequest, (params, token) =>
    runSafeAsync<GeneratedRequestResult, void>(log, () => queries.generatedRequest(params), 'describing the request', token),
  );

  // With a document, the sources its aq.json (or folder) gives it; otherwise every source in use.
  onAqRequest(ListSourcesRequest, (params, token) => runSafe(log, () => engine?.status(params.uri ? documentPathOf(params.uri) : undefined) ?? [], [], 'listing sources', token));

  onAqRequest(RefreshSchemaRequest, (params, token) =>
    runSafeAsync<SourceStatus[], BackendErrorData>(log, (signal) => queries.refreshSchema(params.sourceName, signal), 'refreshing the schema', token),
  );

  onAqRequest(ExportResultRequest, (params, token) =>
    runSafeAsync<{ text: string }, void>(log, async () => queries.exportResult(params), 'exporting the result', token),
  );

  onAqRequest(SendEventsRequest, (params, token) =>
    runSafeAsync<SendEventsResult, BackendErrorData>(log, (signal) => workflows.sendEvents(params, signal), 'sending events', token),
  );

  onAqRequest(StartWatchRequest, (params, token) =>
    runSafeAsync<{ watching: true }, BackendErrorData>(log, () => workflows.startWatch(params), 'starting the watch', token),
  );

  onAqRequest(StopWatchRequest, (params, token) => runSafeAsync<{ stopped: boolean }, void>(log, async () => workflows.stopWatch(params), 'stopping the watch', token));

  connection.onShutdown(() => {
    workflows.dispose();
    diagnostics?.dispose();
    models.dispose();
    engine?.dispose();
  });

  documents.listen(connection);
  connection.listen();
}

/** The local workspace folders as paths, the first one first (the root when there are none). */
function foldersOf(folders: WorkspaceFolder[] | null | undefined, rootDir: string | undefined): string[] {
  const dirs = (folders ?? []).map((folder) => documentPathOf(folder.uri)).filter((dir): dir is string => dir !== undefined);
  return dirs.length > 0 ? dirs : rootDir ? [rootDir] : [];
}

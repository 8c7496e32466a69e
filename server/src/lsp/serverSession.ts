/**
 * The state of one language-server session: the open documents and their parses, the workspace
 * folders, workspace trust, the editor's settings and the query engines built from them. It
 * answers the lifecycle notifications (initialize, configuration and folder changes, shutdown)
 * and is the ServerContext every handler works on.
 */
import { dirname, resolve } from 'node:path';
import {
  type Connection,
  type DidChangeWatchedFilesParams,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  ErrorCodes,
  type InitializeParams,
  ResponseError,
  TextDocuments,
  type WorkspaceFolder,
} from 'vscode-languageserver';
import type { NotificationType as AqNotificationType, RequestType as AqRequestType } from 'vscode-languageserver-protocol';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import {
  getAqLanguageService,
  sourceRefOf,
  type ChunkedDocument,
  type PropertyValueTarget,
  type SchemaLookup,
} from '../languageService/analyticsLanguageService';
import type { AnalyticsSchema, QueryDiagnostic, TextSpan, ValidationOptions } from '../languageService/analyticsTypes';
import type { AqDocument } from '../languageService/parser/queryAst';
import { assembleDocument } from '../languageService/parser/incrementalParser';
import {
  CredentialsRequest,
  SendProgressNotification,
  SlackWebhookRequest,
  SourceStatusNotification,
  WatchAlertNotification,
  type SourceStatus,
} from '../protocol/customRequests';
import type { CredentialedSource, Credentials } from '../queryEngine/sourceConfig';
import { defaultCacheDir } from '../queryEngine/cacheDir';
import type { QueryEngineOptions } from '../queryEngine/queryEngine';
import type { QueryEngine } from '../queryEngine/queryEngineTypes';
import { WorkspaceEngines } from '../queryEngine/workspaceEngines';
import { registerDiagnosticsPullSupport, registerDiagnosticsPushSupport, type DiagnosticsSupport, type DocumentValidator } from './diagnosticsSupport';
import { createDocumentModelCache } from './documentModelCache';
import { PieceTextDocument } from './pieceTextDocument';
import { documentPathOf, isAqDocument } from './documentPath';
import { askEditorForCredentials } from './editorCredentials';
import type { CredentialDestination } from '../protocol/credentialHostRule';
import { RunProblems } from './runProblems';
import { formatError } from './runSafe';
import type { ServerContext, ServerLog } from './serverContext';
import { createSettingsResolver, toEngineSettings, type SettingsResolver } from './settingsResolver';

/** What the entry point provides: the platform pieces the server must not create itself. */
export interface ServerRuntime {
  createEngine(options: QueryEngineOptions): QueryEngine;
  /** Whether a file exists (for `jql "script.jql"` checks). */
  fileExists(path: string): boolean;
}

/** initializationOptions the aq client sends. */
interface AqInitializationOptions {
  trusted?: boolean;
}

/** What the editor said it supports, as far as the server cares. */
export interface ClientSupport {
  pullDiagnostics: boolean;
  workspaceFolders: boolean;
}

const ENGINE_CHANGE_COALESCE_MS = 50;
/**
 * How long a request that calls a source waits for the editor's first answer to
 * `workspace/configuration`; an editor that never answers would otherwise hold completion and
 * runs forever. Late settings still apply when they come.
 */
const SETTINGS_WAIT_MS = 3_000;

export class ServerSession implements ServerContext {
  readonly log: ServerLog;
  /** Kept in pieces, so that a keystroke in a large file never rebuilds its whole text. */
  readonly documents = new TextDocuments(PieceTextDocument);
  readonly cacheDir = defaultCacheDir();
  private readonly service = getAqLanguageService();
  // A piece document tells the parser what changed, so the parser reads only that part of it.
  private readonly models = createDocumentModelCache<ChunkedDocument>(
    (document, parser) => parser.parseChunks(document instanceof PieceTextDocument ? document : document.getText()),
    { isOpen: (uri) => this.documents.get(uri) !== undefined },
  );
  private engines: WorkspaceEngines | undefined;
  private diagnosticsSupport: DiagnosticsSupport | undefined;
  private settingsResolver: SettingsResolver | undefined;
  private rootUri: string | undefined;
  private root: string | undefined;
  /** Every workspace folder, the first (the root) first; each may hold its own aq.json. */
  private folderDirs: string[] = [];
  private isTrusted = true;
  private canRegisterConfigurationChange = false;
  private canRegisterWatchedFiles = false;
  private canWatchWorkspaceFolders = false;
  private supportsDefaultEditRange = false;
  private appliedSettingsKey: string | undefined;
  /** `aq.timezone`: the time zone of date ranges for sources that set none. */
  private timezoneSetting: string | undefined;
  private baseUrlOverrides: Record<string, string> | undefined;
  /** Settled once the first settings are applied. */
  private settingsApplied: Promise<void> = Promise.resolve();
  private pendingChange: NodeJS.Timeout | undefined;
  private readonly runProblems = new RunProblems();

  constructor(
    private readonly connection: Connection,
    private readonly runtime: ServerRuntime,
  ) {
    this.log = {
      error: (message) => connection.console.error(message),
      warn: (message) => connection.console.warn(message),
      info: (message) => connection.console.log(message),
    };
  }

  // --- ServerContext ---

  document(uri: string): TextDocument | undefined {
    return this.documents.get(uri);
  }

  model(document: TextDocument): AqDocument {
    return assembleDocument(this.models.get(document));
  }

  chunks(document: TextDocument): ChunkedDocument {
    return this.models.get(document);
  }

  engine(): QueryEngine {
    if (!this.engines) throw new ResponseError(ErrorCodes.ServerNotInitialized, 'The aq server is not initialized yet.');
    return this.engines;
  }

  sourceStatus(path: string | undefined): SourceStatus[] {
    return this.engines?.status(path) ?? [];
  }

  rootDir(): string | undefined {
    return this.root;
  }

  timezone(): string | undefined {
    return this.timezoneSetting;
  }

  runDiagnostics(document: TextDocument): QueryDiagnostic[] {
    // Most documents have none; the whole placed document is built only for those that do.
    if (!this.runProblems.has(document.uri)) return [];
    return this.runProblems.diagnostics(document.uri, this.model(document), document.getText());
  }

  recordRunProblem(uri: string, queryIndex: number, problem: { span: TextSpan; message: string } | undefined): void {
    const document = this.documents.get(uri);
    if (!document) return;
    if (this.runProblems.record(uri, this.model(document), document.getText(), queryIndex, problem)) this.diagnosticsSupport?.requestRefresh();
  }

  trusted(): boolean {
    return this.isTrusted;
  }

  settingsReady(): Promise<void> {
    return this.settingsApplied;
  }

  baseUrlOverride(sourceName: string): string | undefined {
    return this.baseUrlOverrides?.[sourceName];
  }

  canDefaultEditRange(): boolean {
    return this.supportsDefaultEditRange;
  }

  credentialsFor = (source: CredentialedSource, host: string, destination?: CredentialDestination): Promise<Credentials | undefined> =>
    askEditorForCredentials(
      source,
      host,
      {
        trusted: this.isTrusted,
        ask: (params) => this.sendAqRequest(CredentialsRequest, params),
        log: this.log,
      },
      destination,
    );

  askSlackWebhook(): Promise<{ url: string } | null> {
    return this.sendAqRequest(SlackWebhookRequest, {});
  }

  sendProgress(params: { uri: string; message: string; percent: number }): void {
    this.sendAqNotification(SendProgressNotification, params);
  }

  sendAlert(params: { uri: string; queryIndex: number; title: string; text: string; kind: string }): void {
    this.sendAqNotification(WatchAlertNotification, params);
  }

  schemaLookup(path: string | undefined): SchemaLookup {
    const cache = new Map<string, AnalyticsSchema | undefined>();
    return (ref) => {
      const key = ref ? `${ref.kind}\u0000${ref.name}` : '';
      if (!cache.has(key)) cache.set(key, this.engines?.schemaFor(ref, path));
      return cache.get(key);
    };
  }

  async propertyValues(path: string | undefined, target: PropertyValueTarget, signal: AbortSignal): Promise<string[] | undefined> {
    // Before the editor's settings arrive the source's URL may not be the configured one yet.
    await this.settingsApplied;
    if (!this.engines) return undefined;
    return this.engines.propertyValues(target.source, path, target.event, target.property, { signal, getCredentials: this.credentialsFor });
  }

  validationOptions(path: string | undefined): ValidationOptions {
    return {
      fileExists: path ? (scriptPath) => this.runtime.fileExists(resolve(dirname(path), scriptPath)) : undefined,
      knownSources: this.engines?.knownSources(path),
    };
  }

  jqlSchema(path: string | undefined): AnalyticsSchema | undefined {
    return this.engines?.schemaFor(undefined, path);
  }

  /**
   * Waits until the schema of the query at a position is in memory. Schemas load lazily, so
   * without this the first completion after opening a file (or changing settings) would offer
   * no names at all. Never rejects: a schema that cannot load just means no names. The editor's
   * settings are waited for first: applying them drops the schemas loaded before.
   */
  async schemaReadyAt(uri: string, position: { line: number; character: number }): Promise<void> {
    await this.settingsApplied;
    const document = this.documents.get(uri);
    const engines = this.engines;
    if (!document || !engines) return;
    const path = documentPathOf(uri);
    try {
      if (!isAqDocument(document)) {
        await engines.loadSchema(undefined, path);
      } else {
        const offset = document.offsetAt(position);
        const block = this.service.queryAt(this.service.documentAround(this.models.get(document), offset), offset);
        await engines.loadSchema(sourceRefOf(block?.source), path);
      }
    } catch (error) {
      this.log.warn(formatError('aq: loading the schema failed', error));
    }
  }

  // --- lifecycle ---

  /** Reads the editor's capabilities, trust and folders, creates the engines and registers diagnostics. */
  initialize(params: InitializeParams, validate: DocumentValidator): ClientSupport {
    const capabilities = params.capabilities;
    const options = (params.initializationOptions ?? {}) as AqInitializationOptions;
    this.isTrusted = options.trusted !== false;
    this.rootUri = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? undefined;
    this.root = this.rootUri ? documentPathOf(this.rootUri) : undefined;
    this.folderDirs = foldersOf(params.workspaceFolders, this.root);
    this.canWatchWorkspaceFolders = capabilities.workspace?.workspaceFolders === true;
    this.canRegisterConfigurationChange = capabilities.workspace?.didChangeConfiguration?.dynamicRegistration === true;
    this.canRegisterWatchedFiles = capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    this.supportsDefaultEditRange = capabilities.textDocument?.completion?.completionList?.itemDefaults?.includes('editRange') === true;
    this.settingsResolver = createSettingsResolver(this.connection, capabilities.workspace?.configuration === true, this.log);

    const engines = new WorkspaceEngines(() =>
      this.runtime.createEngine({
        log: (message) => this.log.info(`aq: ${message}`),
        backgroundCredentials: this.isTrusted ? this.credentialsFor : undefined,
      }),
    );
    this.engines = engines;
    // aq.json is read now, so documents opened before the settings arrive do not flash "unknown source".
    const initialSettings = toEngineSettings({}, this.isTrusted).settings;
    this.baseUrlOverrides = initialSettings.baseUrlOverrides;
    this.appliedSettingsKey = JSON.stringify(initialSettings);
    engines.configureFolders(this.folderDirs, initialSettings);
    const pullDiagnostics = capabilities.textDocument?.diagnostic !== undefined;
    this.diagnosticsSupport = pullDiagnostics
      ? registerDiagnosticsPullSupport(this.documents, this.connection, this.log, validate, capabilities.workspace?.diagnostics?.refreshSupport === true)
      : registerDiagnosticsPushSupport(this.documents, this.connection, this.log, validate);
    // A run changes the queue and budget many times; one re-lint and one status update per burst is enough.
    engines.onDidChange(() => {
      if (this.pendingChange) return;
      this.pendingChange = setTimeout(() => {
        this.pendingChange = undefined;
        this.diagnosticsSupport?.requestRefresh();
        if (this.engines) this.sendAqNotification(SourceStatusNotification, { sources: this.engines.status() });
      }, ENGINE_CHANGE_COALESCE_MS);
    });
    return { pullDiagnostics, workspaceFolders: this.canWatchWorkspaceFolders };
  }

  /** Registers for settings and file changes and applies the editor's settings. */
  initialized(): void {
    if (this.canRegisterConfigurationChange) {
      void this.connection.client.register(DidChangeConfigurationNotification.type, { section: 'aq' });
    }
    if (this.canRegisterWatchedFiles) {
      void this.connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/aq.json' }, { globPattern: '**/*.json' }] });
    }
    const applied = this.configureEngine(false).catch((error: unknown) => this.log.error(formatError('aq: configuring the query engine failed', error)));
    this.settingsApplied = Promise.race([
      applied,
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.log.warn(`aq: the editor has not sent its settings after ${SETTINGS_WAIT_MS / 1000} s; going on with aq.json and the defaults until it does.`);
          resolve();
        }, SETTINGS_WAIT_MS);
        timer.unref();
        void applied.then(() => clearTimeout(timer));
      }),
    ]);
    if (this.canWatchWorkspaceFolders) {
      this.connection.workspace.onDidChangeWorkspaceFolders((change) => {
        const removed = new Set(change.removed.map((folder) => documentPathOf(folder.uri)));
        const added = change.added.map((folder) => documentPathOf(folder.uri)).filter((dir): dir is string => dir !== undefined);
        this.folderDirs = [...this.folderDirs.filter((dir) => !removed.has(dir)), ...added.filter((dir) => !this.folderDirs.includes(dir))];
        this.configureEngine(true).catch((error: unknown) => this.log.error(formatError('aq: applying the workspace folders failed', error)));
      });
    }
  }

  configurationChanged(): void {
    this.settingsResolver?.clear();
    this.configureEngine(false).catch((error: unknown) => this.log.error(formatError('aq: applying the new settings failed', error)));
  }

  watchedFilesChanged(params: DidChangeWatchedFilesParams): void {
    const schemaFiles = new Set((this.engines?.status() ?? []).map((status) => status.schemaLabel));
    const affectsConfiguration = params.changes.some((change) => {
      const path = documentPathOf(change.uri);
      return path !== undefined && (/(^|[\\/])aq\.json$/.test(path) || schemaFiles.has(path));
    });
    if (affectsConfiguration) {
      this.configureEngine(true).catch((error: unknown) => this.log.error(formatError('aq: reloading aq.json failed', error)));
    }
  }

  documentClosed(uri: string): void {
    this.models.onDocumentRemoved(uri);
    this.runProblems.forget(uri);
  }

  dispose(): void {
    this.diagnosticsSupport?.dispose();
    this.models.dispose();
    this.engines?.dispose();
  }

  /**
   * Applies the current settings. Reconfiguring drops every loaded schema, so unchanged settings
   * are skipped unless a configuration file changed (`force`).
   */
  private async configureEngine(force: boolean): Promise<void> {
    if (!this.engines) return;
    const raw = this.settingsResolver ? await this.settingsResolver.get(this.rootUri) : {};
    const { settings, timezone, problems } = toEngineSettings(raw, this.isTrusted);
    this.timezoneSetting = timezone;
    this.baseUrlOverrides = settings.baseUrlOverrides;
    const key = JSON.stringify(settings);
    if (!force && key === this.appliedSettingsKey) return;
    this.appliedSettingsKey = key;
    for (const problem of problems) this.log.warn(`aq: ${problem}`);
    this.engines.configureFolders(this.folderDirs, settings);
    for (const problem of this.engines.configurationProblems()) this.log.warn(`aq: ${problem}`);
  }

  // The aq message types come from the protocol package the client uses, a newer copy than the one
  // bundled with vscode-languageserver; sending by method name keeps both sides on one declaration.
  private sendAqRequest<P, R>(type: AqRequestType<P, R, unknown>, params: P): Promise<R> {
    return this.connection.sendRequest<R>(type.method, params);
  }

  private sendAqNotification<P>(type: AqNotificationType<P>, params: P): void {
    void this.connection.sendNotification(type.method, params);
  }
}

/** The local workspace folders as paths, the first one first (the root when there are none). */
function foldersOf(folders: WorkspaceFolder[] | null | undefined, rootDir: string | undefined): string[] {
  const dirs = (folders ?? []).map((folder) => documentPathOf(folder.uri)).filter((dir): dir is string => dir !== undefined);
  return dirs.length > 0 ? dirs : rootDir ? [rootDir] : [];
}

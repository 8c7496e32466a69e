/**
 * One query engine per aq.json. A document is served by the engine of the aq.json nearest to it
 * (walking up from its folder, as `aq run` and `aq lint` find theirs), else by the workspace folder
 * that holds it, else by the first workspace folder. So a multi-root workspace, or a monorepo with an
 * aq.json per app, lints and runs each file against its own sources — the same answer the CLI gives
 * in that folder. Engines are made on first use and all get the same settings.
 */
import { dirname, sep } from 'node:path';
import type { AnalyticsSchema } from '../queryContract/schemaTypes';
import type { QuerySpec, SourceRef } from '../queryContract/querySpec';
import type { GeneratedRequestResult, SourceStatus } from '../protocol/customRequests';
import type { QueryResult } from '../protocol/resultModel';
import type { MparticleSourceConfig, SourceConfig } from './analyticsBackend';
import type { EngineSettings, LiveSchemaOptions, QueryEngine, RunOptions } from './queryEngineTypes';
import { findWorkspaceRoot } from './workspaceConfig';

/** The key of the engine for documents outside every folder when there is no folder at all. */
const NO_ROOT = '';

export class WorkspaceEngines implements QueryEngine {
  private folders: string[] = [];
  private settings: EngineSettings = {};
  private readonly engines = new Map<string, QueryEngine>();
  /** Folder of a document → root of its engine; cleared on every configure (an aq.json may come or go). */
  private readonly rootOfFolder = new Map<string, string>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly createEngine: () => QueryEngine) {}

  /** The editor's workspace folders, first one first, with the settings they share. */
  configureFolders(folders: readonly string[], settings: EngineSettings): void {
    this.folders = [...folders];
    this.settings = settings;
    this.rootOfFolder.clear();
    const wanted = new Set(this.folders.length > 0 ? this.folders : [NO_ROOT]);
    // Engines of nested aq.json files are made again on demand; the folders' engines are kept.
    for (const [root, engine] of this.engines) {
      if (!wanted.has(root)) {
        engine.dispose();
        this.engines.delete(root);
      }
    }
    for (const root of wanted) {
      const existing = this.engines.get(root);
      if (existing) existing.configure(root || undefined, settings);
      else this.engineAt(root);
    }
    this.fireChange();
  }

  configure(rootDir: string | undefined, settings: EngineSettings): void {
    this.configureFolders(rootDir ? [rootDir] : [], settings);
  }

  resolveSource(ref: SourceRef | undefined, documentPath: string | undefined): SourceConfig | undefined {
    return this.engineFor(documentPath).resolveSource(ref, documentPath);
  }

  ingestionSource(name: string, documentPath?: string): MparticleSourceConfig | undefined {
    return this.engineFor(documentPath).ingestionSource(name, documentPath);
  }

  defaultSource(documentPath?: string): SourceRef | undefined {
    return this.engineFor(documentPath).defaultSource(documentPath);
  }

  knownSources(documentPath?: string): ReadonlySet<string> {
    return this.engineFor(documentPath).knownSources(documentPath);
  }

  schemaFor(ref: SourceRef | undefined, documentPath: string | undefined): AnalyticsSchema | undefined {
    return this.engineFor(documentPath).schemaFor(ref, documentPath);
  }

  loadSchema(ref: SourceRef | undefined, documentPath: string | undefined): Promise<AnalyticsSchema | undefined> {
    return this.engineFor(documentPath).loadSchema(ref, documentPath);
  }

  schemaErrorFor(ref: SourceRef | undefined, documentPath: string | undefined): string | undefined {
    return this.engineFor(documentPath).schemaErrorFor(ref, documentPath);
  }

  configurationProblems(): readonly string[] {
    const several = this.engines.size > 1;
    return [...this.engines].flatMap(([root, engine]) =>
      engine.configurationProblems().map((problem) => (several && root ? `${root}${sep}${problem}` : problem)),
    );
  }

  run(spec: QuerySpec, documentPath: string, options: RunOptions): Promise<QueryResult> {
    return this.engineFor(documentPath).run(spec, documentPath, options);
  }

  generatedRequest(spec: QuerySpec, documentPath: string): Promise<GeneratedRequestResult> {
    return this.engineFor(documentPath).generatedRequest(spec, documentPath);
  }

  /** Refreshes the source in every engine that has one of that name (the default source: the first folder's). */
  async refreshSchema(sourceName: string | undefined, options: Pick<RunOptions, 'signal' | 'getCredentials'>): Promise<SourceStatus[]> {
    const owners =
      sourceName === undefined
        ? []
        : [...this.engines.values()].filter((engine) => engine.knownSources().has(sourceName) || engine.ingestionSource(sourceName));
    const targets = owners.length > 0 ? owners : [this.engineFor(undefined)];
    for (const engine of targets) await engine.refreshSchema(sourceName, options);
    return this.status();
  }

  sourceNamed(name: string, documentPath?: string): SourceConfig | undefined {
    return this.engineFor(documentPath).sourceNamed(name, documentPath);
  }

  liveSchema(sourceName: string, documentPath: string | undefined, options: LiveSchemaOptions): Promise<AnalyticsSchema> {
    return this.engineFor(documentPath).liveSchema(sourceName, documentPath, options);
  }

  propertyValues(
    ref: SourceRef | undefined,
    documentPath: string | undefined,
    event: string,
    property: string,
    options: Pick<RunOptions, 'signal' | 'getCredentials'>,
  ): Promise<string[] | undefined> {
    return this.engineFor(documentPath).propertyValues(ref, documentPath, event, property, options);
  }

  /** The sources a document sees; without one, those of every aq.json in use (a name once, the first folder's first). */
  status(documentPath?: string): SourceStatus[] {
    if (documentPath !== undefined) return this.engineFor(documentPath).status(documentPath);
    const seen = new Set<string>();
    const all: SourceStatus[] = [];
    for (const engine of this.engines.values()) {
      for (const source of engine.status()) {
        if (seen.has(source.name)) continue;
        seen.add(source.name);
        all.push(source);
      }
    }
    return all;
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  dispose(): void {
    for (const engine of this.engines.values()) engine.dispose();
    this.engines.clear();
    this.listeners.clear();
  }

  /** The engine that serves a document (or, without one, the first folder). */
  private engineFor(documentPath: string | undefined): QueryEngine {
    return this.engineAt(documentPath === undefined ? this.primaryRoot() : this.rootFor(dirname(documentPath)));
  }

  private primaryRoot(): string {
    return this.folders[0] ?? NO_ROOT;
  }

  private rootFor(folder: string): string {
    let root = this.rootOfFolder.get(folder);
    if (root === undefined) {
      root = findWorkspaceRoot(folder) ?? this.folderHolding(folder) ?? this.primaryRoot();
      this.rootOfFolder.set(folder, root);
    }
    return root;
  }

  /** The innermost workspace folder that holds `folder`. */
  private folderHolding(folder: string): string | undefined {
    return this.folders
      .filter((root) => folder === root || folder.startsWith(root.endsWith(sep) ? root : `${root}${sep}`))
      .sort((a, b) => b.length - a.length)[0];
  }

  private engineAt(root: string): QueryEngine {
    let engine = this.engines.get(root);
    if (!engine) {
      engine = this.createEngine();
      engine.configure(root || undefined, this.settings);
      engine.onDidChange(() => this.fireChange());
      this.engines.set(root, engine);
    }
    return engine;
  }

  private fireChange(): void {
    for (const listener of this.listeners) listener();
  }
}

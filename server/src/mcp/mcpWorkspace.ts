/**
 * What `aq mcp` serves from one workspace folder: its sources and schemas, lint, runs and the
 * request a query would send, through the same language service and query engine as `aq lint`
 * and `aq run`. Read-only: nothing here sends events, watches, pulls or writes a workspace file;
 * every path an agent names must resolve inside the workspace, and credentials come from the
 * environment as for the CLI.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { getAqLanguageService, sourceRefOf } from '../languageService/analyticsLanguageService';
import type { AnalyticsSchema, QueryDiagnostic } from '../languageService/analyticsTypes';
import type { QueryBlock } from '../languageService/parser/queryAst';
import { queryTitle } from '../languageService/parser/queryTitle';
import { LineIndex } from '../languageService/textPositions';
import { buildQuerySpec } from '../queryContract/buildQuerySpec';
import { expectationsOf } from '../queryContract/expectations';
import type { QuerySpec, SourceRef } from '../queryContract/querySpec';
import type { GeneratedRequestResult, SourceStatus } from '../protocol/customRequests';
import type { QueryResult } from '../protocol/resultModel';
import type { SourceConfig } from '../queryEngine/analyticsBackend';
import { credentialForms, maskCredentialForms } from '../queryEngine/credentialMasking';
import {
  baseUrlProblemsFromEnv,
  credentialsFromEnv,
  engineSettingsFromEnv,
  envPrefixFor,
  secretMaterialFromEnv,
  vouchedCredentialsFromEnv,
} from '../queryEngine/credentialsFromEnv';
import { createQueryEngine } from '../queryEngine/queryEngine';
import { WorkspaceEngines } from '../queryEngine/workspaceEngines';
import { WORKSPACE_CONFIG_FILE } from '../queryEngine/workspaceConfig';
import { runExpectations, type ExpectationResult } from '../workflows/expectations/runExpectations';

type Env = Record<string, string | undefined>;

/** A problem with what the agent asked, said as a sentence it can act on (an `isError` tool result). */
export class McpInputError extends Error {}

export interface McpWorkspaceOptions {
  /** The workspace folder; relative paths in tool inputs resolve against it. */
  workspace: string;
  env: Env;
  /** Diagnostic lines for standard error; already masked. */
  log(message: string): void;
}

export interface SourceListing {
  name: string;
  kind: SourceStatus['kind'];
  isDefault: boolean;
  /** `present`/`missing` for remote sources (never the value); `not needed` for local data. */
  credentials: 'present' | 'missing' | 'not needed';
  /** The variables that hold the secrets, so an agent can tell the user what to set. */
  credentialVariables?: string[];
  schema?: { label?: string; fetchedAt?: string };
  /** Mixpanel's hourly query budget left, once a query has run. */
  budgetRemaining?: number;
  note?: string;
}

export interface LintedDiagnostic {
  code: string;
  severity: QueryDiagnostic['severity'];
  /** 1-based, as editors show them. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
  fixes: Array<{ title: string; preferred: boolean; edits: Array<{ line: number; column: number; endLine: number; endColumn: number; newText: string }> }>;
}

export interface LintOutcome {
  diagnostics: LintedDiagnostic[];
  /** Sources whose names could not be checked because no schema is known for them. */
  uncheckedSources: string[];
}

/** One query picked out of a file or a text, ready to run or explain. */
export interface SelectedQuery {
  block: QueryBlock;
  /** 1-based among the runnable queries. */
  number: number;
  title: string;
  spec: QuerySpec;
  documentPath: string;
  source: SourceConfig | undefined;
}

export interface QueryInput {
  file?: string;
  text?: string;
  query?: string | number;
}

/** Credentials each kind of source reads from the environment (suffixes of `AQ_<NAME>_`). */
const CREDENTIAL_SUFFIXES: Record<string, string[]> = {
  mixpanel: ['USERNAME', 'SECRET'],
  piwik: ['CLIENT_ID', 'CLIENT_SECRET'],
  mparticle: ['API_KEY', 'API_SECRET'],
};

export class McpWorkspace {
  readonly root: string;
  private readonly realRoot: string;
  private readonly engines: WorkspaceEngines;
  private readonly forms: string[];
  private readonly service = getAqLanguageService();
  private configStamp: string | undefined;

  constructor(private readonly options: McpWorkspaceOptions) {
    this.root = resolve(options.workspace);
    this.realRoot = realpathSync(this.root);
    this.forms = credentialForms(secretMaterialFromEnv(options.env));
    this.engines = new WorkspaceEngines(() =>
      createQueryEngine({
        cacheDir: options.env.AQ_CACHE_DIR,
        log: (message) => options.log(this.mask(message)),
        backgroundCredentials: (source) => this.credentialsFor(source),
      }),
    );
    this.refreshConfiguration();
  }

  /** `text` with every form of every secret in the environment replaced by `****`. */
  mask(text: string): string {
    return this.forms.length === 0 ? text : maskCredentialForms(text, this.forms);
  }

  /** A line for standard error, masked. */
  logLine(message: string): void {
    this.options.log(this.mask(message));
  }

  /** Problems with aq.json and AQ_<NAME>_BASE_URL, for the log and for answers that depend on them. */
  configurationProblems(): string[] {
    this.refreshConfiguration();
    return [...this.engines.configurationProblems(), ...baseUrlProblemsFromEnv(this.engines.knownSources(), this.options.env)];
  }

  listSources(): SourceListing[] {
    this.refreshConfiguration();
    return this.engines.status().map((status) => {
      const suffixes = CREDENTIAL_SUFFIXES[status.kind];
      const listing: SourceListing = {
        name: status.name,
        kind: status.kind,
        isDefault: status.isDefault,
        credentials: suffixes ? (credentialsFromEnv(status.name, this.options.env) ? 'present' : 'missing') : 'not needed',
      };
      if (suffixes) listing.credentialVariables = suffixes.map((suffix) => `${envPrefixFor(status.name)}${suffix}`);
      if (status.schemaLabel || status.schemaFetchedAt) listing.schema = { label: status.schemaLabel, fetchedAt: status.schemaFetchedAt };
      if (status.budgetRemaining !== undefined) listing.budgetRemaining = status.budgetRemaining;
      if (status.kind === 'mparticle') listing.note = 'receives events sent with "aq send"; runs no queries';
      return listing;
    });
  }

  /** The schema of a source (the default one without a name), fetching a remote one when none is known yet. */
  async schemaOf(sourceName: string | undefined, signal: AbortSignal): Promise<{ source: SourceConfig; schema: AnalyticsSchema }> {
    this.refreshConfiguration();
    const documentPath = this.defaultDocumentPath();
    const source = sourceName === undefined ? this.engines.resolveSource(undefined, documentPath) : this.configuredSource(sourceName);
    if (!source) {
      const known = [...this.engines.knownSources()];
      throw new McpInputError(
        sourceName === undefined
          ? `The workspace has no default source (set "default" in aq.json, or name one of: ${known.join(', ') || 'none configured'}).`
          : `No source named "${sourceName}" in aq.json (known: ${known.join(', ') || 'none'}).`,
      );
    }
    const ref: SourceRef = { kind: source.kind, name: source.name };
    let schema = await this.engines.loadSchema(ref, documentPath);
    if (!schema && source.kind !== 'local' && !(source.kind === 'mixpanel' && source.schemaFile)) {
      await this.engines.refreshSchema(source.name, { signal, getCredentials: (config) => this.credentialsFor(config) });
      schema = this.engines.schemaFor(ref, documentPath);
    }
    if (!schema) {
      const why = this.engines.schemaErrorFor(ref, documentPath);
      throw new McpInputError(`No schema is known for source "${source.name}"${why ? `: ${why}` : ''}.`);
    }
    return { source, schema };
  }

  /** The editor's diagnostics for a text, with 1-based positions and each fix as text edits. */
  async lint(text: string, path: string | undefined): Promise<LintOutcome> {
    this.refreshConfiguration();
    const documentPath = path === undefined ? this.defaultDocumentPath() : this.insideWorkspace(path, { mustExist: false });
    const unchecked = new Set<string>();
    const load = async (ref: SourceRef | undefined): Promise<AnalyticsSchema | undefined> => {
      const schema = await this.engines.loadSchema(ref, documentPath);
      const source = this.engines.resolveSource(ref, documentPath);
      if (!schema && source) unchecked.add(source.name);
      return schema;
    };
    let diagnostics: QueryDiagnostic[];
    if (extname(documentPath).toLowerCase() === '.jql') {
      diagnostics = this.service.validateJql(text, await load(undefined));
    } else {
      const document = this.service.parse(text);
      const schemas = new Map<string, AnalyticsSchema | undefined>();
      const keyOf = (ref: SourceRef | undefined): string => (ref ? `${ref.kind}\u0000${ref.name}` : '');
      for (const ref of [undefined, ...document.uses.map((use) => sourceRefOf(use))]) {
        if (!schemas.has(keyOf(ref))) schemas.set(keyOf(ref), await load(ref));
      }
      diagnostics = this.service.validate(
        document,
        text,
        (ref) => (schemas.has(keyOf(ref)) ? schemas.get(keyOf(ref)) : this.engines.schemaFor(ref, documentPath)),
        {
          fileExists: (scriptPath) => this.isWorkspaceFile(resolve(dirname(documentPath), scriptPath)),
          knownSources: this.engines.knownSources(documentPath),
        },
      );
    }
    const lines = new LineIndex(text);
    const oneBased = (span: { start: number; end: number }) => {
      const range = lines.rangeOf(span);
      return { line: range.start.line + 1, column: range.start.character + 1, endLine: range.end.line + 1, endColumn: range.end.character + 1 };
    };
    return {
      diagnostics: diagnostics.map((diagnostic) => ({
        code: diagnostic.code,
        severity: diagnostic.severity,
        ...oneBased(diagnostic.span),
        message: diagnostic.message,
        fixes: (diagnostic.fixes ?? []).map((fix) => ({
          title: fix.title,
          preferred: fix.isPreferred === true,
          edits: fix.edits.map((edit) => ({ ...oneBased(edit.span), newText: edit.newText })),
        })),
      })),
      uncheckedSources: [...unchecked],
    };
  }

  /** The query `input` names, built into a spec; throws McpInputError with the reason otherwise. */
  selectQuery(input: QueryInput): SelectedQuery {
    this.refreshConfiguration();
    if ((input.file === undefined) === (input.text === undefined))
      throw new McpInputError('Give either "file" (a .aq file in the workspace) or "text" (the query text), not both.');
    let text: string;
    let documentPath: string;
    if (input.file !== undefined) {
      documentPath = this.insideWorkspace(input.file, { mustExist: true });
      if (extname(documentPath).toLowerCase() !== '.aq') throw new McpInputError(`"${input.file}" is not an .aq file.`);
      text = readFileSync(documentPath, 'utf8');
    } else {
      text = input.text!;
      documentPath = this.defaultDocumentPath();
    }
    const document = this.service.parse(text);
    const runnable = document.queries.filter((block) => block.head !== undefined);
    if (runnable.length === 0) throw new McpInputError('The text has no query (a query starts with a line such as `segmentation "Event"`).');
    const { block, number } = pickQuery(runnable, input.query);
    const title = queryTitle(block);
    const problems = document.problems.filter((problem) => problem.span.start >= block.span.start && problem.span.start <= block.span.end);
    const lines = new LineIndex(text);
    const at = (offset: number): string => `line ${lines.positionAt(offset).line + 1}`;
    if (problems.length > 0) {
      throw new McpInputError(
        `Query ${number} ("${title}") has syntax errors: ${problems.map((p) => `${at(p.span.start)}: ${p.message}`).join('; ')}. Run lint_query for fixes.`,
      );
    }
    const engineDefault = this.engines.defaultSource(documentPath);
    const source = this.engines.resolveSource(sourceRefOf(block.source) ?? engineDefault, documentPath);
    const built = buildQuerySpec(block, { now: new Date(), timezone: source?.timezone, defaultSource: engineDefault });
    if (!built.ok)
      throw new McpInputError(`Query ${number} ("${title}") cannot run: ${built.errors.map((e) => `${at(e.span.start)}: ${e.message}`).join('; ')}`);
    this.checkReadsStayInside(built.spec, source, documentPath);
    return { block, number, title, spec: built.spec, documentPath, source };
  }

  async run(selected: SelectedQuery, signal: AbortSignal): Promise<QueryResult> {
    return this.engines.run(selected.spec, selected.documentPath, {
      signal,
      getCredentials: (config) => this.credentialsFor(config),
    });
  }

  /**
   * Checks the `expect` clauses of an .aq file in the workspace, as `aq test FILE` does (only the
   * queries that have them run). Every such query's reads must stay inside the workspace first.
   */
  async runTests(file: string, signal: AbortSignal): Promise<ExpectationResult[]> {
    this.refreshConfiguration();
    const documentPath = this.insideWorkspace(file, { mustExist: true });
    if (extname(documentPath).toLowerCase() !== '.aq') throw new McpInputError(`"${file}" is not an .aq file.`);
    const text = readFileSync(documentPath, 'utf8');
    const document = this.service.parse(text);
    const engineDefault = this.engines.defaultSource(documentPath);
    for (const block of document.queries) {
      if (block.head === undefined || expectationsOf(block, text).length === 0) continue;
      const source = this.engines.resolveSource(sourceRefOf(block.source) ?? engineDefault, documentPath);
      const built = buildQuerySpec(block, { now: new Date(), timezone: source?.timezone, defaultSource: engineDefault });
      // A query that does not build needs no check: the run reports it as an error of its expectations.
      if (built.ok) this.checkReadsStayInside(built.spec, source, documentPath);
    }
    return runExpectations({
      engine: this.engines,
      path: documentPath,
      displayPath: relative(this.root, documentPath),
      text,
      document,
      signal,
      getCredentials: (config) => this.credentialsFor(config),
    });
  }

  async explain(selected: SelectedQuery): Promise<GeneratedRequestResult> {
    return this.engines.generatedRequest(selected.spec, selected.documentPath);
  }

  /** The hourly budget left on a Mixpanel source, as aq counts it. */
  budgetOf(sourceName: string): number | undefined {
    return this.engines.status().find((status) => status.name === sourceName)?.budgetRemaining;
  }

  dispose(): void {
    this.engines.dispose();
  }

  /**
   * A path an agent gave, resolved inside the workspace. `..` escapes and absolute paths elsewhere
   * are refused, and so is a symbolic link that leads out: the agent may read the workspace only.
   */
  insideWorkspace(path: string, options: { mustExist: boolean }): string {
    if (path.includes('\0')) throw new McpInputError('The path contains a NUL character.');
    const full = resolve(this.root, path);
    if (!isWithin(this.root, full)) throw new McpInputError(`"${path}" is outside the workspace ${this.root}; name a file inside it.`);
    if (!existsSync(full)) {
      if (options.mustExist) throw new McpInputError(`"${path}" does not exist in the workspace.`);
      return full;
    }
    if (!isWithin(this.realRoot, realpathSync(full)))
      throw new McpInputError(`"${path}" leads outside the workspace (a symbolic link); name a file inside it.`);
    if (options.mustExist && !statSync(full).isFile()) throw new McpInputError(`"${path}" is a folder, not a file.`);
    return full;
  }

  private isWorkspaceFile(path: string): boolean {
    try {
      return isWithin(this.realRoot, realpathSync(path)) && statSync(path).isFile();
    } catch {
      return false;
    }
  }

  /** A JQL script or a `use local "file"` named in the query text must lie inside the workspace too. */
  private checkReadsStayInside(spec: QuerySpec, source: SourceConfig | undefined, documentPath: string): void {
    if (spec.kind === 'jql') {
      const script = resolve(dirname(documentPath), spec.scriptPath);
      if (!isWithin(this.root, script) || (existsSync(script) && !isWithin(this.realRoot, realpathSync(script)))) {
        throw new McpInputError(`The JQL script "${spec.scriptPath}" is outside the workspace; aq mcp reads files inside ${this.root} only.`);
      }
    }
    if (source?.kind === 'local' && !this.engines.knownSources(documentPath).has(source.name)) {
      const data = source.path;
      if (!isWithin(this.root, data) || (existsSync(data) && !isWithin(this.realRoot, realpathSync(data)))) {
        throw new McpInputError(`The data file "${source.name}" is outside the workspace; aq mcp reads files inside ${this.root} only.`);
      }
    }
  }

  private configuredSource(name: string): SourceConfig | undefined {
    const documentPath = this.defaultDocumentPath();
    if (!this.engines.knownSources(documentPath).has(name)) return undefined;
    for (const kind of ['mixpanel', 'piwik', 'local'] as const) {
      const source = this.engines.resolveSource({ kind, name }, documentPath);
      if (source) return source;
    }
    return undefined;
  }

  private async credentialsFor(source: SourceConfig) {
    return source.kind === 'local' ? undefined : vouchedCredentialsFromEnv(source, this.options.env, []);
  }

  /** Where a query given as text lives: the workspace root, so relative paths resolve as for a file there. */
  private defaultDocumentPath(): string {
    return join(this.root, 'query.aq');
  }

  /** (Re)reads aq.json when it changed since the last tool call: the server lives as long as the agent's session. */
  private refreshConfiguration(): void {
    const configFile = join(this.root, WORKSPACE_CONFIG_FILE);
    let stamp = 'none';
    try {
      const stats = statSync(configFile);
      stamp = `${stats.mtimeMs}:${stats.size}`;
    } catch {
      // No aq.json: an empty configuration, which local `use local "file"` queries still run on.
    }
    if (stamp === this.configStamp) return;
    this.configStamp = stamp;
    this.engines.configureFolders([this.root], engineSettingsFromEnv(this.root, this.options.env));
    for (const problem of this.engines.configurationProblems()) this.options.log(this.mask(`aq.json: ${problem}`));
  }
}

/** `query` as a 1-based number (a number or a string of digits) or a title (case-insensitive); the first runnable query without one. */
function pickQuery(runnable: QueryBlock[], wanted: string | number | undefined): { block: QueryBlock; number: number } {
  if (wanted === undefined) {
    if (runnable.length === 1) return { block: runnable[0], number: 1 };
    throw new McpInputError(`The text has ${runnable.length} queries; say which one with "query" (a number from 1 or a title: ${titles(runnable)}).`);
  }
  if (typeof wanted === 'number' || /^\d+$/.test(wanted)) {
    const number = Number(wanted);
    const block = runnable[number - 1];
    if (!block) throw new McpInputError(`There is no query number ${number}; the file has ${runnable.length} (numbered from 1).`);
    return { block, number };
  }
  const index = runnable.findIndex((block) => block.title?.toLowerCase() === wanted.toLowerCase());
  if (index < 0) throw new McpInputError(`No query titled "${wanted}" (titles: ${titles(runnable)}).`);
  return { block: runnable[index], number: index + 1 };
}

function titles(runnable: QueryBlock[]): string {
  const named = runnable.map((block) => block.title).filter((title): title is string => title !== undefined);
  return named.length > 0 ? named.map((title) => `"${title}"`).join(', ') : 'none has a ### title';
}

function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

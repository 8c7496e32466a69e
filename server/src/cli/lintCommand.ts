/**
 * `aq lint [--schema FILE]... [--format text|json] FILE...`: the editor's diagnostics in a
 * terminal or CI job. Exit code 0 means no errors, 1 errors found, 2 a usage or file problem.
 * With `--schema` the given schema stands in for every source's configuration, so a file lints
 * with no aq.json (and no credentials) around it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { getAqLanguageService } from '../languageService/analyticsLanguageService';
import type { AnalyticsSchema, EventSchema, QueryDiagnostic } from '../languageService/analyticsTypes';
import { LineIndex, type LineRange } from '../languageService/textPositions';
import { schemaFromLexicon } from '../queryContract/lexiconSchema';
import type { SourceRef } from '../queryContract/querySpec';
import { createQueryEngine } from '../queryEngine/queryEngine';
import type { QueryEngine } from '../queryEngine/queryEngineTypes';
import { findWorkspaceRoot } from '../queryEngine/workspaceConfig';
import { eventFileKindOf } from '../workflows/send/eventFileFormat';
import { lintEventFile } from '../workflows/send/eventFileLint';
import type { CliIo } from './cliIo';
import { plural } from '../results/plural';

export const LINT_USAGE = `usage: aq lint [--schema FILE]... [--format text|json] FILE|FOLDER...

Checks .aq and .jql files, and event files to send (*.events.ndjson, *.events.json,
*.mparticle.json), and prints every problem.
  --schema FILE    a Lexicon schema (JSON) used for every source instead of the project's
                   configuration; repeat to merge several
  --format FORMAT  text (default; path:line:col: severity code: message) or json
                   (one array of { file, range, severity, code, message }, 0-based positions)
Exit status: 0 no errors, 1 errors found, 2 usage or file error.`;

type LintFormat = 'text' | 'json';

interface LintArguments {
  schemaFiles: string[];
  format: LintFormat;
  targets: string[];
}

/** One problem as `--format json` prints it. */
export interface LintProblem {
  file: string;
  range: LineRange;
  severity: QueryDiagnostic['severity'];
  code: string;
  message: string;
}

export async function lintCommand(args: string[], io: CliIo): Promise<number> {
  const parsed = parseLintArguments(args);
  if (parsed === 'help') {
    io.stdout(`${LINT_USAGE}\n`);
    return 0;
  }
  if (typeof parsed === 'string') {
    io.stderr(`aq lint: ${parsed}\n${LINT_USAGE}\n`);
    return 2;
  }

  let schemaOverride: AnalyticsSchema | undefined;
  if (parsed.schemaFiles.length > 0) {
    const schemas: AnalyticsSchema[] = [];
    for (const file of parsed.schemaFiles) {
      const schema = readSchemaFile(resolve(io.cwd, file));
      if (typeof schema === 'string') {
        io.stderr(`aq lint: cannot use schema ${file}: ${schema}\n`);
        return 2;
      }
      if (Object.keys(schema.events).length === 0 && Object.keys(schema.userProperties).length === 0) {
        io.stderr(`aq lint: warning: schema ${file} defines no events or user properties\n`);
      }
      schemas.push(schema);
    }
    schemaOverride = mergeSchemas(schemas, parsed.schemaFiles);
  }

  let hadFileError = false;
  const files: string[] = [];
  for (const target of parsed.targets) {
    const expanded = expandTarget(resolve(io.cwd, target));
    if (typeof expanded === 'string') {
      io.stderr(`aq lint: ${target}: ${expanded}\n`);
      hadFileError = true;
    } else {
      files.push(...expanded);
    }
  }

  const service = getAqLanguageService();
  const engines = new Map<string, QueryEngine>();
  const engineFor = (file: string): QueryEngine => {
    const root = findWorkspaceRoot(dirname(file));
    const key = root ?? '';
    let engine = engines.get(key);
    if (!engine) {
      engine = createQueryEngine({ cacheDir: io.env.AQ_CACHE_DIR });
      engine.configure(root, schemaOverride ? { schemaOverride } : {});
      if (!schemaOverride) {
        for (const problem of engine.configurationProblems())
          io.stderr(`aq lint: ${root ? relative(io.cwd, join(root, 'aq.json')) || 'aq.json' : 'aq.json'}: ${problem}\n`);
      }
      engines.set(key, engine);
    }
    return engine;
  };

  const problems: LintProblem[] = [];
  const sourcesWithoutSchema = new Set<string>();
  let errorCount = 0;
  let warningCount = 0;
  let otherCount = 0;
  let checked = 0;
  try {
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        io.stderr(`aq lint: ${displayPath(io.cwd, file)}: ${describeFsError(error)}\n`);
        hadFileError = true;
        continue;
      }
      checked++;
      const engine = engineFor(file);
      const diagnostics = await lintText(service, engine, file, text, schemaOverride !== undefined, (sourceName, loadError) => {
        if (sourcesWithoutSchema.has(sourceName)) return;
        sourcesWithoutSchema.add(sourceName);
        if (loadError !== undefined) {
          // A schemaFile that is set but cannot be read is a file error, not a missing schema: lint would pass unchecked.
          io.stderr(`aq lint: the schema of source "${sourceName}" could not be read (check "schemaFile" in aq.json): ${loadError}\n`);
          hadFileError = true;
          return;
        }
        io.stderr(
          `aq lint: note: no schema for source "${sourceName}" (no schemaFile and none fetched yet), so its event and property names are not checked; pass --schema FILE or set "schemaFile" in aq.json.\n`,
        );
      });
      const lines = new LineIndex(text);
      for (const diagnostic of diagnostics) {
        if (diagnostic.severity === 'error') errorCount++;
        else if (diagnostic.severity === 'warning') warningCount++;
        else otherCount++;
        problems.push({
          file: displayPath(io.cwd, file),
          range: lines.rangeOf(diagnostic.span),
          severity: diagnostic.severity,
          code: diagnostic.code,
          message: diagnostic.message,
        });
      }
    }
  } finally {
    for (const engine of engines.values()) engine.dispose();
  }

  if (parsed.format === 'json') {
    io.stdout(`${JSON.stringify(problems, null, 2)}\n`);
  } else {
    for (const problem of problems) {
      const { line, character } = problem.range.start;
      io.stdout(`${problem.file}:${line + 1}:${character + 1}: ${problem.severity} ${problem.code}: ${problem.message}\n`);
    }
    io.stdout(`${summary(checked, errorCount, warningCount, otherCount)}\n`);
  }
  if (hadFileError) return 2;
  return errorCount > 0 ? 1 : 0;
}

async function lintText(
  service: ReturnType<typeof getAqLanguageService>,
  engine: QueryEngine,
  file: string,
  text: string,
  hasSchemaOverride: boolean,
  onMissingSchema: (sourceName: string, loadError: string | undefined) => void,
): Promise<QueryDiagnostic[]> {
  const load = async (ref: SourceRef | undefined) => {
    const schema = await engine.loadSchema(ref, file);
    const source = engine.resolveSource(ref, file);
    if (!schema && source) onMissingSchema(source.name, engine.schemaErrorFor(ref, file));
    return schema;
  };
  if (isJql(file)) return service.validateJql(text, await load(undefined));
  // Event files are checked against the default source's schema, as in the editor.
  if (eventFileKindOf(file)) return lintEventFile(file, text, { schema: await load(undefined) });
  const document = service.parse(text);
  // The engine loads schemas in the background; the CLI waits for each one before linting.
  const schemas = new Map<string, AnalyticsSchema | undefined>();
  const keyOf = (ref: SourceRef | undefined) => (ref ? `${ref.kind}\u0000${ref.name}` : '');
  const refs: Array<SourceRef | undefined> = [undefined];
  for (const use of document.uses) {
    if (use.sourceKind && use.target) refs.push({ kind: use.sourceKind, name: use.target.value });
  }
  for (const ref of refs) {
    if (!schemas.has(keyOf(ref))) schemas.set(keyOf(ref), await load(ref));
  }
  return service.validate(document, text, (ref) => (schemas.has(keyOf(ref)) ? schemas.get(keyOf(ref)) : engine.schemaFor(ref, file)), {
    fileExists: (scriptPath) => isFile(resolve(dirname(file), scriptPath)),
    knownSources: hasSchemaOverride ? undefined : engine.knownSources(),
  });
}

function parseLintArguments(args: string[]): LintArguments | 'help' | string {
  const result: LintArguments = { schemaFiles: [], format: 'text', targets: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--') {
      result.targets.push(...args.slice(i + 1));
      break;
    }
    const [name, inlineValue] =
      arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (name === '--schema' || name === '--format') {
      const value = inlineValue ?? args[++i];
      if (value === undefined || value === '') return `${name} needs a value`;
      if (name === '--schema') {
        result.schemaFiles.push(value);
      } else if (value === 'text' || value === 'json') {
        result.format = value;
      } else {
        return `unknown format "${value}" (use text or json)`;
      }
    } else if (arg.startsWith('-') && arg !== '-') {
      return `unknown option ${arg}`;
    } else {
      result.targets.push(arg);
    }
  }
  if (result.targets.length === 0) return 'no files to lint';
  return result;
}

/** A file as is; a folder becomes the .aq and .jql files under it (hidden folders and node_modules skipped). */
function expandTarget(path: string): string[] | string {
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    return describeFsError(error);
  }
  if (!stats.isDirectory()) return [path];
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(aq|jql)$/i.test(entry.name) || eventFileKindOf(entry.name)) found.push(full);
    }
  };
  walk(path);
  return found.length > 0 ? found : 'no .aq, .jql or event files in this folder';
}

/** Reads a Lexicon schema file (or an already normalised aq schema) into one AnalyticsSchema. */
function readSchemaFile(path: string): AnalyticsSchema | string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return describeFsError(error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `not valid JSON (${(error as Error).message})`;
  }
  if (isNormalisedSchema(json)) return json;
  if (typeof json !== 'object' || json === null) return 'expected a Lexicon schema: an object with "results" or an array of entries';
  return schemaFromLexicon(json, { kind: 'file', label: path, fetchedAt: statSync(path).mtime.toISOString() });
}

function isNormalisedSchema(json: unknown): json is AnalyticsSchema {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const candidate = json as Record<string, unknown>;
  return (
    typeof candidate.events === 'object' &&
    candidate.events !== null &&
    typeof candidate.userProperties === 'object' &&
    candidate.userProperties !== null &&
    !('results' in candidate)
  );
}

/** Several `--schema` files become one: events and properties are united, later files win on conflicts. */
export function mergeSchemas(schemas: readonly AnalyticsSchema[], labels: readonly string[]): AnalyticsSchema {
  if (schemas.length === 1) return schemas[0];
  const events: Record<string, EventSchema> = {};
  const userProperties: AnalyticsSchema['userProperties'] = {};
  for (const schema of schemas) {
    for (const [name, event] of Object.entries(schema.events)) {
      const existing = Object.hasOwn(events, name) ? events[name] : undefined;
      setOwn(events, name, existing ? { ...existing, ...event, properties: mergeOwn(existing.properties, event.properties) } : event);
    }
    for (const [name, property] of Object.entries(schema.userProperties)) setOwn(userProperties, name, property);
  }
  return { events, userProperties, origin: { kind: 'file', label: labels.join(', '), fetchedAt: schemas[0].origin?.fetchedAt } };
}

/** Event and property names are user data: `__proto__` must become a key, not a prototype. */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function mergeOwn<T>(first: Record<string, T>, second: Record<string, T>): Record<string, T> {
  const merged: Record<string, T> = {};
  for (const [key, value] of [...Object.entries(first), ...Object.entries(second)]) setOwn(merged, key, value);
  return merged;
}

function summary(files: number, errors: number, warnings: number, others: number): string {
  const parts = [plural(errors, 'error'), plural(warnings, 'warning')];
  if (others > 0) parts.push(`${others} info`);
  return `${plural(files, 'file')} checked: ${parts.join(', ')}`;
}

function isJql(file: string): boolean {
  return extname(file).toLowerCase() === '.jql';
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function displayPath(cwd: string, file: string): string {
  const shown = relative(cwd, file);
  return shown === '' || shown.startsWith('..') ? file : shown;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a folder';
  return (error as Error)?.message ?? String(error);
}

/**
 * `aq schema pull SOURCE [--output FILE]` writes a source's live schema as a Lexicon file (the
 * source's `schemaFile` unless --output names another), sorted so that committing it again after a
 * pull shows only what changed. `aq schema diff SOURCE [--format text|json]` compares the committed
 * `schemaFile` with the live schema: exit 0 no drift, 1 drift, 2 error. A local source's live
 * schema is the one derived from its data; a Mixpanel source's is its Lexicon (or, without Lexicon
 * access, its event listing).
 */
import { relative, resolve } from 'node:path';
import { driftCounts, formatDriftText, hasDrift, schemaDrift } from '../queryContract/schemaDrift';
import type { AnalyticsSchema } from '../queryContract/schemaTypes';
import { isBackendError } from '../queryEngine/backendErrors';
import { allowHostProblems, baseUrlProblemsFromEnv, engineSettingsFromEnv, vouchedCredentialsFromEnv } from '../queryEngine/credentialsFromEnv';
import { createQueryEngine } from '../queryEngine/queryEngine';
import type { QueryEngine } from '../queryEngine/queryEngineTypes';
import type { SourceConfig } from '../queryEngine/sourceConfig';
import { findWorkspaceRoot, WORKSPACE_CONFIG_FILE } from '../queryEngine/workspaceConfig';
import { readSchemaSnapshot, writeSchemaSnapshot } from '../workflows/schema/schemaSnapshot';
import { parseCliArguments, type OptionSpec } from './cliArguments';
import { withMaskedOutput, type CliIo } from './cliIo';

const PULL_FORM = 'aq schema pull SOURCE [--output FILE] [--allow-host HOST]...';
const DIFF_FORM = 'aq schema diff SOURCE [--format text|json] [--allow-host HOST]...';
const PULL_USAGE = `usage: ${PULL_FORM}`;
const DIFF_USAGE = `usage: ${DIFF_FORM}`;
const USAGE = `usage: ${PULL_FORM}\n       ${DIFF_FORM}`;
const FORMATS = ['text', 'json'] as const;

export async function schemaCommand(args: string[], rawIo: CliIo): Promise<number> {
  const io = withMaskedOutput(rawIo);
  const [subcommand, ...rest] = args;
  if (subcommand === undefined || subcommand === '--help' || subcommand === '-h') {
    (subcommand === undefined ? io.stderr : io.stdout)(`${USAGE}\n`);
    return subcommand === undefined ? 2 : 0;
  }
  if (subcommand !== 'pull' && subcommand !== 'diff') {
    io.stderr(`aq schema: unknown subcommand "${subcommand}" (pull or diff)\n${USAGE}\n`);
    return 2;
  }
  const usage = subcommand === 'pull' ? PULL_USAGE : DIFF_USAGE;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${usage}\n`);
    return 0;
  }
  const allowHost: OptionSpec = { value: 'a host or an origin such as http://127.0.0.1:4010', repeatable: true };
  const parsed = parseCliArguments<string>(
    rest,
    subcommand === 'pull'
      ? { output: { alias: '-o', value: 'a file' }, 'allow-host': allowHost }
      : { format: { alias: '-f', value: `one of ${FORMATS.join(', ')}` }, 'allow-host': allowHost },
  );
  if (typeof parsed === 'string') {
    io.stderr(`aq schema ${subcommand}: ${parsed.replace(/FILE/g, 'SOURCE')}\n${usage}\n`);
    return 2;
  }
  const options = parsed.options as Partial<Record<string, string>>;
  const format = options.format ?? 'text';
  if (!FORMATS.includes(format as (typeof FORMATS)[number])) {
    io.stderr(`aq schema diff: --format must be one of ${FORMATS.join(', ')}\n${usage}\n`);
    return 2;
  }
  const allowHosts = parsed.lists['allow-host'] ?? [];
  const rootDir = findWorkspaceRoot(io.cwd);
  if (!rootDir) {
    io.stderr(`aq schema ${subcommand}: no ${WORKSPACE_CONFIG_FILE} in ${io.cwd} or a folder above it; the source "${parsed.file}" is configured there.\n`);
    return 2;
  }
  const engine = createQueryEngine({ cacheDir: io.env.AQ_CACHE_DIR });
  try {
    engine.configure(rootDir, engineSettingsFromEnv(rootDir, io.env));
    const source = engine.sourceNamed(parsed.file);
    if (!source) {
      const problem = engine.configurationProblems().find((text) => text.includes(`source "${parsed.file}"`));
      io.stderr(
        `aq schema ${subcommand}: ${problem ?? `no source named "${parsed.file}" in ${WORKSPACE_CONFIG_FILE} (known: ${[...engine.knownSources()].join(', ') || 'none'})`}\n`,
      );
      return 2;
    }
    const setupProblems = [...allowHostProblems(allowHosts), ...baseUrlProblemsFromEnv([source.name], io.env)];
    if (setupProblems.length > 0) {
      for (const problem of setupProblems) io.stderr(`aq schema ${subcommand}: ${problem}\n`);
      return 2;
    }
    const context: SchemaCommandContext = { engine, source, rootDir, io, allowHosts };
    return subcommand === 'pull' ? await pull(context, options.output) : await diff(context, format as (typeof FORMATS)[number]);
  } finally {
    engine.dispose();
  }
}

interface SchemaCommandContext {
  engine: QueryEngine;
  source: SourceConfig;
  rootDir: string;
  io: CliIo;
  allowHosts: string[];
}

/** The file the live schema goes to: --output (against the working directory), else the source's schemaFile. */
async function pull({ engine, source, rootDir, io, allowHosts }: SchemaCommandContext, output: string | undefined): Promise<number> {
  const target = output !== undefined ? resolve(io.cwd, output) : schemaFileOf(source);
  if (!target) {
    io.stderr(
      `aq schema pull: source "${source.name}" has no "schemaFile" in ${WORKSPACE_CONFIG_FILE}; add one (e.g. "schema/${source.name}.lexicon.json") or pass --output FILE.\n`,
    );
    return 2;
  }
  const live = await fetchLive(engine, source, io, allowHosts, 'pull');
  if (typeof live === 'number') return live;
  try {
    await writeSchemaSnapshot(target, live);
  } catch (error) {
    io.stderr(`aq schema pull: could not write ${target}: ${(error as Error).message}\n`);
    return 2;
  }
  const properties = Object.values(live.events).reduce((sum, event) => sum + Object.keys(event.properties).length, 0);
  io.stdout(
    `Wrote ${displayPath(target, rootDir)}: ${counted(Object.keys(live.events).length, 'event', 'events')}, ${counted(properties, 'event property', 'event properties')} (${live.origin?.label ?? source.name}).\n`,
  );
  return 0;
}

async function diff({ engine, source, rootDir, io, allowHosts }: SchemaCommandContext, format: 'text' | 'json'): Promise<number> {
  const file = schemaFileOf(source);
  if (!file) {
    io.stderr(
      `aq schema diff: source "${source.name}" has no "schemaFile" in ${WORKSPACE_CONFIG_FILE} to compare with; write one with "aq schema pull ${source.name} --output FILE" and name it there.\n`,
    );
    return 2;
  }
  const committed = await readCommitted(file, io);
  if (!committed) return 2;
  const live = await fetchLive(engine, source, io, allowHosts, 'diff');
  if (typeof live === 'number') return 2;
  const drift = schemaDrift(source.name, committed, live);
  if (format === 'json') {
    io.stdout(`${JSON.stringify(drift, null, 2)}\n`);
  } else if (!hasDrift(drift)) {
    io.stdout(`No drift: ${displayPath(file, rootDir)} matches the live schema of "${source.name}" (${live.origin?.label ?? 'live'}).\n`);
  } else {
    const { events, properties } = driftCounts(drift);
    io.stdout(`${displayPath(file, rootDir)} → live schema of "${source.name}" (${live.origin?.label ?? 'live'}):\n`);
    io.stdout(`${formatDriftText(drift)}\n`);
    io.stdout(
      `Schema drift: ${counted(events, 'event', 'events')}, ${counted(properties, 'property', 'properties')}. "aq schema pull ${source.name}" updates the file.\n`,
    );
  }
  return hasDrift(drift) ? 1 : 0;
}

function schemaFileOf(source: SourceConfig): string | undefined {
  return source.kind === 'piwik' ? undefined : source.schemaFile;
}

/** The committed Lexicon file, or undefined after saying why it cannot be read. */
async function readCommitted(file: string, io: CliIo): Promise<AnalyticsSchema | undefined> {
  const read = await readSchemaSnapshot(file);
  if (!read.ok) {
    io.stderr(`aq schema diff: ${read.reason}\n`);
    return undefined;
  }
  for (const problem of read.problems) io.stderr(`aq schema diff: ${file}: ${problem.path}: ${problem.message}\n`);
  return read.schema;
}

/** The live schema, or the exit code after the error was said (1 for pull, 2 for diff, whose 1 means drift). */
async function fetchLive(
  engine: QueryEngine,
  source: SourceConfig,
  io: CliIo,
  allowHosts: string[],
  subcommand: 'pull' | 'diff',
): Promise<AnalyticsSchema | number> {
  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort();
  process.once('SIGINT', onInterrupt);
  try {
    return await engine.liveSchema(source.name, undefined, {
      signal: controller.signal,
      getCredentials: async (config) => (config.kind === 'local' ? undefined : vouchedCredentialsFromEnv(config, io.env, allowHosts)),
    });
  } catch (error) {
    if (!isBackendError(error)) throw error;
    io.stderr(`aq schema ${subcommand}: ${error.message}${error.details.hint ? `\n  hint: ${error.details.hint}` : ''}\n`);
    return error.kind === 'config' || subcommand === 'diff' ? 2 : 1;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

function displayPath(path: string, rootDir: string): string {
  const shown = relative(rootDir, path);
  return shown.startsWith('..') ? path : shown;
}

function counted(count: number, one: string, many: string): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;
}

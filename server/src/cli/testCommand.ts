/**
 * `aq test [FILE|FOLDER...] [--source NAME] [--format text|json|junit] [--output FILE] [--allow-host HOST]...`:
 * runs the queries that have `expect` clauses (every other query is skipped, not run) and checks
 * each expectation, like a test runner. Folders are searched for `.aq` files recursively; without
 * an argument, the current folder. Exit 0 when every expectation passed, 1 when one failed or its
 * query errored, 2 on a usage or file error.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { SourceRef } from '../queryContract/querySpec';
import { allowHostProblems, baseUrlProblemsFromEnv, engineSettingsFromEnv, vouchedCredentialsFromEnv } from '../queryEngine/credentialsFromEnv';
import { createQueryEngine } from '../queryEngine/queryEngine';
import type { QueryEngine } from '../queryEngine/queryEngineTypes';
import { findWorkspaceRoot } from '../queryEngine/workspaceConfig';
import { expectationsJunit, expectationsJson, expectationsSummary, expectationsText } from '../workflows/expectations/expectationReports';
import { runExpectations, type ExpectationResult } from '../workflows/expectations/runExpectations';
import { withMaskedOutput, type CliIo } from './cliIo';

const USAGE = 'usage: aq test [FILE|FOLDER...] [--source NAME] [--format text|json|junit] [--output FILE] [--allow-host HOST]...';
const FORMATS = ['text', 'json', 'junit'] as const;
type TestFormat = (typeof FORMATS)[number];

/** Folders never searched for `.aq` files: dependencies and tool state, not a team's checks. */
const SKIPPED_FOLDERS = new Set(['node_modules']);

interface TestArguments {
  paths: string[];
  source: string | undefined;
  format: TestFormat;
  output: string | undefined;
  allowHosts: string[];
}

export async function testCommand(args: string[], rawIo: CliIo): Promise<number> {
  const io = withMaskedOutput(rawIo);
  if (args.includes('-h') || args.includes('--help')) {
    io.stdout(
      `${USAGE}\n\nRuns the queries that have expect clauses and checks each expectation.\nExit status: 0 all passed, 1 a failure or an error, 2 usage or file error.\n`,
    );
    return 0;
  }
  const parsed = parseTestArguments(args);
  if (typeof parsed === 'string') {
    io.stderr(`aq test: ${parsed}\n${USAGE}\n`);
    return 2;
  }
  const files = collectFiles(parsed.paths.length > 0 ? parsed.paths : ['.'], io.cwd);
  if (typeof files === 'string') {
    io.stderr(`aq test: ${files}\n`);
    return 2;
  }

  const engines = new Map<string, { engine: QueryEngine; source: SourceRef | undefined }>();
  const results: ExpectationResult[] = [];
  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort();
  process.once('SIGINT', onInterrupt);
  try {
    for (const file of files) {
      const rootDir = findWorkspaceRoot(dirname(file)) ?? dirname(file);
      let entry = engines.get(rootDir);
      if (!entry) {
        const engine = createQueryEngine({ cacheDir: io.env.AQ_CACHE_DIR });
        engine.configure(rootDir, engineSettingsFromEnv(rootDir, io.env));
        const problems = [...engine.configurationProblems(), ...allowHostProblems(parsed.allowHosts), ...baseUrlProblemsFromEnv(engine.knownSources(), io.env)];
        const source = parsed.source === undefined ? undefined : namedSource(engine, parsed.source, file);
        if (parsed.source !== undefined && !source) {
          problems.push(
            `no source named "${parsed.source}" in ${join(relative(io.cwd, rootDir) || '.', 'aq.json')} (known: ${[...engine.knownSources()].join(', ') || 'none'})`,
          );
        }
        engines.set(rootDir, (entry = { engine, source }));
        if (problems.length > 0) {
          for (const problem of problems) io.stderr(`aq test: ${problem}\n`);
          return 2;
        }
      }
      const displayPath = relative(io.cwd, file) || file;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        io.stderr(`aq test: ${displayPath}: ${(error as Error).message}\n`);
        return 2;
      }
      const fileResults = await runExpectations({
        engine: entry.engine,
        path: file,
        displayPath,
        text,
        sourceOverride: entry.source,
        signal: controller.signal,
        getCredentials: async (config) => (config.kind === 'local' ? undefined : vouchedCredentialsFromEnv(config, io.env, parsed.allowHosts)),
        // Progress on standard error, as aq run does: the report on standard output stays clean.
        onQueryStart: (title) => io.stderr(`▸ ${displayPath} · ${title} …\n`),
      });
      results.push(...fileResults);
      if (controller.signal.aborted) break;
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    for (const { engine } of engines.values()) engine.dispose();
  }

  const report = parsed.format === 'json' ? expectationsJson(results) : parsed.format === 'junit' ? expectationsJunit(results) : expectationsText(results);
  if (parsed.output !== undefined) {
    const outputPath = resolve(io.cwd, parsed.output);
    // The file gets the same masking as the terminal: a report is often kept as a CI artifact.
    let masked = '';
    withMaskedOutput({ ...rawIo, stdout: (text) => void (masked += text) }).stdout(report);
    try {
      writeFileSync(outputPath, masked);
    } catch (error) {
      io.stderr(`aq test: cannot write ${parsed.output}: ${(error as Error).message}\n`);
      return 2;
    }
    io.stderr(`${expectationsSummary(results)} · report written to ${parsed.output}\n`);
  } else {
    io.stdout(report);
  }
  if (results.length === 0) io.stderr(`aq test: no query in ${files.length === 1 ? '1 file' : `${files.length} files`} has an expect clause\n`);
  return results.some((result) => result.status !== 'passed') ? 1 : 0;
}

function parseTestArguments(args: readonly string[]): TestArguments | string {
  const parsed: TestArguments = { paths: [], source: undefined, format: 'text', output: undefined, allowHosts: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = (): string | undefined => args[++i];
    switch (arg) {
      case '--source':
      case '-s': {
        const name = value();
        if (name === undefined) return '--source needs a source name';
        parsed.source = name;
        break;
      }
      case '--format':
      case '-f': {
        const format = value();
        if (!FORMATS.includes(format as TestFormat)) return `--format must be one of ${FORMATS.join(', ')}`;
        parsed.format = format as TestFormat;
        break;
      }
      case '--output':
      case '-o': {
        const output = value();
        if (output === undefined) return '--output needs a file';
        parsed.output = output;
        break;
      }
      case '--allow-host': {
        const host = value();
        if (host === undefined) return '--allow-host needs a host or an origin such as http://127.0.0.1:4010';
        parsed.allowHosts.push(host);
        break;
      }
      default:
        if (arg.startsWith('-') && arg !== '-') return `unknown option ${arg}`;
        parsed.paths.push(arg);
    }
  }
  return parsed;
}

function namedSource(engine: QueryEngine, name: string, file: string): SourceRef | undefined {
  if (!engine.knownSources().has(name)) return undefined;
  const configured =
    engine.resolveSource({ kind: 'mixpanel', name }, file) ??
    engine.resolveSource({ kind: 'piwik', name }, file) ??
    engine.resolveSource({ kind: 'local', name }, file);
  return configured ? { kind: configured.kind, name: configured.name } : undefined;
}

/** The `.aq` files named or inside the named folders (recursively), sorted, each once; or what is wrong. */
function collectFiles(paths: readonly string[], cwd: string): string[] | string {
  const found = new Set<string>();
  for (const path of paths) {
    const absolute = resolve(cwd, path);
    let stats;
    try {
      stats = statSync(absolute);
    } catch {
      return `${path}: no such file or folder`;
    }
    if (stats.isDirectory()) {
      for (const file of aqFilesIn(absolute)) found.add(file);
    } else {
      found.add(absolute);
    }
  }
  return [...found];
}

function aqFilesIn(folder: string): string[] {
  const files: string[] = [];
  let entries;
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    return files;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || SKIPPED_FOLDERS.has(entry.name)) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...aqFilesIn(path));
    else if (entry.isFile() && entry.name.endsWith('.aq')) files.push(path);
  }
  return files;
}

/**
 * `aq run FILE [--query TITLE|N] [--source NAME] [--format table|csv|json|markdown|cyfe] [--allow-host HOST]…`: runs the queries of
 * an .aq file through the same engine the editor uses and prints their results. Results go to
 * stdout, progress and errors to stderr, so `aq run x.aq --format csv > out.csv` stays clean.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildQuerySpec } from '../queryContract/buildQuerySpec';
import { parseAqDocument } from '../languageService/parser/queryParser';
import { queryTitle } from '../languageService/parser/queryTitle';
import { isQueryNumber, queriesNamed, runnableQueries } from './querySelection';
import type { QueryBlock } from '../languageService/parser/queryAst';
import type { SourceRef } from '../queryContract/querySpec';
import type { QueryResult } from '../protocol/resultModel';
import { formatResultCsv } from '../results/resultCsv';
import { formatResultAsText } from '../results/formatText';
import { formatResultMarkdown } from '../results/resultMarkdown';
import { limitNoticeText } from '../protocol/limitNotice';
import { isBackendError } from '../queryEngine/backendErrors';
import { allowHostProblems, baseUrlProblemsFromEnv, engineSettingsFromEnv, vouchedCredentialsFromEnv } from '../queryEngine/credentialsFromEnv';
import { createQueryEngine } from '../queryEngine/queryEngine';
import { findWorkspaceRoot } from '../queryEngine/workspaceConfig';
import { existingInputFile, parseCliArguments } from './cliArguments';
import { withMaskedOutput, type CliIo } from './cliIo';

const USAGE = 'usage: aq run FILE [--query TITLE|N] [--source NAME] [--format table|csv|json|markdown|cyfe] [--allow-host HOST]...';
const FORMATS = ['table', 'csv', 'json', 'markdown', 'cyfe'] as const;
type OutputFormat = (typeof FORMATS)[number];

interface RunArguments {
  file: string;
  query: string | undefined;
  source: string | undefined;
  format: OutputFormat;
  /** Hosts (or http origins) the user trusts with the environment's secrets for this run. */
  allowHosts: string[];
}

export async function runCommand(args: string[], rawIo: CliIo): Promise<number> {
  const io = withMaskedOutput(rawIo);
  const parsed = parseRunArguments(args);
  if (typeof parsed === 'string') {
    io.stderr(`aq run: ${parsed}\n${USAGE}\n`);
    return 2;
  }
  const file = existingInputFile('run', parsed.file, io);
  if (!file) return 2;
  const text = readFileSync(file, 'utf8');
  const document = parseAqDocument(text);
  const selected = selectQueries(document.queries, parsed.query);
  if (typeof selected === 'string') {
    io.stderr(`aq run: ${selected}\n`);
    return 2;
  }

  const rootDir = findWorkspaceRoot(dirname(file)) ?? dirname(file);
  const engine = createQueryEngine({ cacheDir: io.env.AQ_CACHE_DIR });
  engine.configure(rootDir, engineSettingsFromEnv(rootDir, io.env));
  for (const problem of engine.configurationProblems()) io.stderr(`aq run: ${problem}\n`);
  const setupProblems = [...allowHostProblems(parsed.allowHosts), ...baseUrlProblemsFromEnv(engine.knownSources(), io.env)];
  if (setupProblems.length > 0) {
    for (const problem of setupProblems) io.stderr(`aq run: ${problem}\n`);
    engine.dispose();
    return 2;
  }

  let sourceOverride: SourceRef | undefined;
  if (parsed.source !== undefined) {
    const configured =
      engine.resolveSource({ kind: 'mixpanel', name: parsed.source }, file) ??
      engine.resolveSource({ kind: 'piwik', name: parsed.source }, file) ??
      engine.resolveSource({ kind: 'local', name: parsed.source }, file);
    if (!configured || !engine.knownSources().has(parsed.source)) {
      io.stderr(`aq run: no source named "${parsed.source}" in aq.json (known: ${[...engine.knownSources()].join(', ') || 'none'})\n`);
      return 2;
    }
    sourceOverride = { kind: configured.kind, name: configured.name };
  }

  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort();
  process.once('SIGINT', onInterrupt);
  // In query order: a result, or (for --format json) the error of a query that failed.
  const results: Array<QueryResult | FailedQuery> = [];
  const runnable = document.queries.filter((q) => q.head !== undefined);
  // A warning about the data (e.g. duplicates dropped from an export) is the same for every query on it: shown once.
  const shownWarnings = new Set<string>();
  let failures = 0;
  try {
    for (const block of selected) {
      const label = queryTitle(block);
      const failed = (message: string, kind: string): void => {
        failures++;
        results.push({ title: label, query: runnable.indexOf(block) + 1, error: { kind, message } });
      };
      const blockProblems = document.problems.filter((p) => p.span.start >= block.span.start && p.span.start <= block.span.end);
      if (blockProblems.length > 0) {
        failed(blockProblems.map((problem) => `line ${lineOf(text, problem.span.start)}: ${problem.message}`).join('\n'), 'syntax');
        for (const problem of blockProblems) io.stderr(`${parsed.file}:${lineOf(text, problem.span.start)}: error: ${problem.message}\n`);
        io.stderr(`✗ ${label}: not run (syntax errors)\n`);
        continue;
      }
      const ref =
        sourceOverride ?? (block.source?.sourceKind && block.source.target ? { kind: block.source.sourceKind, name: block.source.target.value } : undefined);
      const source = engine.resolveSource(ref, file);
      const built = buildQuerySpec(block, { now: new Date(), timezone: source?.timezone, defaultSource: sourceOverride ?? engine.defaultSource() });
      if (!built.ok) {
        failed(built.errors.map((error) => `line ${lineOf(text, error.span.start)}: ${error.message}`).join('\n'), 'invalid');
        for (const error of built.errors) io.stderr(`${parsed.file}:${lineOf(text, error.span.start)}: error: ${error.message}\n`);
        io.stderr(`✗ ${label}: not run\n`);
        continue;
      }
      const spec = sourceOverride ? { ...built.spec, source: sourceOverride } : built.spec;
      io.stderr(`▸ ${label} …\n`);
      try {
        const result = await engine.run(spec, file, {
          signal: controller.signal,
          getCredentials: async (config) => (config.kind === 'local' ? undefined : vouchedCredentialsFromEnv(config, io.env, parsed.allowHosts)),
          onProgress: (progress) => io.stderr(`  ${progress.message}${progress.percent !== undefined ? ` (${Math.round(progress.percent)}%)` : ''}\n`),
          fullRaw: parsed.format === 'json',
        });
        results.push(result);
        const headline = result.meta.headline ? ` · ${result.meta.headline}` : '';
        io.stderr(
          `✓ ${label}: ${result.meta.rowCount.toLocaleString('en-US')} rows in ${(result.meta.durationMs / 1000).toFixed(1)} s${result.meta.cachedAgeMs !== undefined ? ' (cached)' : ''}${headline}\n`,
        );
        if (result.meta.limited) io.stderr(`  ${limitNoticeText(result.meta.limited)} (the query's \`limit\`)\n`);
        if (parsed.format !== 'json') io.stdout(renderResult(withoutRepeatedWarnings(result, shownWarnings), parsed.format, selected.length > 1));
      } catch (error) {
        const message = isBackendError(error)
          ? error.message + (error.details.hint ? `\n  hint: ${error.details.hint}` : '')
          : `internal error: ${(error as Error).message}`;
        failed(isBackendError(error) ? error.message : message, isBackendError(error) ? error.kind : 'internal');
        // An error the API pins on a clause (a report column it does not know) is shown at that clause's line.
        const at = isBackendError(error) ? error.details.at : undefined;
        if (at) io.stderr(`${parsed.file}:${lineOf(text, at.span.start)}: error: ${error instanceof Error ? error.message : message} [${at.clause}]\n`);
        io.stderr(`✗ ${label}: ${message}\n`);
        if (controller.signal.aborted) break;
      }
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    engine.dispose();
  }
  if (parsed.format === 'json') {
    const elements = results.map((result) => ('error' in result ? result : asJsonResult(result)));
    io.stdout(`${JSON.stringify(parsed.query !== undefined && elements.length === 1 ? elements[0] : elements, null, 2)}\n`);
  }
  return failures > 0 ? 1 : 0;
}

/** A query of `--format json` that gave no result; `query` is its number, as `--query N` takes it. */
interface FailedQuery {
  title: string;
  query: number;
  error: { kind: string; message: string };
}

/**
 * A result as `--format json` prints it. A JQL query's `raw` is the value main() returned, as
 * Mixpanel's /jql answers it, not the text the editor's Raw tab shows.
 */
function asJsonResult(result: QueryResult): unknown {
  if (result.queryKind !== 'jql' || result.raw === undefined || result.rawTruncated) return result;
  try {
    return { ...result, raw: JSON.parse(result.raw) as unknown };
  } catch {
    return result;
  }
}

function withoutRepeatedWarnings(result: QueryResult, shown: Set<string>): QueryResult {
  const fresh = result.meta.warnings.filter((warning) => !shown.has(warning.message));
  for (const warning of fresh) shown.add(warning.message);
  return fresh.length === result.meta.warnings.length ? result : { ...result, meta: { ...result.meta, warnings: fresh } };
}

function renderResult(result: QueryResult, format: Exclude<OutputFormat, 'json'>, isOneOfMany: boolean): string {
  if (format === 'table') return `${formatResultAsText(result)}\n`;
  if (format === 'markdown') return `${formatResultMarkdown(result)}\n`;
  const csv = formatResultCsv(result, format === 'cyfe' ? 'cyfe' : 'plain');
  // Several CSV tables in one stream are told apart by a comment line, as in many CSV dialects.
  return isOneOfMany ? `# ${result.title}\n${csv}\n` : csv;
}

function parseRunArguments(args: string[]): RunArguments | string {
  const parsed = parseCliArguments(args, {
    query: { alias: '-q', value: 'a title or a number' },
    source: { alias: '-s', value: 'a source name' },
    format: { alias: '-f', value: `one of ${FORMATS.join(', ')}` },
    'allow-host': { value: 'a host or an origin such as http://127.0.0.1:4010', repeatable: true },
  });
  if (typeof parsed === 'string') return parsed;
  const { query, source, format = 'table' } = parsed.options as Partial<Record<string, string>>;
  if (!FORMATS.includes(format as OutputFormat)) return `--format must be one of ${FORMATS.join(', ')}`;
  return { file: parsed.file, query, source, format: format as OutputFormat, allowHosts: parsed.lists['allow-host'] ?? [] };
}

function selectQueries(queries: QueryBlock[], wanted: string | undefined): QueryBlock[] | string {
  const runnable = runnableQueries(queries);
  if (runnable.length === 0) return 'the file has no queries';
  if (wanted === undefined) return runnable;
  const chosen = queriesNamed(runnable, wanted);
  if (chosen.length > 0) return chosen;
  if (isQueryNumber(wanted)) return `there is no query number ${Number(wanted)} (the file has ${runnable.length})`;
  const titles = runnable.map((q) => q.title).filter((t): t is string => t !== undefined);
  return `no query titled "${wanted}" (titles: ${titles.map((t) => `"${t}"`).join(', ')})`;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

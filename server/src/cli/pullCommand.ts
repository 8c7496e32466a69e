/**
 * `aq pull SOURCE --from D --to D [--event NAME]... [--where EXPR] [--output DIR] [--force]
 * [--add-source NAME] [--profiles]`: copies a Mixpanel source's raw events to
 * `DIR/YYYY-MM-DD.ndjson.gz` (default DIR: `data/<source>/` next to aq.json), one export request
 * per day, skipping the days a previous run completed. Progress goes to stderr, the summary to
 * stdout. Exit 0 when every day (and the profiles) arrived, 1 when a request failed or the pull was
 * interrupted (complete days are kept), 2 for usage and configuration errors.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseCliArguments } from './cliArguments';
import { withMaskedOutput, type CliIo } from './cliIo';
import {
  allowHostProblems,
  baseUrlProblemsFromEnv,
  credentialWarningsFromEnv,
  engineSettingsFromEnv,
  envPrefixFor,
  vouchedCredentialsFromEnv,
} from '../queryEngine/credentialsFromEnv';
import { isBackendError } from '../queryEngine/backendErrors';
import { createHttpClient } from '../queryEngine/httpClient';
import { RequestQueue } from '../queryEngine/requestQueue';
import type { MixpanelSourceConfig } from '../queryEngine/sourceConfig';
import { findWorkspaceRoot, readWorkspaceConfig, WORKSPACE_CONFIG_FILE } from '../queryEngine/workspaceConfig';
import { addLocalSourceText } from '../workflows/pull/addLocalSource';
import { createExportQueue, formatMegabytes, isCalendarDate, pullEvents, type PullReport } from '../workflows/pull/pullEvents';
import { plural } from '../results/plural';

const USAGE =
  'usage: aq pull SOURCE --from YYYY-MM-DD --to YYYY-MM-DD [--event NAME]... [--where EXPR] [--output DIR] [--force] [--add-source NAME] [--profiles] [--allow-host HOST]...';
const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

interface PullArguments {
  source: string;
  from: string;
  to: string;
  events: string[];
  where: string | undefined;
  output: string | undefined;
  force: boolean;
  addSource: string | undefined;
  profiles: boolean;
  allowHosts: string[];
}

export async function pullCommand(args: string[], rawIo: CliIo): Promise<number> {
  const io = withMaskedOutput(rawIo);
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const parsed = parsePullArguments(args, new Date());
  if (typeof parsed === 'string') {
    io.stderr(`aq pull: ${parsed}\n${USAGE}\n`);
    return 2;
  }
  const rootDir = findWorkspaceRoot(io.cwd);
  const config = readWorkspaceConfig(rootDir);
  const source = config.sources[parsed.source];
  if (!rootDir || !source) {
    const problem = config.problems.find((text) => text.includes(`source "${parsed.source}"`));
    io.stderr(
      `aq pull: ${problem ?? `no source named "${parsed.source}" in ${WORKSPACE_CONFIG_FILE} (known: ${Object.keys(config.sources).join(', ') || 'none'})`}\n`,
    );
    return 2;
  }
  if (source.kind !== 'mixpanel') {
    io.stderr(`aq pull: "${parsed.source}" is a ${source.kind} source; events are pulled from Mixpanel sources only.\n`);
    return 2;
  }
  const setupProblems = [...allowHostProblems(parsed.allowHosts), ...baseUrlProblemsFromEnv([source.name], io.env)];
  let credentials;
  try {
    if (setupProblems.length === 0) credentials = vouchedCredentialsFromEnv(source, io.env, parsed.allowHosts);
  } catch (error) {
    if (!isBackendError(error)) throw error;
    setupProblems.push(error.message + (error.details.hint ? `\n  hint: ${error.details.hint}` : ''));
  }
  if (setupProblems.length > 0) {
    for (const problem of setupProblems) io.stderr(`aq pull: ${problem}\n`);
    return 2;
  }
  for (const warning of credentialWarningsFromEnv(source, io.env)) io.stderr(`aq pull: ${warning}\n`);
  if (!credentials?.secret) {
    const prefix = envPrefixFor(source.name);
    io.stderr(`aq pull: Mixpanel source "${source.name}" needs ${prefix}USERNAME and ${prefix}SECRET (a service account) in the environment.\n`);
    return 2;
  }
  const outputDir = parsed.output !== undefined ? resolve(io.cwd, parsed.output) : join(rootDir, 'data', source.name);
  const configPath = join(rootDir, WORKSPACE_CONFIG_FILE);
  // The new source is checked before anything is pulled, so a taken name costs no request.
  if (parsed.addSource !== undefined) {
    const outcome = addLocalSourceText(await readFile(configPath, 'utf8'), parsed.addSource, sourcePath(rootDir, outputDir), source.timezone);
    if (outcome.kind === 'problem') {
      io.stderr(`aq pull: ${outcome.message}\n`);
      return 2;
    }
  }

  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort();
  process.once('SIGINT', onInterrupt);
  const http = createHttpClient();
  const settings = engineSettingsFromEnv(rootDir, io.env);
  const started = Date.now();
  let report: PullReport;
  try {
    report = await pullEvents({
      source,
      credentials,
      baseUrlOverride: settings.baseUrlOverrides?.[source.name],
      idleTimeoutMs: settings.requestTimeoutMs,
      from: parsed.from,
      to: parsed.to,
      filter: { events: parsed.events, where: parsed.where },
      outputDir,
      force: parsed.force,
      profiles: parsed.profiles,
      http,
      queue: createExportQueue(),
      queryQueue: new RequestQueue({ hourlyBudget: 60 }),
      signal: controller.signal,
      onProgress: (progress) => io.stderr(`  [${progress.done}/${progress.total}] ${progress.message}\n`),
    });
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    await http.close();
  }
  if (report.problem) {
    io.stderr(`aq pull: ${report.problem}\n`);
    return 2;
  }
  io.stdout(`${summaryOf(report, source, displayPath(io.cwd, outputDir), (Date.now() - started) / 1000)}\n`);
  if (report.stoppedBy?.reason === 'cancelled') {
    io.stderr(
      `aq pull: interrupted; ${plural(report.pulled.length + report.skipped.length, 'complete day')} kept, no partial file left. Run the same command again to pull the rest.\n`,
    );
    return 1;
  }
  if (report.stoppedBy?.reason === 'failed') {
    const { day, error } = report.stoppedBy;
    io.stderr(`aq pull: ${day === 'profiles' ? 'the profiles' : day}: ${error.message}${error.details.hint ? `\n  hint: ${error.details.hint}` : ''}\n`);
    io.stderr(
      `aq pull: nothing of ${day === 'profiles' ? 'the profiles' : day} was written; ${plural(report.pulled.length + report.skipped.length, 'complete day')} kept.\n`,
    );
    return 1;
  }
  if (parsed.addSource !== undefined) {
    const outcome = await addSourceToConfig(configPath, parsed.addSource, sourcePath(rootDir, outputDir), source.timezone);
    if (outcome.kind === 'problem') {
      io.stderr(`aq pull: ${outcome.message}\n`);
      return 2;
    }
    io.stdout(
      outcome.kind === 'added'
        ? `added local source "${parsed.addSource}" to ${WORKSPACE_CONFIG_FILE}: use local "${parsed.addSource}"\n`
        : `${WORKSPACE_CONFIG_FILE} already has local source "${parsed.addSource}" on this folder\n`,
    );
  }
  return 0;
}

function summaryOf(report: PullReport, source: MixpanelSourceConfig, where: string, seconds: number): string {
  const events = report.pulled.reduce((total, day) => total + day.events, 0);
  const bytes = report.pulled.reduce((total, day) => total + day.bytes, 0);
  const parts = [
    `pulled ${plural(report.pulled.length, 'day')} of "${source.name}" (${plural(events, 'event')}, ${formatMegabytes(bytes)}) in ${seconds.toFixed(1)} s`,
  ];
  if (report.skipped.length > 0) parts.push(`skipped ${plural(report.skipped.length, 'complete day')}`);
  if (report.refiltered.length > 0) parts.push(`${plural(report.refiltered.length, 'day')} pulled again because --event/--where changed`);
  if (report.profiles) parts.push(`${plural(report.profiles.count, 'profile')}`);
  const open = report.pulled.filter((day) => !day.dayWasOver).map((day) => day.day);
  const tail =
    open.length > 0
      ? `\n${open.join(', ')} ${open.length === 1 ? 'was' : 'were'} not over yet: the next run pulls ${open.length === 1 ? 'it' : 'them'} again`
      : '';
  return `${parts.join(', ')} → ${where}${tail}`;
}

/** The folder as aq.json names it: relative to the workspace root when inside it, with forward slashes. */
function sourcePath(rootDir: string, dir: string): string {
  const inside = relative(rootDir, dir);
  if (inside === '') return '.';
  if (!inside.startsWith('..') && !isAbsolute(inside)) return inside.split(sep).join('/');
  return dir;
}

function displayPath(cwd: string, dir: string): string {
  const inside = relative(cwd, dir);
  return inside && !inside.startsWith('..') ? `${inside}/` : `${dir}/`;
}

async function addSourceToConfig(configPath: string, name: string, path: string, timezone: string | undefined): Promise<ReturnType<typeof addLocalSourceText>> {
  const outcome = addLocalSourceText(await readFile(configPath, 'utf8'), name, path, timezone);
  if (outcome.kind !== 'added') return outcome;
  const temporary = `${configPath}.aq-pull.partial`;
  await writeFile(temporary, outcome.text);
  await rename(temporary, configPath);
  return outcome;
}

function parsePullArguments(args: string[], today: Date): PullArguments | string {
  const parsed = parseCliArguments(args, {
    from: { value: 'a date (YYYY-MM-DD)' },
    to: { value: 'a date (YYYY-MM-DD)' },
    event: { alias: '-e', value: 'an event name', repeatable: true },
    where: { alias: '-w', value: 'an expression' },
    output: { alias: '-o', value: 'a folder' },
    force: {},
    'add-source': { value: 'a source name' },
    profiles: {},
    'allow-host': { value: 'a host or an origin such as http://127.0.0.1:4010', repeatable: true },
  });
  // The shared parser calls its one plain argument FILE; here it is the SOURCE.
  if (typeof parsed === 'string') return parsed.replace(/\bFILE\b/g, 'SOURCE');
  const options = parsed.options as Partial<Record<string, string | true>>;
  const from = options.from;
  const to = options.to;
  if (typeof from !== 'string') return 'missing --from YYYY-MM-DD';
  if (typeof to !== 'string') return 'missing --to YYYY-MM-DD';
  for (const [flag, value] of [
    ['--from', from],
    ['--to', to],
  ] as const) {
    if (!isCalendarDate(value)) return `${flag} must be a date as YYYY-MM-DD (got "${value}")`;
  }
  if (from > to) return `--from ${from} is after --to ${to}`;
  const latest = new Date(today.getTime() + 14 * 3_600_000).toISOString().slice(0, 10);
  if (to > latest) return `--to ${to} is in the future; the export has no events after today`;
  const addSource = typeof options['add-source'] === 'string' ? options['add-source'] : undefined;
  if (addSource !== undefined && !SOURCE_NAME.test(addSource))
    return `--add-source "${addSource}": use letters, digits, "_", "." and "-", starting with a letter or digit`;
  const events = parsed.lists.event ?? [];
  if (events.some((event) => event.trim() === '')) return '--event needs a non-empty event name';
  const where = typeof options.where === 'string' ? options.where : undefined;
  if (where !== undefined && where.trim() === '') return '--where needs an expression';
  return {
    source: parsed.file,
    from,
    to,
    events,
    where,
    output: typeof options.output === 'string' ? options.output : undefined,
    force: options.force === true,
    addSource,
    profiles: options.profiles === true,
    allowHosts: parsed.lists['allow-host'] ?? [],
  };
}

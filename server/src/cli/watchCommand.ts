/**
 * `aq watch FILE --query TITLE|N [--every 5m] [--max-alerts N] [--slack] [--once] [--fresh]`: runs a
 * `debugger` query of an .aq file every few minutes and prints each new broken (or chosen
 * `event_type`) event once; with `--slack` also posts it to the incoming webhook in
 * AQ_SLACK_WEBHOOK_URL. Ctrl-C stops it cleanly. `--once` polls a single time (CI, cron) and exits
 * 1 when it found events or the poll failed.
 *
 * What was reported and when the last good poll ran are kept in `<cache>/watch/` (AQ_CACHE_DIR,
 * else ~/.cache/aq), one file per file, query, source and event types, so a restart or the next
 * cron run neither repeats alerts nor asks for more than the minutes since. `--fresh` starts
 * without that memory and replaces it.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildQuerySpec } from '../queryContract/buildQuerySpec';
import { parseAqDocument } from '../languageService/parser/queryParser';
import type { QueryBlock } from '../languageService/parser/queryAst';
import type { DebuggerSpec } from '../queryContract/querySpec';
import { queryTitle } from '../languageService/parser/queryTitle';
import { existingInputFile, parseCliArguments } from './cliArguments';
import { withMaskedOutput, type CliIo } from './cliIo';
import { allowHostProblems, baseUrlProblemsFromEnv, engineSettingsFromEnv, vouchedCredentialsFromEnv } from '../queryEngine/credentialsFromEnv';
import { isBackendError } from '../queryEngine/backendErrors';
import { createHttpClient } from '../queryEngine/httpClient';
import { defaultCacheDir } from '../queryEngine/cacheDir';
import { createQueryEngine } from '../queryEngine/queryEngine';
import { findWorkspaceRoot } from '../queryEngine/workspaceConfig';
import { abortableSleep, describeAlert, type PollOutcome, type WatchAlert } from '../workflows/watch/brokenEventWatcher';
import { createQueryWatcher } from '../workflows/watch/queryWatcher';
import { formatSlackMessage, postSlackMessage, SLACK_WEBHOOK_ENV, slackWebhookProblem } from '../workflows/watch/slackAlert';
import { isQueryNumber, queriesNamed, runnableQueries } from './querySelection';

const USAGE = 'usage: aq watch FILE --query TITLE|N [--every 5m] [--max-alerts N] [--slack] [--once] [--fresh] [--allow-host HOST]...';
const MIN_INTERVAL_MS = 10_000;

interface WatchArguments {
  file: string;
  query: string | undefined;
  intervalMs: number;
  maxAlerts: number;
  slack: boolean;
  once: boolean;
  fresh: boolean;
  allowHosts: string[];
}

export async function watchCommand(args: string[], rawIo: CliIo): Promise<number> {
  const io = withMaskedOutput(rawIo);
  const parsed = parseWatchArguments(args);
  if (typeof parsed === 'string') {
    io.stderr(`aq watch: ${parsed}\n${USAGE}\n`);
    return 2;
  }
  const file = existingInputFile('watch', parsed.file, io);
  if (!file) return 2;
  const webhookUrl = io.env[SLACK_WEBHOOK_ENV];
  if (parsed.slack && !webhookUrl) {
    io.stderr(`aq watch: --slack needs the incoming-webhook URL in ${SLACK_WEBHOOK_ENV}\n`);
    return 2;
  }
  const webhookProblem = parsed.slack && webhookUrl ? slackWebhookProblem(webhookUrl) : undefined;
  if (webhookProblem) {
    io.stderr(`aq watch: ${webhookProblem}\n`);
    return 2;
  }
  const text = readFileSync(file, 'utf8');
  const document = parseAqDocument(text);
  const block = selectDebuggerQuery(document.queries, parsed.query);
  if (typeof block === 'string') {
    io.stderr(`aq watch: ${block}\n`);
    return 2;
  }

  const rootDir = findWorkspaceRoot(dirname(file)) ?? dirname(file);
  const engine = createQueryEngine({ cacheDir: io.env.AQ_CACHE_DIR });
  engine.configure(rootDir, engineSettingsFromEnv(rootDir, io.env));
  const source = block.source?.sourceKind && block.source.target ? { kind: block.source.sourceKind, name: block.source.target.value } : undefined;
  const resolved = engine.resolveSource(source, file);
  const built = buildQuerySpec(block, { now: new Date(), timezone: undefined, defaultSource: engine.defaultSource() });
  if (!built.ok) {
    for (const error of built.errors) io.stderr(`${parsed.file}: error: ${error.message}\n`);
    engine.dispose();
    return 2;
  }
  const setupProblems = [...allowHostProblems(parsed.allowHosts), ...baseUrlProblemsFromEnv(engine.knownSources(), io.env)];
  if (resolved && resolved.kind !== 'local' && setupProblems.length === 0) {
    // A refused host is said once, before watching starts, rather than as a failed poll every interval.
    try {
      vouchedCredentialsFromEnv(resolved, io.env, parsed.allowHosts);
    } catch (error) {
      if (!isBackendError(error)) throw error;
      setupProblems.push(error.message + (error.details.hint ? `\n  hint: ${error.details.hint}` : ''));
    }
  }
  if (setupProblems.length > 0) {
    for (const problem of setupProblems) io.stderr(`aq watch: ${problem}\n`);
    engine.dispose();
    return 2;
  }
  const spec = built.spec as DebuggerSpec;
  const title = queryTitle(block);
  const sourceName = resolved?.name ?? spec.source?.name ?? 'default';

  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort();
  process.once('SIGINT', onInterrupt);
  const slackHttp = parsed.slack ? createHttpClient() : undefined;
  const stamp = (): string => new Date().toISOString().slice(0, 19).replace('T', ' ');
  const watcher = createQueryWatcher({
    engine,
    spec,
    documentPath: file,
    title,
    sourceName,
    cacheDir: defaultCacheDir(io.env),
    getCredentials: async (config) => (config.kind === 'local' ? undefined : vouchedCredentialsFromEnv(config, io.env, parsed.allowHosts)),
    maxAlertsPerPoll: parsed.maxAlerts,
    fresh: parsed.fresh,
    onMemoryNotSaved: (failure) =>
      io.stderr(`aq watch: could not save what was reported (${failure}); after a restart the same events may be reported again.\n`),
    onAlert: async (alert: WatchAlert) => {
      io.stdout(`[${stamp()}] ${describeAlert(alert)}\n`);
      if (slackHttp && webhookUrl)
        await postSlackMessage(webhookUrl, formatSlackMessage(alert, { queryTitle: title, sourceName }), { http: slackHttp, signal: controller.signal });
    },
    onDeliveryError: (error) => io.stderr(`aq watch: ${(error as Error)?.message ?? String(error)}\n`),
  });

  const report = (outcome: PollOutcome): void => {
    if (outcome.ok)
      io.stderr(`[${stamp()}] polled the last ${outcome.lookupWindowMinutes} min: ${outcome.newEvents} new event${outcome.newEvents === 1 ? '' : 's'}\n`);
  };
  try {
    if (parsed.once) {
      const outcome = await watcher.pollOnce(controller.signal);
      report(outcome);
      return outcome.ok && outcome.newEvents === 0 ? 0 : 1;
    }
    io.stderr(`aq watch: watching "${title}" every ${formatInterval(parsed.intervalMs)}; Ctrl-C stops.\n`);
    await watcher.run(parsed.intervalMs, controller.signal, abortableSleep, report);
    io.stderr('aq watch: stopped.\n');
    return 0;
  } catch (error) {
    if (controller.signal.aborted) {
      io.stderr('aq watch: stopped.\n');
      return 0;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    engine.dispose();
    await slackHttp?.close();
  }
}

function parseWatchArguments(args: string[]): WatchArguments | string {
  const parsed = parseCliArguments(args, {
    query: { alias: '-q', value: 'a title or a number' },
    every: { value: 'an interval such as 30s, 5m or 1h' },
    'max-alerts': { value: 'a whole number of at least 1' },
    slack: {},
    once: {},
    fresh: {},
    'allow-host': { value: 'a host or an origin such as http://127.0.0.1:4010', repeatable: true },
  });
  if (typeof parsed === 'string') return parsed;
  const { query, every, 'max-alerts': maxAlerts, slack, once, fresh } = parsed.options;
  let intervalMs = 5 * 60_000;
  if (typeof every === 'string') {
    const interval = parseInterval(every);
    if (interval === undefined) return '--every needs an interval such as 30s, 5m or 1h';
    if (interval < MIN_INTERVAL_MS) return '--every must be at least 10s';
    intervalMs = interval;
  }
  const maxAlertsValue = typeof maxAlerts === 'string' ? Number(maxAlerts) : 10;
  if (!Number.isInteger(maxAlertsValue) || maxAlertsValue < 1) return '--max-alerts needs a whole number of at least 1';
  return {
    file: parsed.file,
    query: typeof query === 'string' ? query : undefined,
    intervalMs,
    maxAlerts: maxAlertsValue,
    slack: slack === true,
    once: once === true,
    fresh: fresh === true,
    allowHosts: parsed.lists['allow-host'] ?? [],
  };
}

/** `90s`, `5m`, `1h`, or bare minutes. */
export function parseInterval(text: string | undefined): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text ?? '');
  if (!match) return undefined;
  const unit = match[2] === 's' ? 1000 : match[2] === 'h' ? 3_600_000 : 60_000;
  return Math.round(Number(match[1]) * unit);
}

function formatInterval(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

function selectDebuggerQuery(queries: QueryBlock[], wanted: string | undefined): QueryBlock | string {
  const debuggers = queries.filter((query) => query.head?.kind === 'debugger');
  if (debuggers.length === 0) return 'the file has no debugger query to watch';
  if (wanted === undefined) {
    if (debuggers.length === 1) return debuggers[0];
    return `the file has ${debuggers.length} debugger queries; pick one with --query (titles: ${debuggers.map((q) => `"${queryTitle(q)}"`).join(', ')})`;
  }
  const runnable = runnableQueries(queries);
  const chosen = queriesNamed(runnable, wanted)[0];
  if (!chosen) return isQueryNumber(wanted) ? `there is no query number ${wanted} (the file has ${runnable.length})` : `no query titled "${wanted}"`;
  if (chosen.head?.kind !== 'debugger') return `"${chosen.title ?? wanted}" is a ${chosen.head?.kind} query; only debugger queries can be watched`;
  return chosen;
}

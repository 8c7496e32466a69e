/**
 * `aq send FILE --source NAME [--resume] [--dry-run] [--allow-host HOST]…`: sends a Mixpanel events file
 * (`*.events.ndjson`, `*.events.json`) to `/import`, or an mParticle batch file (`*.mparticle.json`)
 * to `/v2/bulkevents`. Progress goes to stderr, the summary to stdout. Exit 0 when everything was
 * accepted, 1 when records or requests failed or the send was interrupted, 2 for usage, file and
 * configuration errors.
 */
import { dirname } from 'node:path';
import { existingInputFile, parseCliArguments } from './cliArguments';
import { withMaskedOutput, type CliIo } from './cliIo';
import { isBackendError } from '../queryEngine/backendErrors';
import { defaultCacheDir } from '../queryEngine/cacheDir';
import { allowHostProblems, baseUrlProblemsFromEnv, envPrefixFor, vouchedCredentialsFromEnv } from '../queryEngine/credentialsFromEnv';
import { createHttpClient } from '../queryEngine/httpClient';
import { findWorkspaceRoot, readWorkspaceConfig, WORKSPACE_CONFIG_FILE } from '../queryEngine/workspaceConfig';
import { sendDestination, sendEventFile, type SendDestination } from '../workflows/send/sendEventFile';
import { plural } from '../results/plural';

const USAGE = 'usage: aq send FILE --source NAME [--resume] [--dry-run] [--allow-host HOST]...';
/** Failed records listed one by one at most; the rest are counted. */
const MAX_LISTED_FAILURES = 50;

interface SendArguments {
  file: string;
  source: string;
  resume: boolean;
  dryRun: boolean;
  allowHosts: string[];
}

export async function sendCommand(args: string[], rawIo: CliIo): Promise<number> {
  const io = withMaskedOutput(rawIo);
  const parsed = parseSendArguments(args);
  if (typeof parsed === 'string') {
    io.stderr(`aq send: ${parsed}\n${USAGE}\n`);
    return 2;
  }
  const file = existingInputFile('send', parsed.file, io);
  if (!file) return 2;
  const rootDir = findWorkspaceRoot(dirname(file)) ?? findWorkspaceRoot(io.cwd);
  const destination = destinationFor(parsed.source, rootDir, io.env, parsed.allowHosts);
  if (typeof destination === 'string') {
    io.stderr(`aq send: ${destination}\n`);
    return 2;
  }

  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort();
  process.once('SIGINT', onInterrupt);
  const http = createHttpClient();
  try {
    const result = await sendEventFile({
      path: file,
      destination,
      http,
      signal: controller.signal,
      resume: parsed.resume,
      dryRun: parsed.dryRun,
      cacheDir: defaultCacheDir(io.env),
      onProgress: (progress) => io.stderr(`  ${progress.done}/${progress.total} requests (${progress.message})\n`),
    });
    if (result.problem) {
      io.stderr(`aq send: ${result.problem}\n`);
      return 2;
    }
    if (result.syntaxErrors.length > 0) {
      for (const error of result.syntaxErrors) io.stderr(`${parsed.file}:${error.line}: error: ${error.message}\n`);
      io.stderr('aq send: nothing was sent; fix the JSON first.\n');
      return 2;
    }
    const unit = result.kind === 'mparticle' ? 'batch' : 'event';
    if (parsed.dryRun) {
      io.stdout(
        `${parsed.file}: ${plural(result.records, unit)} in ${plural(result.requests, 'request')} to ${destination.kind} source "${destination.name}" (dry run: nothing sent)\n`,
      );
      return 0;
    }
    const report = result.report!;
    for (const failure of report.recordFailures.slice(0, MAX_LISTED_FAILURES)) {
      io.stdout(`${parsed.file}:${failure.line}: rejected: ${failure.message}${failure.field ? ` (${failure.field})` : ''}\n`);
    }
    if (report.recordFailures.length > MAX_LISTED_FAILURES) io.stdout(`… and ${report.recordFailures.length - MAX_LISTED_FAILURES} more rejected records\n`);
    for (const failed of report.failedBatches) io.stdout(`request ${failed.index + 1} failed: ${failed.reason}\n`);
    io.stdout(
      `sent ${plural(report.sentBatches, 'request')} (${plural(report.accepted, `accepted ${unit}`)}), skipped ${report.skippedBatches} already sent, ` +
        `${plural(report.recordFailures.length, `rejected ${unit}`)}${report.earlierRecordFailures ? ` (${report.earlierRecordFailures} of them by an earlier run)` : ''}, ${plural(report.failedBatches.length, 'failed request')}\n`,
    );
    if (report.stoppedBy === 'cancelled') {
      io.stderr(`aq send: interrupted; run again with --resume to send the rest.\n`);
      return 1;
    }
    if (report.stoppedBy) {
      io.stderr(`aq send: ${report.stoppedBy.message}${report.stoppedBy.details.hint ? `\n  hint: ${report.stoppedBy.details.hint}` : ''}\n`);
      return 1;
    }
    if (report.failedBatches.length > 0) io.stderr('aq send: some requests failed; run again with --resume to retry them.\n');
    return report.recordFailures.length > 0 || report.failedBatches.length > 0 ? 1 : 0;
  } catch (error) {
    if (isBackendError(error)) {
      io.stderr(`aq send: ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    await http.close();
  }
}

/** The destination named `--source`: a Mixpanel source or an mParticle input of aq.json. Secrets come from the environment. */
function destinationFor(name: string, rootDir: string | undefined, env: CliIo['env'], allowHosts: string[]): SendDestination | string {
  const prefix = envPrefixFor(name);
  const setupProblems = [...allowHostProblems(allowHosts), ...baseUrlProblemsFromEnv([name], env)];
  if (setupProblems.length > 0) return setupProblems.join('\naq send: ');
  const baseUrlOverride = env[`${prefix}BASE_URL`] || undefined;
  const config = readWorkspaceConfig(rootDir);
  const vouched = (source: Parameters<typeof vouchedCredentialsFromEnv>[0]): ReturnType<typeof vouchedCredentialsFromEnv> | string => {
    try {
      return vouchedCredentialsFromEnv(source, env, allowHosts);
    } catch (error) {
      if (isBackendError(error)) return error.message + (error.details.hint ? `\n  hint: ${error.details.hint}` : '');
      throw error;
    }
  };
  const mparticle = config.ingestionSources[name];
  if (mparticle) {
    const credentials = vouched(mparticle);
    if (typeof credentials === 'string') return credentials;
    return (
      sendDestination(mparticle, credentials, baseUrlOverride) ??
      `mParticle source "${name}" needs ${prefix}API_KEY and ${prefix}API_SECRET in the environment.`
    );
  }
  const source = config.sources[name];
  if (!source) {
    // A source aq.json names but could not use (a bad pod or project id) is explained, not called unknown.
    const problem = config.problems.find((text) => text.includes(`source "${name}"`));
    if (problem) return problem;
    const known = [...Object.keys(config.sources), ...Object.keys(config.ingestionSources)];
    return `no source named "${name}" in ${WORKSPACE_CONFIG_FILE} (known: ${known.join(', ') || 'none'})`;
  }
  if (source.kind !== 'mixpanel') return `"${name}" is a ${source.kind} source; events can be sent to Mixpanel or mParticle sources only.`;
  const credentials = vouched(source);
  if (typeof credentials === 'string') return credentials;
  return (
    sendDestination(source, credentials, baseUrlOverride) ??
    `Mixpanel source "${name}" needs ${prefix}USERNAME and ${prefix}SECRET (a service account) in the environment.`
  );
}

function parseSendArguments(args: string[]): SendArguments | string {
  const parsed = parseCliArguments(args, {
    source: { alias: '-s', value: 'a source name' },
    resume: {},
    'dry-run': {},
    'allow-host': { value: 'a host or an origin such as http://127.0.0.1:4010', repeatable: true },
  });
  if (typeof parsed === 'string') return parsed;
  const { source, resume, 'dry-run': dryRun } = parsed.options;
  if (typeof source !== 'string') return 'missing --source NAME';
  return { file: parsed.file, source, resume: resume === true, dryRun: dryRun === true, allowHosts: parsed.lists['allow-host'] ?? [] };
}

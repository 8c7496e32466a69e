/**
 * The editor side of the analyst workflows: "Send Events" sends an open event file to a Mixpanel
 * source or an mParticle input, and "Start Watching" polls a `debugger` query for broken events and turns each new one
 * into an `aq/watchAlert` (and a Slack post when the editor holds a webhook URL). Watchers live
 * per document and query until stopped, the document closes or the server shuts down.
 */
import { basename, join } from 'node:path';
import { ResponseError } from 'vscode-languageserver';
import { sourceRefOf } from '../languageService/analyticsLanguageService';
import { buildQuerySpec } from '../queryContract/buildQuerySpec';
import type { DebuggerSpec } from '../queryContract/querySpec';
import {
  AqErrorCode,
  type BackendErrorData,
  type SendEventsParams,
  type SendEventsResult,
  type StartWatchParams,
  type WatchParams,
} from '../protocol/customRequests';
import { queryTitle } from '../languageService/parser/queryTitle';
import type { CredentialedSource } from '../queryEngine/sourceConfig';
import { isBackendError } from '../queryEngine/backendErrors';
import { defaultHttpClient } from '../queryEngine/httpClient';
import { credentialDestination, remoteHost } from '../queryEngine/remoteBackends';
import { eventFileKindOf } from '../workflows/send/eventFileFormat';
import { sendDestination, sendEventFile, type SendDestination } from '../workflows/send/sendEventFile';
import { abortableSleep, describeAlert, type WatchAlert } from '../workflows/watch/brokenEventWatcher';
import { createQueryWatcher } from '../workflows/watch/queryWatcher';
import { formatSlackMessage, postSlackMessage } from '../workflows/watch/slackAlert';
import { plural } from '../results/plural';
import { documentPathOf } from './documentPath';
import { RESTRICTED_MODE_MESSAGE } from './editorCredentials';
import { backendResponseError } from './queryRequests';
import type { ServerContext } from './serverContext';
import { formatError } from './runSafe';

const SOURCE_KIND_NAMES: Record<CredentialedSource['kind'], string> = {
  mixpanel: 'a Mixpanel',
  piwik: 'a Piwik PRO',
  local: 'a local',
  mparticle: 'an mParticle',
};
const DEFAULT_WATCH_MINUTES = 5;
/** Fractions of a minute are allowed so tests need not wait; anything smaller would hammer the API. */
const MIN_WATCH_MINUTES = 0.01;

export interface WorkflowRequests {
  sendEvents(params: SendEventsParams, signal: AbortSignal): Promise<SendEventsResult>;
  startWatch(params: StartWatchParams): Promise<{ watching: true }>;
  stopWatch(params: WatchParams): { stopped: boolean };
  /** Stops every watcher of a document (it was closed). */
  stopWatchesOf(uri: string): void;
  dispose(): void;
}

function badRequest(message: string): ResponseError<BackendErrorData> {
  return new ResponseError(AqErrorCode.backend, message, { kind: 'badRequest' });
}

export function createWorkflowRequests(context: ServerContext): WorkflowRequests {
  const watchers = new Map<string, AbortController>();
  const keyOf = (params: WatchParams): string => `${params.queryIndex}\u0000${params.uri}`;

  /**
   * Where an event file goes: `*.mparticle.json` to an mParticle input of aq.json, the Mixpanel
   * event files to a Mixpanel source. Secrets come from the editor for the host they will reach.
   */
  async function destinationFor(sourceName: string, documentPath: string): Promise<SendDestination> {
    const engine = context.engine();
    const fileKind = eventFileKindOf(documentPath);
    const mparticle = engine.ingestionSource(sourceName, documentPath);
    const source = mparticle ?? engine.resolveSource({ kind: 'mixpanel', name: sourceName }, documentPath);
    if (!source) throw badRequest(`No source named "${sourceName}" in aq.json.`);
    const wantsMparticle = fileKind === 'mparticle';
    if (source.kind !== (wantsMparticle ? 'mparticle' : 'mixpanel')) {
      const fileHolds = wantsMparticle
        ? 'mParticle batches, which go to an mParticle source ("kind": "mparticle")'
        : 'Mixpanel events, which go to a Mixpanel source';
      throw badRequest(`"${sourceName}" is ${SOURCE_KIND_NAMES[source.kind]} source, but ${basename(documentPath)} holds ${fileHolds}.`);
    }
    const baseUrlOverride = context.baseUrlOverride(source.name);
    const credentials = await context.credentialsFor(source, remoteHost(source, baseUrlOverride), credentialDestination(source, baseUrlOverride));
    const destination = sendDestination(source, credentials, baseUrlOverride);
    if (destination) return destination;
    const needed = source.kind === 'mparticle' ? "an input's API key and secret (mParticle: Setup → Inputs)" : 'a service account (username and secret)';
    throw new ResponseError<BackendErrorData>(AqErrorCode.backend, `Sending to "${source.name}" needs ${needed}; set its credentials first.`, {
      kind: 'auth',
      sourceName: source.name,
      sourceKind: source.kind,
    });
  }

  async function sendEvents(params: SendEventsParams, signal: AbortSignal): Promise<SendEventsResult> {
    if (!context.trusted()) throw new ResponseError<BackendErrorData>(AqErrorCode.backend, RESTRICTED_MODE_MESSAGE, { kind: 'config' });
    await context.settingsReady();
    const document = context.document(params.uri);
    const path = documentPathOf(params.uri);
    if (!document || !path) throw badRequest('The event file is not open in the editor; open it and send again.');
    const destination = await destinationFor(params.sourceName, path);
    let result;
    try {
      result = await sendEventFile({
        path,
        text: document.getText(),
        destination,
        http: defaultHttpClient(),
        signal,
        resume: params.resume === true,
        dryRun: params.dryRun === true,
        cacheDir: context.cacheDir,
        onProgress: (progress) =>
          context.sendProgress({
            uri: params.uri,
            message: progress.message,
            percent: progress.total > 0 ? Math.round((progress.done / progress.total) * 100) : 100,
          }),
      });
    } catch (error) {
      if (isBackendError(error)) throw backendResponseError(error, { name: destination.name, kind: destination.kind });
      throw error;
    }
    if (result.problem) throw badRequest(result.problem);
    if (result.syntaxErrors.length > 0) {
      return {
        sent: 0,
        skipped: 0,
        failedRecords: result.syntaxErrors,
        summary: `Nothing was sent: the file has ${plural(result.syntaxErrors.length, 'JSON error')}; fix ${result.syntaxErrors.length === 1 ? 'it' : 'them'} first.`,
      };
    }
    const unit = destination.kind === 'mparticle' ? 'batch' : 'event';
    if (params.dryRun || !result.report) {
      return {
        sent: 0,
        skipped: 0,
        failedRecords: [],
        summary: `${plural(result.records, unit)} in ${plural(result.requests, 'request')} to "${destination.name}" (dry run: nothing sent).`,
      };
    }
    const report = result.report;
    const parts = [
      `Sent ${plural(report.accepted, unit)} to "${destination.name}" in ${plural(report.sentBatches, 'request')}`,
      report.skippedBatches > 0 ? `skipped ${plural(report.skippedBatches, 'request')} already sent` : undefined,
      report.recordFailures.length > 0 ? `${plural(report.recordFailures.length, unit)} rejected` : undefined,
      report.failedBatches.length > 0 ? `${plural(report.failedBatches.length, 'request')} failed (${report.failedBatches[0].reason})` : undefined,
    ].filter((part) => part !== undefined);
    let summary = `${parts.join(', ')}.`;
    if (report.stoppedBy === 'cancelled') summary += ' The send was cancelled; send again with Resume to deliver the rest.';
    else if (report.stoppedBy) summary += ` Stopped: ${report.stoppedBy.message}`;
    else if (report.failedBatches.length > 0) summary += ' Send again with Resume to retry the failed requests.';
    return {
      sent: report.accepted,
      skipped: report.skippedBatches,
      failedRecords: report.recordFailures.map((failure) => ({
        line: failure.line,
        message: failure.field ? `${failure.message} (${failure.field})` : failure.message,
      })),
      summary,
    };
  }

  function watchedQuery(params: StartWatchParams): { spec: DebuggerSpec; documentPath: string; title: string; sourceName: string } {
    const engine = context.engine();
    const document = context.document(params.uri);
    if (!document) throw badRequest('The query file is not open in the editor; open it and start watching again.');
    const block = context.model(document).queries[params.queryIndex];
    if (!block) throw badRequest(`The file has no query number ${params.queryIndex + 1} any more.`);
    if (block.head?.kind !== 'debugger') throw badRequest('Only debugger queries can be watched.');
    const documentPath = documentPathOf(document.uri) ?? join(context.rootDir() ?? process.cwd(), 'untitled.aq');
    const source = engine.resolveSource(sourceRefOf(block.source) ?? engine.defaultSource(documentPath), documentPath);
    const built = buildQuerySpec(block, { now: new Date(), timezone: undefined, defaultSource: engine.defaultSource(documentPath) });
    if (!built.ok) throw badRequest(built.errors.map((error) => error.message).join('\n'));
    return { spec: built.spec as DebuggerSpec, documentPath, title: queryTitle(block), sourceName: source?.name ?? 'default' };
  }

  function alertTitle(alert: WatchAlert, queryTitle: string): string {
    switch (alert.kind) {
      case 'event':
        return `${queryTitle}: ${alert.eventType.label}${alert.message ? ` — ${alert.message}` : ''}`;
      case 'summary':
        return `${queryTitle}: ${alert.count} new events`;
      case 'pollFailed':
        return `${queryTitle}: polling failed`;
      case 'recovered':
        return `${queryTitle}: polling works again`;
    }
  }

  async function startWatch(params: StartWatchParams): Promise<{ watching: true }> {
    if (!context.trusted()) throw new ResponseError<BackendErrorData>(AqErrorCode.backend, RESTRICTED_MODE_MESSAGE, { kind: 'config' });
    await context.settingsReady();
    const everyMinutes = params.everyMinutes ?? DEFAULT_WATCH_MINUTES;
    if (!Number.isFinite(everyMinutes) || everyMinutes < MIN_WATCH_MINUTES) throw badRequest(`Watch intervals must be at least ${MIN_WATCH_MINUTES} minutes.`);
    if (params.maxAlertsPerPoll !== undefined && !(Number.isInteger(params.maxAlertsPerPoll) && params.maxAlertsPerPoll >= 1))
      throw badRequest('maxAlertsPerPoll must be a whole number of at least 1.');
    const { spec, documentPath, title, sourceName } = watchedQuery(params);
    const key = keyOf(params);
    watchers.get(key)?.abort();
    const controller = new AbortController();
    watchers.set(key, controller);

    const watcher = createQueryWatcher({
      engine: context.engine(),
      spec,
      documentPath,
      title,
      sourceName,
      cacheDir: context.cacheDir,
      getCredentials: context.credentialsFor,
      maxAlertsPerPoll: params.maxAlertsPerPoll,
      onMemoryNotSaved: (failure) =>
        context.log.warn(`aq: "${title}" cannot remember what it reported (${failure}); a restarted watch may report events again.`),
      onAlert: async (alert) => {
        context.sendAlert({ uri: params.uri, queryIndex: params.queryIndex, title: alertTitle(alert, title), text: describeAlert(alert), kind: alert.kind });
        const webhook = await context.askSlackWebhook().catch(() => null);
        if (webhook?.url)
          await postSlackMessage(webhook.url, formatSlackMessage(alert, { queryTitle: title, sourceName }), {
            http: defaultHttpClient(),
            signal: controller.signal,
          });
      },
      // The webhook URL is a secret: only the error's message (which never holds it) is logged.
      onDeliveryError: (error) => context.log.warn(formatError('aq: delivering a watch alert to Slack failed', error)),
    });
    watcher.run(everyMinutes * 60_000, controller.signal, abortableSleep).catch((error: unknown) => {
      if (!controller.signal.aborted) context.log.warn(formatError(`aq: watching "${title}" stopped`, error));
    });
    return { watching: true };
  }

  function stopWatch(params: WatchParams): { stopped: boolean } {
    const key = keyOf(params);
    const controller = watchers.get(key);
    if (!controller) return { stopped: false };
    controller.abort();
    watchers.delete(key);
    return { stopped: true };
  }

  return {
    sendEvents,
    startWatch,
    stopWatch,
    stopWatchesOf(uri) {
      for (const [key, controller] of watchers) {
        if (key.endsWith(`\u0000${uri}`)) {
          controller.abort();
          watchers.delete(key);
        }
      }
    },
    dispose() {
      for (const controller of watchers.values()) controller.abort();
      watchers.clear();
    },
  };
}

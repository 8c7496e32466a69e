/**
 * "Pull Events to Local Source…" on the server: the same pull as `aq pull` (workflows/pull), with
 * the editor's credentials and machine settings, progress as `aq/sendProgress` and cancellation
 * from the editor; then, when the user accepts, the new local source in aq.json.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { ResponseError } from 'vscode-languageserver';
import { AqErrorCode, type BackendErrorData, type PullEventsParams, type PullEventsResult } from '../protocol/customRequests';
import { BackendError, isBackendError } from '../queryEngine/backendErrors';
import { defaultHttpClient } from '../queryEngine/httpClient';
import { credentialDestination, remoteHost } from '../queryEngine/remoteBackends';
import { RequestQueue } from '../queryEngine/requestQueue';
import type { Credentials, MixpanelSourceConfig } from '../queryEngine/sourceConfig';
import { findWorkspaceRoot, WORKSPACE_CONFIG_FILE } from '../queryEngine/workspaceConfig';
import { addLocalSourceText } from '../workflows/pull/addLocalSource';
import { exportQueueFor, formatMegabytes, isCalendarDate, pullEvents } from '../workflows/pull/pullEvents';
import { plural } from '../results/plural';
import { documentPathOf } from './documentPath';
import { RESTRICTED_MODE_MESSAGE } from './editorCredentials';
import { backendResponseError } from './queryRequests';
import type { ServerContext } from './serverContext';

export interface PullRequests {
  pullEvents(params: PullEventsParams, signal: AbortSignal): Promise<PullEventsResult>;
  addLocalSource(params: { uri?: string; name: string; path: string; timezoneOf?: string }): Promise<{ added: boolean; message: string }>;
}

function badRequest(message: string): ResponseError<BackendErrorData> {
  return new ResponseError(AqErrorCode.backend, message, { kind: 'badRequest' });
}

export function createPullRequests(context: ServerContext): PullRequests {
  /** Folders a pull is writing into: a second pull into one of them would race on its manifest. */
  const busyFolders = new Set<string>();

  /** The folder of the aq.json the document (or the workspace) uses. */
  function workspaceRoot(uri: string | undefined): string | undefined {
    const path = uri ? documentPathOf(uri) : undefined;
    return (path ? findWorkspaceRoot(dirname(path)) : undefined) ?? context.rootDir();
  }

  async function pull(params: PullEventsParams, signal: AbortSignal): Promise<PullEventsResult> {
    if (!context.trusted()) throw new ResponseError<BackendErrorData>(AqErrorCode.backend, RESTRICTED_MODE_MESSAGE, { kind: 'config' });
    await context.settingsReady();
    if (!isCalendarDate(params.from) || !isCalendarDate(params.to)) throw badRequest('The dates must be YYYY-MM-DD.');
    if (params.from > params.to) throw badRequest(`${params.from} is after ${params.to}.`);
    const rootDir = workspaceRoot(params.uri);
    if (!rootDir) throw badRequest('Open a folder with an aq.json first: the events go to data/<source>/ next to it.');
    const documentPath = params.uri ? documentPathOf(params.uri) : undefined;
    const source = context.engine().resolveSource({ kind: 'mixpanel', name: params.sourceName }, documentPath ?? join(rootDir, 'untitled.aq'));
    if (!source || source.kind !== 'mixpanel')
      throw badRequest(`No Mixpanel source named "${params.sourceName}"; events are pulled from Mixpanel sources only.`);
    const baseUrlOverride = context.baseUrlOverride(source.name);
    const credentials = await context.credentialsFor(source, remoteHost(source, baseUrlOverride), credentialDestination(source, baseUrlOverride));
    if (!credentials?.secret) {
      throw new ResponseError<BackendErrorData>(
        AqErrorCode.backend,
        `Pulling from "${source.name}" needs a service account (username and secret); set its credentials first.`,
        {
          kind: 'auth',
          sourceName: source.name,
          sourceKind: source.kind,
        },
      );
    }
    const outputDir = join(rootDir, 'data', source.name);
    if (busyFolders.has(outputDir)) throw badRequest(`A pull into ${localPath(rootDir, outputDir)} is already running; wait for it or cancel it.`);
    busyFolders.add(outputDir);
    try {
      return await pullInto(params, signal, source, credentials, baseUrlOverride, rootDir, outputDir);
    } finally {
      busyFolders.delete(outputDir);
    }
  }

  async function pullInto(
    params: PullEventsParams,
    signal: AbortSignal,
    source: MixpanelSourceConfig,
    credentials: Credentials,
    baseUrlOverride: string | undefined,
    rootDir: string,
    outputDir: string,
  ): Promise<PullEventsResult> {
    let report;
    try {
      report = await pullEvents({
        source,
        credentials,
        baseUrlOverride,
        from: params.from,
        to: params.to,
        filter: { events: params.events, where: params.where },
        outputDir,
        force: params.force === true,
        profiles: params.profiles === true,
        http: defaultHttpClient(),
        queue: exportQueueFor(source),
        queryQueue: new RequestQueue({ hourlyBudget: 60 }),
        signal,
        onProgress: (progress) =>
          context.sendProgress({
            uri: params.progressKey,
            message: progress.message,
            percent: progress.total > 0 ? Math.round((progress.done / progress.total) * 100) : 100,
          }),
      });
    } catch (error) {
      if (isBackendError(error)) throw backendResponseError(error, source);
      throw badRequest(`The pull into ${localPath(rootDir, outputDir)} failed: ${(error as Error).message}`);
    }
    if (report.problem) throw badRequest(report.problem);
    const events = report.pulled.reduce((sum, day) => sum + day.events, 0);
    const bytes = report.pulled.reduce((sum, day) => sum + day.bytes, 0);
    let summary = `Pulled ${plural(report.pulled.length, 'day')} of "${source.name}" (${plural(events, 'event')}, ${formatMegabytes(bytes)})${report.skipped.length > 0 ? `, skipped ${plural(report.skipped.length, 'complete day')}` : ''}${report.profiles ? `, ${plural(report.profiles.count, 'profile')}` : ''} into ${localPath(rootDir, outputDir)}.`;
    if (report.stoppedBy?.reason === 'cancelled') summary += ' Cancelled: the complete days are kept; pull again for the rest.';
    if (report.stoppedBy?.reason === 'failed') {
      const { day, error } = report.stoppedBy;
      if (report.pulled.length === 0 && report.skipped.length === 0) throw backendResponseError(error, source);
      summary += ` Stopped at ${day === 'profiles' ? 'the profiles' : day}: ${error.message}`;
    }
    return {
      complete: report.stoppedBy === undefined,
      pulledDays: report.pulled.length,
      skippedDays: report.skipped.length,
      events,
      outputDir,
      sourcePath: localPath(rootDir, outputDir),
      summary,
    };
  }

  async function addLocalSource(params: { uri?: string; name: string; path: string; timezoneOf?: string }): Promise<{ added: boolean; message: string }> {
    if (!context.trusted()) throw new ResponseError<BackendErrorData>(AqErrorCode.backend, RESTRICTED_MODE_MESSAGE, { kind: 'config' });
    const rootDir = workspaceRoot(params.uri);
    if (!rootDir) throw badRequest('There is no aq.json to add the source to.');
    const configPath = join(rootDir, WORKSPACE_CONFIG_FILE);
    const timezoneSource = params.timezoneOf
      ? context.engine().resolveSource({ kind: 'mixpanel', name: params.timezoneOf }, join(rootDir, 'untitled.aq'))
      : undefined;
    const timezone = timezoneSource && timezoneSource.kind === 'mixpanel' ? timezoneSource.timezone : undefined;
    let text: string;
    try {
      text = await readFile(configPath, 'utf8');
    } catch {
      throw badRequest(`${configPath} cannot be read.`);
    }
    const outcome = addLocalSourceText(text, params.name, params.path, timezone);
    if (outcome.kind === 'problem') throw badRequest(outcome.message);
    if (outcome.kind === 'present') return { added: false, message: `aq.json already has the local source "${params.name}" on ${params.path}.` };
    const temporary = `${configPath}.aq-pull.partial`;
    try {
      await writeFile(temporary, outcome.text);
      await rename(temporary, configPath);
    } catch (error) {
      throw backendResponseError(isBackendError(error) ? error : new BackendError('config', `aq.json could not be written: ${(error as Error).message}`));
    }
    return { added: true, message: `Added the local source "${params.name}" (${params.path}) to aq.json.` };
  }

  return { pullEvents: pull, addLocalSource };
}

/** The folder as aq.json names it: relative to its folder when inside, with forward slashes. */
function localPath(rootDir: string, dir: string): string {
  const inside = relative(rootDir, dir);
  if (inside === '') return '.';
  return !inside.startsWith('..') && !isAbsolute(inside) ? inside.split(sep).join('/') : dir;
}

/**
 * The `local` source: runs segmentation, funnels, retention and JQL over exported event files,
 * following Mixpanel's documented rules (docs/local-engine.md gives each, and the reading taken
 * where the documentation is ambiguous), and answers in the same result model as the remote backends. Needs
 * no account and no network, so it is the default source of the bundled examples.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { existsSync } from 'node:fs';
import type { AnalyticsSchema } from '../../../queryContract/schemaTypes';
import { schemaFromLexicon } from '../../../queryContract/lexiconSchema';
import type { QuerySpec } from '../../../queryContract/querySpec';
import type { LimitNotice, QueryResult, ResultData, ResultWarning } from '../../../protocol/resultModel';
import { ensureSampleData, SAMPLE_DATA_FILE } from '../../../sample/generateSample';
import type { AnalyticsBackend, LocalSourceConfig, RunContext } from '../../analyticsBackend';
import { BackendError, isBackendError } from '../../backendErrors';
import { deriveSchema } from './deriveSchema';
import { runJql } from './jql/jqlRuntime';
import { jqlOutputToRows } from './jqlOutputToRows';
import { eventCountOf, eventTimeOf, forgetLocalDataset, loadLocalDataset } from './eventStore';
import { DamagedCacheError } from './datasetCache';
import type { LocalDataset } from './localEvent';
import { runLocalFunnel } from './localFunnel';
import { runLocalRetention } from './localRetention';
import { runLocalSegmentation } from './localSegmentation';
import { columnsReadBy } from './queryColumns';
import { datasetWarnings } from './datasetWarnings';
import { rangeInstants, ZoneClock } from './timeBuckets';
import { localLimitsFromEnv } from './localLimits';

export { jqlOutputToRows } from './jqlOutputToRows';

/** "Show raw" text is clipped here so a large result cannot flood the webview. */
const RAW_LIMIT_CHARS = 200_000;
/** Line numbers listed in a "skipped malformed lines" warning before eliding the rest. */

export interface LocalBackendOptions {
  /** The workspace root; a relative `source.path` / `schemaFile` is resolved against it. */
  rootDir: string;
  /** The bundled JQL worker (dist/jqlWorker.js); the runtime finds one itself when absent. */
  jqlWorkerPath?: string;
}

export class LocalBackend implements AnalyticsBackend {
  /** The absolute data path. */
  readonly dataPath: string;

  constructor(
    readonly source: LocalSourceConfig,
    readonly options: LocalBackendOptions,
  ) {
    this.dataPath = resolve(options.rootDir, source.path);
  }

  async fetchSchema(context: RunContext): Promise<AnalyticsSchema> {
    const fetchedAt = context.now().toISOString();
    if (this.source.schemaFile) {
      const schemaPath = resolve(this.options.rootDir, this.source.schemaFile);
      let json: unknown;
      try {
        json = JSON.parse(await readFile(schemaPath, 'utf8'));
      } catch (error) {
        throw new BackendError('config', `The schema file "${schemaPath}" of the source "${this.source.name}" could not be read: ${(error as Error).message}`);
      }
      return schemaFromLexicon(json, { kind: 'file', label: schemaPath, fetchedAt });
    }
    return this.deriveFromData(context);
  }

  /** The schema the data has now, whatever the schema file says: a local source's live schema. */
  async deriveFromData(context: RunContext): Promise<AnalyticsSchema> {
    const dataset = await this.load(context);
    return deriveSchema(dataset, `derived from ${basename(this.dataPath)}`, context.now().toISOString());
  }

  /** The values `property` takes on `event` in the data, most frequent first (ties by value), as text. */
  async propertyValues(event: string, property: string, context: RunContext, limit = 50): Promise<string[]> {
    const dataset = await this.load(context);
    const counts = new Map<string, number>();
    for (const candidate of dataset.events) {
      if (candidate.name !== event || !Object.hasOwn(candidate.properties, property)) continue;
      const value = candidate.properties[property];
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
      const text = String(value);
      counts.set(text, (counts.get(text) ?? 0) + 1);
    }
    return [...counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, limit)
      .map(([value]) => value);
  }

  async runQuery(spec: QuerySpec, context: RunContext): Promise<QueryResult> {
    const started = performance.now();
    const warnings: ResultWarning[] = [];
    let data: ResultData;
    let raw: string;
    let segmentTotal: number | undefined;
    try {
      ({ data, raw } = await this.compute(spec, context, warnings, (total) => (segmentTotal = total)));
    } catch (error) {
      if (isBackendError(error)) throw error;
      throw new BackendError('badResponse', `The local engine could not run "${spec.title}": ${(error as Error).message}`);
    }
    if (context.signal.aborted) throw new BackendError('cancelled', 'The query was cancelled.');
    const clipped = !context.fullRaw && raw.length > RAW_LIMIT_CHARS;
    const range = 'range' in spec && spec.range ? { from: spec.range.from, to: spec.range.to } : undefined;
    return {
      title: spec.title,
      queryKind: spec.kind,
      source: { kind: 'local', name: this.source.name },
      range,
      chart: spec.chart,
      cleaned: spec.clean,
      data,
      meta: {
        computedAt: context.now().toISOString(),
        durationMs: Math.round(performance.now() - started),
        rowCount: rowCountOf(data),
        seriesCount: seriesCountOf(data),
        warnings,
        ...limitedBy(spec, segmentTotal),
      },
      raw: clipped ? raw.slice(0, RAW_LIMIT_CHARS) : raw,
      rawTruncated: clipped,
    };
  }

  /**
   * The result's data and its raw answer: for JQL what main() returned, as Mixpanel's /jql answers
   * it; other kinds have no answer but their data.
   */
  private async compute(
    spec: QuerySpec,
    context: RunContext,
    warnings: ResultWarning[],
    onSegmentCount: (total: number) => void,
  ): Promise<{ data: ResultData; raw: string }> {
    const options = { timezone: this.source.timezone, onSegmentCount };
    switch (spec.kind) {
      case 'insights':
        throw new BackendError(
          'config',
          `"${spec.title}" is an insights query: saved Insights reports live in Mixpanel. Run it on a Mixpanel source, or rewrite it as a segmentation for the local source.`,
        );
      case 'debugger':
        throw new BackendError('config', `"${spec.title}" is a debugger query: the Tracker Debugger needs a Piwik PRO source.`);
      case 'report':
        throw new BackendError('config', `"${spec.title}" is a report query: Piwik PRO's Analytics Query API needs a Piwik PRO source.`);
      case 'jql': {
        const output = await this.runJqlQuery(spec.scriptPath, spec.params, context, warnings);
        return { data: jqlOutputToRows(output), raw: JSON.stringify(output) };
      }
      case 'segmentation':
      case 'funnel':
      case 'retention': {
        const run = async (): Promise<{ data: ResultData; raw: string }> => {
          const dataset = await this.load(context, spec);
          const found = datasetWarnings(dataset, this.dataPath);
          context.onProgress?.({ message: `Computing "${spec.title}" over ${eventCountOf(dataset).toLocaleString('en-US')} events…` });
          const data =
            spec.kind === 'segmentation'
              ? runLocalSegmentation(dataset, spec, options)
              : spec.kind === 'funnel'
                ? runLocalFunnel(dataset, spec, options)
                : runLocalRetention(dataset, spec, options);
          const coverage = coverageWarning(dataset, spec.range, this.source.timezone);
          warnings.push(...found, ...(coverage ? [coverage] : []));
          return { data, raw: JSON.stringify(data) };
        };
        try {
          return await run();
        } catch (error) {
          // The cache entry's line text failed its check when the query first needed it: the entry
          // is gone, so loading again reads the export.
          if (!(error instanceof DamagedCacheError)) throw error;
          forgetLocalDataset(this.dataPath);
          return run();
        }
      }
    }
  }

  /** What main() returned: the array of a collection's items. */
  private async runJqlQuery(scriptPath: string, params: Record<string, unknown>, context: RunContext, warnings: ResultWarning[]): Promise<unknown[]> {
    let script: string;
    try {
      script = await context.readTextFile(scriptPath);
    } catch (error) {
      throw new BackendError('config', `The JQL script "${scriptPath}" could not be read: ${(error as Error).message}`);
    }
    await this.ensureData();
    context.onProgress?.({ message: `Running ${basename(scriptPath)}…` });
    const limits = localLimitsFromEnv();
    const { output, warnings: scriptWarnings } = await runJql({
      script,
      params,
      dataPath: this.dataPath,
      timezone: this.source.timezone,
      signal: context.signal,
      workerPath: this.options.jqlWorkerPath,
      memoryMb: limits.jqlMemoryMb,
      timeoutMs: limits.jqlTimeoutMs,
      maxLineBytes: limits.maxLineBytes,
      maxDecompressedBytes: limits.maxDecompressedBytes,
    });
    warnings.push(...scriptWarnings.map((message) => ({ code: 'jql', message })));
    return output;
  }

  /** The source's events; when they must be read from disk, the properties `spec` reads come out of the lines as they are parsed. */
  private async load(context: RunContext, spec?: QuerySpec): Promise<LocalDataset> {
    await this.ensureData();
    context.onProgress?.({ message: `Reading ${basename(this.dataPath)}…` });
    return loadLocalDataset(this.dataPath, { signal: context.signal, timezone: this.source.timezone, extract: spec && columnsReadBy(spec) });
  }

  /** The bundled sample ships without its data; it is generated the first time a query needs it. */
  private async ensureData(): Promise<void> {
    if (!existsSync(this.dataPath) && this.dataPath.endsWith(join('data', SAMPLE_DATA_FILE))) {
      await ensureSampleData(dirname(dirname(this.dataPath)));
    }
  }
}

/** Says so when the query's range lies outside the data, the usual reason for an empty answer. */
function coverageWarning(dataset: LocalDataset, range: { from: string; to: string }, timezone: string | undefined): ResultWarning | undefined {
  const count = eventCountOf(dataset);
  if (count === 0) return { code: 'noData', message: 'the local source holds no events' };
  const { start, end } = rangeInstants(range, new ZoneClock(timezone));
  const first = eventTimeOf(dataset, 0);
  const last = eventTimeOf(dataset, count - 1);
  if (last >= start && first < end) return undefined;
  const day = (time: number): string => new Date(time).toISOString().slice(0, 10);
  return { code: 'outsideData', message: `the range ${range.from} to ${range.to} has no events: the data covers ${day(first)} to ${day(last)} (UTC)` };
}

function rowCountOf(data: ResultData): number {
  switch (data.kind) {
    case 'series':
      return data.dates.length;
    case 'funnel':
      return data.byDate?.length ?? data.steps.length;
    case 'retention':
      return data.cohorts.length;
    case 'rows':
      return data.rows.length;
    case 'debugger':
      return data.sessions.length;
  }
}

/** The limit notice when `limit` kept fewer segments than the data has. */
function limitedBy(spec: QuerySpec, segmentTotal: number | undefined): { limited?: LimitNotice } {
  if (segmentTotal === undefined || !('limit' in spec) || spec.limit === undefined || segmentTotal <= spec.limit) return {};
  return { limited: { noun: 'segments', shown: spec.limit, total: segmentTotal, limit: spec.limit } };
}

function seriesCountOf(data: ResultData): number {
  switch (data.kind) {
    case 'series':
      return data.series.length;
    case 'funnel':
      return data.segments.length;
    case 'retention':
      return new Set(data.cohorts.map((cohort) => cohort.segment)).size;
    case 'rows':
      return data.columns.length;
    case 'debugger':
      return data.sessions.length;
  }
}

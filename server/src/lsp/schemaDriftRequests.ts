/**
 * Schema drift in the editor: each source with a `schemaFile` is compared with its live schema at
 * most once per DRIFT_CHECK_INTERVAL_MS, and the answer is kept in memory in between, so the status
 * bar may ask at every editor switch without costing a request. Remote checks are background ones:
 * one Lexicon request, none when the hourly budget is nearly spent, none in an untrusted workspace.
 * "Update Schema Snapshot" rewrites the file with the live schema and the drift clears.
 */
import { ResponseError } from 'vscode-languageserver';
import { driftCounts, formatDriftText, schemaDrift } from '../queryContract/schemaDrift';
import type { AnalyticsSchema } from '../queryContract/schemaTypes';
import { AqErrorCode, type BackendErrorData, type SchemaDriftParams, type SourceSchemaDrift } from '../protocol/customRequests';
import { isBackendError } from '../queryEngine/backendErrors';
import type { SourceConfig } from '../queryEngine/sourceConfig';
import { readSchemaSnapshot, writeSchemaSnapshot } from '../workflows/schema/schemaSnapshot';
import { documentPathOf } from './documentPath';
import { backendResponseError } from './queryRequests';
import type { ServerContext } from './serverContext';

/** A source's drift is looked at again after this long; never at each keystroke. */
export const DRIFT_CHECK_INTERVAL_MS = 10 * 60 * 1000;

interface DriftCheck {
  at: number;
  result?: SourceSchemaDrift;
  pending?: Promise<SourceSchemaDrift>;
}

type SnapshotSource = SourceConfig & { kind: 'local' | 'mixpanel'; schemaFile: string };

export interface SchemaDriftRequests {
  schemaDrift(params: SchemaDriftParams): Promise<SourceSchemaDrift[]>;
  updateSchemaSnapshot(params: { uri?: string; sourceName: string }, signal: AbortSignal): Promise<SourceSchemaDrift>;
}

export function createSchemaDriftRequests(context: ServerContext, now: () => number = Date.now): SchemaDriftRequests {
  const checks = new Map<string, DriftCheck>();
  const keyOf = (source: SnapshotSource) => `${source.name}\u0000${source.schemaFile}`;

  function snapshotSource(source: SourceConfig | undefined): SnapshotSource | undefined {
    return source && source.kind !== 'piwik' && source.schemaFile ? (source as SnapshotSource) : undefined;
  }

  function summary(source: SnapshotSource, committed: AnalyticsSchema, live: AnalyticsSchema): SourceSchemaDrift {
    const drift = schemaDrift(source.name, committed, live);
    return {
      source: source.name,
      schemaFile: source.schemaFile,
      checkedAt: new Date(now()).toISOString(),
      liveLabel: live.origin?.label,
      drift,
      ...driftCounts(drift),
      text: formatDriftText(drift),
    };
  }

  function failed(source: SnapshotSource, error: string): SourceSchemaDrift {
    return { source: source.name, schemaFile: source.schemaFile, checkedAt: new Date(now()).toISOString(), events: 0, properties: 0, text: '', error };
  }

  async function compare(source: SnapshotSource, path: string | undefined): Promise<SourceSchemaDrift> {
    const committed = await readSchemaSnapshot(source.schemaFile);
    if (!committed.ok) return failed(source, committed.reason);
    try {
      // A background check nobody waits for: it is not cancelled with the request that started it.
      const live = await context.engine().liveSchema(source.name, path, {
        signal: new AbortController().signal,
        getCredentials: context.credentialsFor,
        background: true,
      });
      return summary(source, committed.schema, live);
    } catch (error) {
      if (!isBackendError(error)) throw error;
      return failed(source, error.message);
    }
  }

  function check(source: SnapshotSource, path: string | undefined): Promise<SourceSchemaDrift> {
    const key = keyOf(source);
    const known = checks.get(key);
    if (known?.pending) return known.pending;
    if (known?.result && now() - known.at < DRIFT_CHECK_INTERVAL_MS) return Promise.resolve(known.result);
    const entry: DriftCheck = { at: now(), result: known?.result };
    entry.pending = compare(source, path)
      .then((result) => {
        entry.result = result;
        entry.at = now();
        return result;
      })
      .finally(() => {
        entry.pending = undefined;
      });
    checks.set(key, entry);
    return entry.pending;
  }

  return {
    async schemaDrift(params) {
      const engine = context.engine();
      const path = params.uri ? documentPathOf(params.uri) : undefined;
      const names = params.sourceName !== undefined ? [params.sourceName] : engine.status(path).map((status) => status.name);
      const sources = names.map((name) => snapshotSource(engine.sourceNamed(name, path))).filter((source): source is SnapshotSource => source !== undefined);
      return Promise.all(sources.map((source) => check(source, path)));
    },

    async updateSchemaSnapshot(params, signal) {
      const engine = context.engine();
      const path = params.uri ? documentPathOf(params.uri) : undefined;
      const source = snapshotSource(engine.sourceNamed(params.sourceName, path));
      if (!source) {
        throw new ResponseError<BackendErrorData>(AqErrorCode.backend, `The source "${params.sourceName}" has no "schemaFile" in aq.json to update.`, {
          kind: 'config',
        });
      }
      let live: AnalyticsSchema;
      try {
        live = await engine.liveSchema(source.name, path, { signal, getCredentials: context.credentialsFor });
        await writeSchemaSnapshot(source.schemaFile, live);
      } catch (error) {
        if (isBackendError(error)) throw backendResponseError(error, source);
        throw new ResponseError<BackendErrorData>(
          AqErrorCode.backend,
          `The schema file ${source.schemaFile} could not be written: ${(error as Error).message}`,
          {
            kind: 'config',
          },
        );
      }
      const written = await readSchemaSnapshot(source.schemaFile);
      const result = written.ok ? summary(source, written.schema, live) : failed(source, written.reason);
      checks.set(keyOf(source), { at: now(), result });
      // Lint and completion read the file the source names: they take the new snapshot at once.
      await engine.refreshSchema(source.name, { signal, getCredentials: context.credentialsFor }).catch((error: unknown) => {
        context.log.warn(`aq: reloading the schema of "${source.name}" failed: ${(error as Error).message}`);
      });
      return result;
    },
  };
}

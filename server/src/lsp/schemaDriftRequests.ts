/**
 * Schema drift in the editor: each source's live schema is fetched at most once per
 * DRIFT_CHECK_INTERVAL_MS and kept in memory in between, so the status bar may ask at every editor
 * switch without costing a request; the committed `schemaFile` is read at each question, so a pull
 * in a terminal or an edit of the file shows at once. Remote checks are background ones:
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

/** The live schema of a source as last fetched (or why it could not be), kept for DRIFT_CHECK_INTERVAL_MS. */
interface LiveCheck {
  at: number;
  live?: AnalyticsSchema;
  error?: string;
  pending?: Promise<LiveCheck>;
}

type SnapshotSource = SourceConfig & { kind: 'local' | 'mixpanel'; schemaFile: string };

export interface SchemaDriftRequests {
  schemaDrift(params: SchemaDriftParams): Promise<SourceSchemaDrift[]>;
  updateSchemaSnapshot(params: { uri?: string; sourceName: string }, signal: AbortSignal): Promise<SourceSchemaDrift>;
}

export function createSchemaDriftRequests(context: ServerContext, now: () => number = Date.now): SchemaDriftRequests {
  const checks = new Map<string, LiveCheck>();
  const keyOf = (source: SnapshotSource) => `${source.name}\u0000${source.schemaFile}`;

  function snapshotSource(source: SourceConfig | undefined): SnapshotSource | undefined {
    return source && source.kind !== 'piwik' && source.schemaFile ? (source as SnapshotSource) : undefined;
  }

  function summary(source: SnapshotSource, committed: AnalyticsSchema, live: AnalyticsSchema, at: number): SourceSchemaDrift {
    const drift = schemaDrift(source.name, committed, live);
    return {
      source: source.name,
      schemaFile: source.schemaFile,
      checkedAt: new Date(at).toISOString(),
      liveLabel: live.origin?.label,
      drift,
      ...driftCounts(drift),
      text: formatDriftText(drift),
    };
  }

  function failed(source: SnapshotSource, error: string, at: number): SourceSchemaDrift {
    return { source: source.name, schemaFile: source.schemaFile, checkedAt: new Date(at).toISOString(), events: 0, properties: 0, text: '', error };
  }

  /** The live schema, fetched again only when the last fetch is older than the interval. */
  function liveOf(source: SnapshotSource, path: string | undefined): Promise<LiveCheck> {
    const key = keyOf(source);
    const known = checks.get(key);
    if (known?.pending) return known.pending;
    if (known && now() - known.at < DRIFT_CHECK_INTERVAL_MS) return Promise.resolve(known);
    const entry: LiveCheck = { at: now() };
    // A background check nobody waits for: it is not cancelled with the request that started it.
    entry.pending = context
      .engine()
      .liveSchema(source.name, path, { signal: new AbortController().signal, getCredentials: context.credentialsFor, background: true })
      .then(
        (live) => ({ at: now(), live }),
        (error: unknown) => {
          if (!isBackendError(error)) throw error;
          return { at: now(), error: error.message };
        },
      )
      .then((result) => {
        checks.set(key, result);
        return result;
      })
      .finally(() => {
        entry.pending = undefined;
        if (checks.get(key) === entry) checks.delete(key);
      });
    checks.set(key, entry);
    return entry.pending;
  }

  /** The committed file is read at every question (it is small, and a pull or an edit changes it); the live schema is not. */
  async function compare(source: SnapshotSource, path: string | undefined): Promise<SourceSchemaDrift> {
    const live = await liveOf(source, path);
    const committed = await readSchemaSnapshot(source.schemaFile);
    if (!committed.ok) return failed(source, committed.reason, live.at);
    if (!live.live) return failed(source, live.error ?? 'the live schema is not known', live.at);
    return summary(source, committed.schema, live.live, live.at);
  }

  return {
    async schemaDrift(params) {
      const engine = context.engine();
      const path = params.uri ? documentPathOf(params.uri) : undefined;
      const names = params.sourceName !== undefined ? [params.sourceName] : engine.status(path).map((status) => status.name);
      const sources = names.map((name) => snapshotSource(engine.sourceNamed(name, path))).filter((source): source is SnapshotSource => source !== undefined);
      return Promise.all(sources.map((source) => compare(source, path)));
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
      const at = now();
      checks.set(keyOf(source), { at, live });
      const result = written.ok ? summary(source, written.schema, live, at) : failed(source, written.reason, at);
      // Lint and completion read the file the source names: they take the new snapshot at once.
      await engine.refreshSchema(source.name, { signal, getCredentials: context.credentialsFor }).catch((error: unknown) => {
        context.log.warn(`aq: reloading the schema of "${source.name}" failed: ${(error as Error).message}`);
      });
      return result;
    },
  };
}

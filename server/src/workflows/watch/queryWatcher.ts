/**
 * The one set-up of a watch on a `debugger` query, for `aq watch` and the editor's Start Watching:
 * each poll runs the query for the minutes since the last good poll, and what was reported is
 * remembered on disk per file, query, source and event types, so a restart reports nothing twice.
 * The hosts differ only in where alerts go and how a failure is told.
 */
import type { DebuggerData } from '../../protocol/resultModel';
import type { DebuggerSpec } from '../../queryContract/querySpec';
import type { QueryEngine, RunOptions } from '../../queryEngine/queryEngineTypes';
import { BrokenEventWatcher, type WatchAlert } from './brokenEventWatcher';
import { loadWatchMemory, saveWatchMemory, watchMemoryPath } from './watchMemoryStore';

export interface QueryWatchOptions {
  engine: Pick<QueryEngine, 'run'>;
  spec: DebuggerSpec;
  /** The .aq file the query is in (its aq.json picks the source). */
  documentPath: string;
  title: string;
  sourceName: string;
  /** Where the watch memory lives (`<cacheDir>/watch/`). */
  cacheDir: string;
  getCredentials: RunOptions['getCredentials'];
  maxAlertsPerPoll?: number;
  /** Start without the remembered state (and replace it). */
  fresh?: boolean;
  onAlert(alert: WatchAlert): Promise<void>;
  onDeliveryError(error: unknown): void;
  /** Told once, the first time the memory cannot be saved. */
  onMemoryNotSaved(failure: string): void;
}

export function createQueryWatcher(options: QueryWatchOptions): BrokenEventWatcher {
  const { spec } = options;
  const memoryPath = watchMemoryPath(options.cacheDir, {
    file: options.documentPath,
    queryTitle: options.title,
    sourceName: options.sourceName,
    eventTypes: spec.eventTypes,
  });
  let memoryWarned = false;
  return new BrokenEventWatcher({
    eventTypes: spec.eventTypes,
    initialLookupWindowMinutes: spec.lookupWindow,
    maxAlertsPerPoll: options.maxAlertsPerPoll,
    memory: options.fresh ? undefined : loadWatchMemory(memoryPath),
    onMemoryChange: (memory) => {
      const failure = saveWatchMemory(memoryPath, memory);
      if (failure === undefined || memoryWarned) return;
      memoryWarned = true;
      options.onMemoryNotSaved(failure);
    },
    poll: async ({ lookupWindowMinutes, eventTypes, signal }) => {
      const result = await options.engine.run({ ...spec, eventTypes, lookupWindow: lookupWindowMinutes, logs: true }, options.documentPath, {
        signal,
        bypassCache: true,
        getCredentials: options.getCredentials,
      });
      return result.data.kind === 'debugger' ? (result.data as DebuggerData).sessions : [];
    },
    onAlert: options.onAlert,
    onDeliveryError: options.onDeliveryError,
  });
}

/** Messages between jqlRuntime (host thread) and jqlWorker. Plain JSON-able values only. */

export interface JqlWorkerRequest {
  id: number;
  script: string;
  params: Record<string, unknown>;
  dataPath: string;
  timezone: string;
  timeoutMs: number;
  /** Caps for reading the data (the worker does not see the environment they come from). */
  maxLineBytes: number;
  maxDecompressedBytes?: number;
}

export type JqlWorkerReply =
  /** The data is loaded and the script starts: the host's backstop timer starts now. */
  | { type: 'started'; id: number }
  | { type: 'done'; id: number; outputJson: string; warnings: string[] }
  | {
      type: 'failed';
      id: number;
      /** `data`: the dataset could not be loaded (errorKind is the BackendError kind, if any). */
      reason: 'script' | 'timeout' | 'data' | 'tooLarge';
      message: string;
      errorKind?: string;
    };

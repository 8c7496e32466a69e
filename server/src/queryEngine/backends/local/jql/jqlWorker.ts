'use strict';
/**
 * The JQL worker, a child process of the server: loads a local dataset (kept between runs: the
 * event store caches it per path and file mtimes, and the sandbox's view of it is cached per
 * dataset and time zone) and runs scripts one at a time in the sandbox. The host (jqlRuntime.ts)
 * owns the time and memory limits.
 */
import { datasetWarnings } from '../datasetWarnings';
import { loadLocalDataset } from '../eventStore';
import { jqlHostData } from './jqlHostData';
import { runInSandbox } from './jqlSandbox';
import type { JqlWorkerReply, JqlWorkerRequest } from './jqlWorkerProtocol';
import { Worker } from 'node:worker_threads';

/** Output above this is refused instead of being shipped to (and parsed by) the language server. */
const MAX_OUTPUT_CHARS = 50_000_000;

const send = (reply: JqlWorkerReply): void => {
  process.send?.(reply);
};

if (process.send) {
  process.on('message', (request: JqlWorkerRequest) => {
    void handle(request).then(send);
  });
  // The server went away: nothing is left to answer.
  process.on('disconnect', () => process.exit(0));
  watchParent();
}

/**
 * While a script runs, this process's event loop is busy and never sees the server or `aq run` go
 * away, so a killed parent would leave it computing until the time limit. A tiny thread, with its
 * own event loop, notices that the parent is gone (this process is re-parented) and ends the process.
 */
function watchParent(): void {
  const source = `const { workerData } = require('node:worker_threads');
setInterval(() => { if (process.ppid !== workerData.parent) process.kill(process.pid, 'SIGKILL'); }, 250);`;
  const watchdog = new Worker(source, { eval: true, workerData: { parent: process.ppid }, resourceLimits: { maxOldGenerationSizeMb: 8 } });
  watchdog.unref();
}

async function handle(request: JqlWorkerRequest): Promise<JqlWorkerReply> {
  try {
    const dataset = await loadLocalDataset(request.dataPath, {
      timezone: request.timezone,
      limits: { maxLineBytes: request.maxLineBytes, maxDecompressedBytes: request.maxDecompressedBytes },
    });
    const data = jqlHostData(dataset, request.timezone);
    send({ type: 'started', id: request.id });
    const outcome = runInSandbox({ script: request.script, params: request.params, data, timeoutMs: request.timeoutMs });
    if (outcome.ok) {
      const outputJson = outcome.outputJson;
      if (outputJson.length > MAX_OUTPUT_CHARS) {
        const size = Math.round(outputJson.length / 1_000_000);
        const message = `The JQL output is about ${size} MB, more than the ${MAX_OUTPUT_CHARS / 1_000_000} MB that can be shown: aggregate it (groupBy, reduce) or filter it in the script`;
        return { type: 'failed', id: request.id, reason: 'tooLarge', message };
      }
      return { type: 'done', id: request.id, outputJson, warnings: datasetWarnings(dataset, request.dataPath).map((warning) => warning.message) };
    }
    return { type: 'failed', id: request.id, reason: outcome.reason, message: outcome.reason === 'script' ? outcome.message : '' };
  } catch (error) {
    const kind = (error as { kind?: unknown }).kind;
    return {
      type: 'failed',
      id: request.id,
      reason: 'data',
      message: error instanceof Error ? error.message : String(error),
      errorKind: typeof kind === 'string' ? kind : undefined,
    };
  }
}

/**
 * The safety net around every handler: a bug in one feature answers with a fallback and a log
 * line instead of an error popup or a dead server, and LSP cancellation becomes an `AbortSignal`
 * the query engine understands.
 */
import { CancellationToken, ErrorCodes, LSPErrorCodes, ResponseError } from 'vscode-languageserver';

export interface ErrorLog {
  error(message: string): void;
}

export function formatError(message: string, error: unknown): string {
  if (error instanceof Error) return `${message}: ${error.message}\n${error.stack ?? ''}`.trimEnd();
  if (typeof error === 'string') return `${message}: ${error}`;
  return `${message}: ${String(error)}`;
}

function cancelled<E>(): ResponseError<E> {
  return new ResponseError(LSPErrorCodes.RequestCancelled, 'Request cancelled');
}

/** Yields to the event loop so a `$/cancelRequest` that is already queued can arrive first. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs synchronous feature work (completion, hover, symbols…). Checks the token before and
 * after; returns `fallback` when the work throws.
 */
export async function runSafe<T, E = void>(log: ErrorLog, work: () => T, fallback: T, label: string, token: CancellationToken): Promise<T | ResponseError<E>> {
  await yieldToEventLoop();
  if (token.isCancellationRequested) return cancelled<E>();
  try {
    const result = work();
    if (token.isCancellationRequested) return cancelled<E>();
    return result;
  } catch (error) {
    log.error(formatError(`aq: ${label} failed`, error));
    return fallback;
  }
}

/** Turns an LSP cancellation token into an AbortSignal (aborted at once when already cancelled). */
export function abortSignalFor(token: CancellationToken): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  if (token.isCancellationRequested) {
    controller.abort();
    return { signal: controller.signal, dispose: () => undefined };
  }
  const subscription = token.onCancellationRequested(() => controller.abort());
  return { signal: controller.signal, dispose: () => subscription.dispose() };
}

/**
 * Runs asynchronous work that may be aborted (queries, schema refreshes). A `ResponseError`
 * thrown by the work is the answer and passes through; any other error is a bug, logged and
 * answered with an internal error (or `fallback` when one is given).
 */
export async function runSafeAsync<T, E = void>(
  log: ErrorLog,
  work: (signal: AbortSignal) => Promise<T>,
  label: string,
  token: CancellationToken,
  fallback?: { value: T },
): Promise<T | ResponseError<E>> {
  if (token.isCancellationRequested) return cancelled<E>();
  const abort = abortSignalFor(token);
  try {
    return await work(abort.signal);
  } catch (error) {
    if (error instanceof ResponseError) return error as ResponseError<E>;
    log.error(formatError(`aq: ${label} failed`, error));
    if (fallback) return fallback.value;
    return new ResponseError<E>(ErrorCodes.InternalError, `aq: ${label} failed unexpectedly; see the "aq" output channel for details.`);
  } finally {
    abort.dispose();
  }
}

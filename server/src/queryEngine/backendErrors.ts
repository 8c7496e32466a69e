/**
 * Every failure of a query becomes a BackendError with a kind the client can act on (a fix
 * button per kind) and a message written for the analyst. Messages never contain a secret.
 */
import type { TextSpan } from '../languageService/parser/queryAst';

export type BackendErrorKind =
  | 'auth' // 401/403: wrong or missing credentials
  | 'region' // the project lives in another data residency region
  | 'plan' // 402: the plan does not include this
  | 'notFound' // unknown project, funnel, bookmark, app
  | 'badRequest' // 400: the API rejected the query
  | 'rateLimited' // 429
  | 'server' // 5xx after retries
  | 'network' // connection refused / reset / DNS
  | 'timeout'
  | 'cancelled'
  | 'badResponse' // malformed or truncated body
  | 'tooLarge' // response above the configured bound
  | 'config' // the source is not configured or the query cannot run on it
  | 'script'; // a JQL script failed

export class BackendError extends Error {
  constructor(
    readonly kind: BackendErrorKind,
    message: string,
    readonly details: {
      status?: number;
      retryAfterMs?: number;
      hint?: string;
      /** The clause of the query the error concerns (a report column the API does not know), where the API says. */
      at?: { clause: string; span: TextSpan };
    } = {},
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

export function isBackendError(error: unknown): error is BackendError {
  return error instanceof BackendError;
}

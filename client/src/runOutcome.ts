/**
 * The one-line outcome of a run shown in the CodeLens above a query, headline first:
 * "✓ 1,729 → 647 · 37.4 % · 4 rows · 0.8 s · cached 2 min ago · showing 60 of 312 segments — raise limit"
 * or "✗ <the error in one line>". A query with `expect` clauses reads its checks first:
 * "✓ 3/3 expectations · …" or "✗ total 812, expected > 1,000". No `vscode` import: unit-tested.
 */
import { limitNoticeText } from '../../server/src/protocol/limitNotice';
import type { LimitNotice, QueryResult } from '../../server/src/protocol/resultModel';

/** How a query's expectations came out when it ran. */
export interface ExpectationsOutcome {
  passed: number;
  total: number;
  /** The message of each expectation that failed or could not be checked, in order. */
  problems: string[];
}

export type RunOutcome =
  | {
      ok: true;
      headline?: string;
      limited?: LimitNotice;
      rowCount: number;
      seriesCount: number;
      durationMs: number;
      cachedAgeMs?: number;
      finishedAt: number;
      expectations?: ExpectationsOutcome;
    }
  | { ok: false; message: string; finishedAt: number };

const MAX_ERROR_CHARS = 120;
const integers = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function describeOutcome(outcome: RunOutcome, now: number): string {
  if (!outcome.ok) return `✗ ${oneLine(outcome.message)}`;
  const checks = outcome.expectations;
  if (checks && checks.problems.length > 0) {
    const more = checks.problems.length > 1 ? ` (+${checks.problems.length - 1} more)` : '';
    return `✗ ${oneLine(checks.problems[0])}${more}`;
  }
  const parts = checks && checks.total > 0 ? [`${checks.passed}/${checks.total} expectations`] : [];
  if (outcome.headline) parts.push(outcome.headline);
  parts.push(`${integers.format(outcome.rowCount)} ${outcome.rowCount === 1 ? 'row' : 'rows'}`);
  if (outcome.seriesCount > 1) parts.push(`${integers.format(outcome.seriesCount)} series`);
  parts.push(formatSeconds(outcome.durationMs));
  if (outcome.cachedAgeMs !== undefined) parts.push(`cached ${formatAgo(outcome.cachedAgeMs + Math.max(0, now - outcome.finishedAt))}`);
  if (outcome.limited) parts.push(limitNoticeText(outcome.limited));
  return `✓ ${parts.join(' · ')}`;
}

/** The expectations part of an outcome, from the results of a query's expectations. */
export function expectationsOutcome(results: ReadonlyArray<{ status: 'passed' | 'failed' | 'error'; message: string }>): ExpectationsOutcome {
  return {
    passed: results.filter((result) => result.status === 'passed').length,
    total: results.length,
    problems: results.filter((result) => result.status !== 'passed').map((result) => result.message),
  };
}

/** The outcome of a finished run, from its result. */
export function successOutcome(result: QueryResult, finishedAt: number): RunOutcome {
  return {
    ok: true,
    headline: result.meta.headline,
    limited: result.meta.limited,
    rowCount: result.meta.rowCount,
    seriesCount: result.meta.seriesCount,
    durationMs: result.meta.durationMs,
    cachedAgeMs: result.meta.cachedAgeMs,
    finishedAt,
  };
}

/** The first line of a message, shortened with an ellipsis. */
export function oneLine(message: string): string {
  const line = message.split(/\r?\n/).find((part) => part.trim()) ?? message;
  const trimmed = line.trim();
  return trimmed.length > MAX_ERROR_CHARS ? `${trimmed.slice(0, MAX_ERROR_CHARS - 1)}…` : trimmed;
}

function formatSeconds(ms: number): string {
  if (ms < 10_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms / 1000)} s`;
}

function formatAgo(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.floor(hours / 24)} d ago`;
}

/**
 * What the panel, the outcome line and `aq run` say when `limit` left segments or sessions out, and
 * the `limit` the quick fix writes instead.
 */
import type { LimitNotice } from './resultModel';

const integers = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
/** The largest `limit` the clause accepts. */
export const MAX_LIMIT = 10_000;

/** "showing 60 of 312 segments — raise limit"; without a known total, says there may be more. */
export function limitNoticeText(notice: LimitNotice): string {
  const shown = integers.format(notice.shown);
  if (notice.total !== undefined) return `showing ${shown} of ${integers.format(notice.total)} ${notice.noun} — raise limit`;
  const noun = notice.shown === 1 ? notice.noun.replace(/s$/, '') : notice.noun;
  return `showing the first ${shown} ${noun} (limit ${integers.format(notice.limit)}), there may be more — raise limit`;
}

/** The `limit` that shows everything: the total when known, else twice the current one; never past MAX_LIMIT. */
export function raisedLimit(notice: LimitNotice): number {
  return Math.min(MAX_LIMIT, Math.max(notice.limit + 1, notice.total ?? notice.limit * 2));
}

/**
 * Long completion lists, cut to what matches the typed text. A schema can hold 10,000 events:
 * sending them all on every keystroke costs more than everything else a keystroke does, and the
 * editor shows a dozen. So a list longer than the limit keeps only the candidates the editor
 * could still show for the text typed so far, the best matches first, and says it is incomplete:
 * the editor then asks again as the user types, and each answer is narrowed to the longer text.
 * Lists within the limit are left whole, exactly as before.
 */
import type { CompletionCandidate } from './analyticsTypes';

/** The most candidates one answer carries; the editor shows about a dozen at a time. */
export const COMPLETION_LIST_LIMIT = 100;

export interface NarrowedCompletions {
  candidates: CompletionCandidate[];
  /** True when candidates were left out: the editor must ask again as the text under the cursor changes. */
  isIncomplete: boolean;
}

/** What the editor filters a candidate on: the text it inserts (sent as `filterText`). */
function filterTextOf(candidate: CompletionCandidate): string {
  return candidate.insertText ?? candidate.label;
}

/** The text the editor matches a candidate against: from the start of the span it replaces to the cursor. */
function typedBefore(candidate: CompletionCandidate, text: string, offset: number): string {
  const span = candidate.replaceSpan;
  if (span === undefined || span.start >= offset) return '';
  return text.slice(span.start, offset);
}

/** A character code with case folded (ASCII directly; others through toLowerCase, rarely needed). */
function folded(code: number): number {
  if (code < 128) return code >= 65 && code <= 90 ? code + 32 : code;
  return String.fromCharCode(code).toLowerCase().charCodeAt(0);
}

function isAlphanumeric(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** Whether a word starts at `index`: the start, after a separator, or a capital after a lower-case letter. */
function isWordStartAt(target: string, index: number): boolean {
  if (index === 0) return true;
  const previous = target.charCodeAt(index - 1);
  const current = target.charCodeAt(index);
  return !isAlphanumeric(previous) || (previous >= 97 && previous <= 122 && current >= 65 && current <= 90);
}

/**
 * How well `typed` matches `target`, ignoring case: 0 a prefix, 1 in order from a word start,
 * 2 in order anywhere, -1 not at all. The editor's fuzzy filter shows only candidates matching
 * in order, so keeping every ranked match never hides one it would show. Runs for each of
 * thousands of candidates per keystroke, hence the loops instead of lower-cased copies.
 */
export function matchRank(typed: string, target: string): number {
  if (typed.length === 0) return 0;
  if (typed.length > target.length) return -1;
  let prefix = 0;
  while (prefix < typed.length && folded(typed.charCodeAt(prefix)) === folded(target.charCodeAt(prefix))) prefix++;
  if (prefix === typed.length) return 0;
  const first = folded(typed.charCodeAt(0));
  let best = -1;
  for (let start = 0; start <= target.length - typed.length; start++) {
    if (folded(target.charCodeAt(start)) !== first) continue;
    let matched = 1;
    for (let position = start + 1; matched < typed.length && position < target.length; position++) {
      if (folded(target.charCodeAt(position)) === folded(typed.charCodeAt(matched))) matched++;
    }
    // A later start matches only what an earlier one did: the first failure is final.
    if (matched < typed.length) break;
    if (isWordStartAt(target, start)) return 1;
    best = 2;
  }
  return best;
}

/**
 * Which of `count` candidates to keep when there are more than `limit`: the best `limit` matches
 * of the typed text (by match, then by the candidates' own order), as indices in that order.
 * `typedAt(index)` is the text typed for a candidate, asked in index order; `filterTextAt(index)`
 * what the editor matches it against.
 */
export function narrowedIndices(count: number, typedAt: (index: number) => string, filterTextAt: (index: number) => string, limit: number): number[] {
  const ranked: Array<{ index: number; rank: number }> = [];
  let prefixes = 0;
  for (let index = 0; index < count; index++) {
    const rank = matchRank(typedAt(index), filterTextAt(index));
    if (rank < 0) continue;
    ranked.push({ index, rank });
    // Prefixes rank first and ties keep the candidates' order: once `limit` of them are found, the rest cannot get in.
    if (rank === 0 && ++prefixes === limit) break;
  }
  ranked.sort((a, b) => a.rank - b.rank || a.index - b.index);
  return ranked
    .slice(0, limit)
    .map((entry) => entry.index)
    .sort((a, b) => a - b);
}

/**
 * The candidates to send for a cursor at `offset` in `text`: all of them when they fit in
 * `limit`, else the best `limit` matches of the typed text (by match, then by the candidates'
 * own order), in the candidates' order.
 */
export function narrowCompletions(
  candidates: readonly CompletionCandidate[],
  text: string,
  offset: number,
  limit = COMPLETION_LIST_LIMIT,
): NarrowedCompletions {
  if (candidates.length <= limit) return { candidates: [...candidates], isIncomplete: false };
  // Candidates of one list mostly replace the same span: the typed text is sliced once per span.
  let lastSpanStart = -1;
  let typed = '';
  const typedAt = (index: number) => {
    const candidate = candidates[index];
    const spanStart = candidate.replaceSpan?.start ?? -1;
    if (spanStart !== lastSpanStart || index === 0) {
      typed = typedBefore(candidate, text, offset);
      lastSpanStart = spanStart;
    }
    return typed;
  };
  const kept = narrowedIndices(candidates.length, typedAt, (index) => filterTextOf(candidates[index]), limit);
  return { candidates: kept.map((index) => candidates[index]), isIncomplete: true };
}

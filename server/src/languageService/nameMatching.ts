/**
 * "Did you mean" for event, property, clause and query-kind names. Pure and fast: it runs on
 * every keystroke against schemas with thousands of events.
 */

/**
 * The optimal-string-alignment (restricted Damerau-Levenshtein) distance between `a` and `b`:
 * insertions, deletions, substitutions and swaps of two neighbouring characters each cost 1.
 * When `limit` is given, the computation stops as soon as the distance is known to exceed it and
 * returns `limit + 1`.
 */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;

  const lastColumn = b.length;
  // Cells further than `band` from the diagonal cannot lead to a distance within the limit.
  const band = Math.min(limit, Math.max(a.length, b.length));
  const outside = a.length + b.length + 1;
  ensureRows(lastColumn + 2);
  // Three rows are enough: the transposition step looks two rows back.
  let twoBack = rowA;
  let previous = rowB;
  let current = rowC;
  for (let j = 0; j <= lastColumn + 1; j++) previous[j] = j <= band ? j : outside;

  for (let i = 1; i <= a.length; i++) {
    const low = Math.max(1, i - band);
    const high = Math.min(lastColumn, i + band);
    current[low - 1] = low === 1 ? i : outside;
    if (high < lastColumn) current[high + 1] = outside;
    let rowMinimum = low === 1 ? i : outside;
    const aChar = a.charCodeAt(i - 1);
    const aBefore = i > 1 ? a.charCodeAt(i - 2) : -1;
    for (let j = low; j <= high; j++) {
      const bChar = b.charCodeAt(j - 1);
      let best = previous[j - 1] + (aChar === bChar ? 0 : 1);
      if (previous[j] + 1 < best) best = previous[j] + 1;
      if (current[j - 1] + 1 < best) best = current[j - 1] + 1;
      if (j > 1 && aChar === b.charCodeAt(j - 2) && aBefore === bChar && twoBack[j - 2] + 1 < best) {
        best = twoBack[j - 2] + 1;
      }
      current[j] = best;
      if (best < rowMinimum) rowMinimum = best;
    }
    if (rowMinimum > limit) return limit + 1;
    const spare = twoBack;
    twoBack = previous;
    previous = current;
    current = spare;
  }
  const distance = previous[lastColumn];
  return distance > limit ? limit + 1 : distance;
}

// Reused between calls: "did you mean" runs thousands of comparisons per keystroke.
let rowA = new Int32Array(64);
let rowB = new Int32Array(64);
let rowC = new Int32Array(64);

function ensureRows(length: number): void {
  if (rowA.length >= length) return;
  rowA = new Int32Array(length * 2);
  rowB = new Int32Array(length * 2);
  rowC = new Int32Array(length * 2);
}

/** Lower-cases and drops spaces, `_`, `-` and `.` so "sign up", "Sign_Up" and "SignUp" compare equal. */
export function normalizeName(name: string): string {
  let normalized = normalizedNames.get(name);
  if (normalized === undefined) {
    normalized = name.toLowerCase().replace(/[\s_\-.]+/g, '');
    if (normalizedNames.size >= NORMALIZED_CACHE_LIMIT) normalizedNames.clear();
    normalizedNames.set(name, normalized);
  }
  return normalized;
}

/** Schema names repeat on every keystroke; normalising them once pays for the map. */
const normalizedNames = new Map<string, string>();
const NORMALIZED_CACHE_LIMIT = 100_000;

/** How many edits a name of this length may be away from a candidate and still be suggested. */
function allowedDistance(length: number): number {
  if (length <= 2) return 0;
  if (length <= 4) return 1;
  if (length <= 8) return 2;
  return Math.min(4, Math.floor(length / 4) + 1);
}

/**
 * A cheap lower bound of the edit distance between `candidate` and the name whose character
 * counts are in `counts` (folded into 128 buckets, which only lowers the bound): every edit
 * changes at most one character in each direction. `counts` is left as it was found.
 */
function bagDistance(candidate: string, counts: Int32Array, nameLength: number): number {
  let shared = 0;
  for (let i = 0; i < candidate.length; i++) {
    if (counts[candidate.charCodeAt(i) & 127]-- > 0) shared++;
  }
  for (let i = 0; i < candidate.length; i++) counts[candidate.charCodeAt(i) & 127]++;
  return Math.max(nameLength, candidate.length) - shared;
}

/**
 * Up to `max` candidates the user probably meant by `name`, best first: candidates equal to it
 * up to case and spacing come first, then those within a small edit distance relative to the
 * name's length. Returns `[]` when nothing is close, and never suggests `name` itself.
 */
export function suggestNames(name: string, candidates: Iterable<string>, max = 3): string[] {
  if (max <= 0) return [];
  const normalized = normalizeName(name);
  const limit = allowedDistance(normalized.length);
  const scored: Array<{ candidate: string; score: number; order: number }> = [];
  let order = 0;
  const counts = new Int32Array(128);
  for (let i = 0; i < normalized.length; i++) counts[normalized.charCodeAt(i) & 127]++;

  for (const candidate of candidates) {
    if (candidate === name) continue;
    const normalizedCandidate = normalizeName(candidate);
    // The length check first keeps 10,000-candidate schemas cheap.
    if (Math.abs(normalizedCandidate.length - normalized.length) > limit) continue;
    let score: number;
    if (normalizedCandidate === normalized) {
      score = -1;
    } else if (limit === 0) {
      continue;
    } else {
      if (bagDistance(normalizedCandidate, counts, normalized.length) > limit) continue;
      score = editDistance(normalized, normalizedCandidate, limit);
      if (score > limit) continue;
    }
    scored.push({ candidate, score, order: order++ });
  }

  scored.sort((x, y) => x.score - y.score || x.order - y.order);
  const suggestions: string[] = [];
  for (const { candidate } of scored) {
    if (suggestions.length >= max) break;
    if (!suggestions.includes(candidate)) suggestions.push(candidate);
  }
  return suggestions;
}

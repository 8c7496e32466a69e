/**
 * Shared helpers for the language-feature tests: the caret-marker notation (`|` marks the cursor,
 * `[[…]]` marks expected diagnostic spans), applying edits, and the fixture shop schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalyticsSchema, CompletionCandidate, TextEdit, TextSpan } from '../../../server/src/languageService/analyticsTypes';
import { schemaFromLexicon } from '../../../server/src/queryContract/lexiconSchema';

export const FIXTURE_DIR = join(__dirname, '..', '..', 'fixtures', 'schemas');

export function readShopLexicon(): unknown {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, 'shop-lexicon.json'), 'utf8'));
}

/** The fixture online-shop schema, converted once per call (tests may rely on a fresh object). */
export function shopSchema(): AnalyticsSchema {
  return schemaFromLexicon(readShopLexicon(), { kind: 'file', label: 'shop-lexicon.json' });
}

/** Splits `text` at its single `|` marker. */
export function caret(marked: string): { text: string; offset: number } {
  const offset = marked.indexOf('|');
  if (offset === -1 || marked.indexOf('|', offset + 1) !== -1) throw new Error('expected exactly one | marker');
  return { text: marked.slice(0, offset) + marked.slice(offset + 1), offset };
}

/** Removes `[[` `]]` markers and returns the spans they enclosed, in order. */
export function markedSpans(marked: string): { text: string; spans: TextSpan[] } {
  const spans: TextSpan[] = [];
  let text = '';
  let open = -1;
  for (let i = 0; i < marked.length; i++) {
    // In `properties[[["x"]]]` the first bracket is the text's own.
    if (marked.startsWith('[[', i) && open === -1 && !marked.startsWith('[[[', i)) {
      open = text.length;
      i++;
    } else if (marked.startsWith(']]', i) && open !== -1) {
      spans.push({ start: open, end: text.length });
      open = -1;
      i++;
    } else {
      text += marked[i];
    }
  }
  return { text, spans };
}

/** Applies non-overlapping edits (any order) to `text`. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.span.start - a.span.start);
  let result = text;
  for (const edit of sorted) result = result.slice(0, edit.span.start) + edit.newText + result.slice(edit.span.end);
  return result;
}

/** The text after accepting `candidate` at `offset`, as an editor does (replaceSpan, else the word at the cursor). */
export function acceptCompletion(text: string, offset: number, candidate: CompletionCandidate): string {
  const span = candidate.replaceSpan ?? { start: offset, end: offset };
  return applyEdits(text, [{ span, newText: candidate.insertText ?? candidate.label }]);
}

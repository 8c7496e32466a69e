import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CompletionCandidate } from '../../../server/src/languageService/analyticsTypes';
import { COMPLETION_LIST_LIMIT, matchRank, narrowCompletions } from '../../../server/src/languageService/completionNarrowing';

/** `segmentation "<typed>|"` with `count` generated events plus a few real names, all replacing the string content. */
function eventList(typed: string, count: number): { text: string; offset: number; candidates: CompletionCandidate[] } {
  const text = `segmentation "${typed}"`;
  const contentStart = 'segmentation "'.length;
  const names = [...Array.from({ length: count }, (_, i) => `Event ${String(i).padStart(5, '0')}`), 'Purchase', 'Sign Up', 'signup_completed'];
  const candidates = names.map((label, rank): CompletionCandidate => ({
    label,
    kind: 'event',
    replaceSpan: { start: contentStart, end: contentStart + typed.length },
    sortText: String(rank).padStart(6, '0'),
  }));
  return { text, offset: contentStart + typed.length, candidates };
}

const labels = (candidates: readonly CompletionCandidate[]) => candidates.map((candidate) => candidate.label);

describe('completion lists narrowed to the typed text', () => {
  it('leaves a list within the limit whole and complete, whatever is typed', () => {
    const { text, offset, candidates } = eventList('zzz', 20);
    const narrowed = narrowCompletions(candidates, text, offset);
    assert.equal(narrowed.isIncomplete, false);
    assert.deepEqual(labels(narrowed.candidates), labels(candidates));
  });

  it('cuts a long list to the limit, best ranked first, and says it is incomplete', () => {
    const { text, offset, candidates } = eventList('', 10_000);
    const narrowed = narrowCompletions(candidates, text, offset);
    assert.equal(narrowed.isIncomplete, true);
    assert.equal(narrowed.candidates.length, COMPLETION_LIST_LIMIT);
    assert.deepEqual(labels(narrowed.candidates), labels(candidates.slice(0, COMPLETION_LIST_LIMIT)));
  });

  it('keeps what the typed text picks out of 10,000 names: prefixes, word starts, letters in order, in any case', () => {
    const pick = (typed: string) => {
      const { text, offset, candidates } = eventList(typed, 10_000);
      const narrowed = narrowCompletions(candidates, text, offset);
      assert.equal(narrowed.isIncomplete, true, 'the editor must ask again as the user types on');
      return labels(narrowed.candidates);
    };
    const exact = [
      'Event 00120',
      'Event 00121',
      'Event 00122',
      'Event 00123',
      'Event 00124',
      'Event 00125',
      'Event 00126',
      'Event 00127',
      'Event 00128',
      'Event 00129',
    ];
    // Letters in order also match (the editor's filter is fuzzy), but the prefixes come first.
    const picked = pick('Event 0012');
    for (const name of exact) assert.ok(picked.includes(name), name);
    assert.ok(picked.includes('Event 00012'));
    assert.deepEqual(pick('pur'), ['Purchase']);
    assert.deepEqual(pick('UP'), ['Sign Up', 'signup_completed']);
    assert.deepEqual(pick('sgnp'), ['Sign Up', 'signup_completed']);
    assert.ok(pick('09999').includes('Event 09999'));
  });

  it('ranks a prefix before a word start before letters in order, and rejects the rest', () => {
    assert.equal(matchRank('', 'Purchase'), 0);
    assert.equal(matchRank('PURCH', 'Purchase'), 0);
    assert.equal(matchRank('up', 'Sign Up'), 1);
    assert.equal(matchRank('Comp', 'signupCompleted'), 1);
    assert.equal(matchRank('ign', 'Sign Up'), 2);
    assert.equal(matchRank('xyz', 'Sign Up'), -1);
    assert.equal(matchRank('Sign Up!', 'Sign Up'), -1);
    assert.equal(matchRank('ÉV', 'évènement'), 0);
  });

  it('never drops a candidate whose text starts with what is typed while they fit in the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'B', ' ', '_'), maxLength: 6 }), { minLength: 150, maxLength: 400 }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'A'), maxLength: 3 }),
        (names, typed) => {
          const candidates = names.map((label): CompletionCandidate => ({ label, kind: 'event', replaceSpan: { start: 0, end: typed.length } }));
          const narrowed = narrowCompletions(candidates, typed, typed.length);
          const prefixed = names.filter((name) => name.toLowerCase().startsWith(typed.toLowerCase()));
          if (prefixed.length <= COMPLETION_LIST_LIMIT) {
            for (const name of prefixed) assert.ok(labels(narrowed.candidates).includes(name), `${JSON.stringify(name)} dropped for ${JSON.stringify(typed)}`);
          }
          assert.ok(narrowed.candidates.length <= COMPLETION_LIST_LIMIT);
          assert.ok(narrowed.candidates.every((candidate) => matchRank(typed, candidate.label) >= 0));
        },
      ),
      { numRuns: 100 },
    );
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { editDistance, normalizeName, suggestNames } from '../../../server/src/languageService/nameMatching';

test('editDistance counts insertions, deletions, substitutions and neighbour swaps', () => {
  assert.equal(editDistance('', ''), 0);
  assert.equal(editDistance('abc', 'abc'), 0);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('abc', ''), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('funnel', 'funel'), 1);
  assert.equal(editDistance('funnel', 'fnunel'), 1, 'a swap of neighbours is one edit');
  assert.equal(editDistance('Purchase', 'Purchsae'), 1);
  assert.equal(editDistance('ca', 'abc'), 3, 'optimal string alignment does not edit a swapped pair again');
});

test('editDistance stops early above the limit and reports limit + 1', () => {
  assert.equal(editDistance('abcdef', 'uvwxyz', 2), 3);
  assert.equal(editDistance('a', 'abcdefgh', 2), 3);
  assert.equal(editDistance('abc', 'abd', 2), 1);
});

test('normalizeName ignores case and spacing', () => {
  assert.equal(normalizeName('Sign Up'), 'signup');
  assert.equal(normalizeName('sign_up'), 'signup');
  assert.equal(normalizeName('SIGN-UP'), 'signup');
});

test('suggestNames prefers a case- and spacing-insensitive match', () => {
  const events = ['Sign Up', 'Sign In', 'Purchase', 'Signed Up'];
  assert.deepEqual(suggestNames('sign up', events)[0], 'Sign Up');
  assert.deepEqual(suggestNames('signup', events)[0], 'Sign Up');
});

test('suggestNames finds small typos, best first, and at most max', () => {
  assert.deepEqual(suggestNames('Purchse', ['Purchase', 'Page View', 'Purchases']), ['Purchase', 'Purchases']);
  assert.deepEqual(suggestNames('segmentaton', ['segmentation', 'funnel', 'insights']), ['segmentation']);
  assert.deepEqual(suggestNames('funel', ['segmentation', 'funnel', 'insights']), ['funnel']);
  assert.equal(suggestNames('aaaa', ['aaab', 'aaac', 'aaad', 'aaae'], 2).length, 2);
});

test('suggestNames returns nothing for unrelated names, nor the name itself', () => {
  assert.deepEqual(suggestNames('Checkout', ['Sign Up', 'Page View']), []);
  assert.deepEqual(suggestNames('unit', ['unit']), []);
  assert.deepEqual(suggestNames('xy', ['xz']), [], 'two-letter names are too short to guess at');
  assert.deepEqual(suggestNames('whatever', []), []);
});

test('suggestNames handles 10,000 candidates', () => {
  const candidates = Array.from({ length: 10_000 }, (_, i) => `Event number ${i} with a long name`);
  candidates.push('Completed Checkout');
  assert.deepEqual(suggestNames('Completed Chekout', candidates), ['Completed Checkout']);
});

/** The textbook optimal-string-alignment table, to check the banded, early-exit version against. */
function referenceDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

test('editDistance with and without a limit agrees with the reference table', () => {
  const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), maxLength: 10 });
  fc.assert(
    fc.property(word, word, fc.nat({ max: 6 }), (a, b, limit) => {
      const exact = referenceDistance(a, b);
      assert.equal(editDistance(a, b), exact);
      assert.equal(editDistance(a, b, limit), Math.min(exact, limit + 1));
    }),
    { numRuns: 500 },
  );
});

test('suggestNames lists a repeated candidate once', () => {
  assert.deepEqual(suggestNames('Purchse', ['Purchase', 'Purchase', 'Purchase']), ['Purchase']);
});

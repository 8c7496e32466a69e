import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAqDocument } from '../../../server/src/languageService/parser/queryParser';
import { expectationsOf } from '../../../server/src/queryContract/expectations';

function read(clauses: string) {
  const text = `funnel "A" -> "B"\n  last 7 days\n${clauses}`;
  return expectationsOf(parseAqDocument(text).queries[0], text);
}

describe('expectationsOf', () => {
  it('turns percentages into fractions and keeps the bound as written for messages', () => {
    const [expectation] = read('  expect conversion between 12.5% and 0.4\n');
    assert.ok(expectation.ok);
    assert.deepEqual(expectation.measure, { kind: 'conversion' });
    assert.equal(expectation.share, true);
    assert.deepEqual(expectation.check, {
      kind: 'between',
      low: { value: 0.125, written: '12.5%', percent: true },
      high: { value: 0.4, written: '0.4', percent: false },
    });
  });

  it('reads every measure form and the within tolerance', () => {
    const found = read('  expect step "B" count >= 3\n  expect step "B" conversion < 1\n  expect rows == 2\n  expect step "A" count within 5% of previous\n');
    assert.deepEqual(
      found.map((e) => (e.ok ? [e.measure, e.share, e.check.kind] : e.problem)),
      [
        [{ kind: 'stepCount', step: 'B' }, false, 'compare'],
        [{ kind: 'stepConversion', step: 'B' }, true, 'compare'],
        [{ kind: 'rows' }, false, 'compare'],
        [{ kind: 'stepCount', step: 'A' }, false, 'withinPrevious'],
      ],
    );
    const text = 'retention "A"\n  last 7 days\n  expect retained 1 count > 2\n  expect retained 0 > 50%\n';
    assert.deepEqual(
      expectationsOf(parseAqDocument(text).queries[0], text).map((e) => e.ok && e.measure),
      [
        { kind: 'retainedCount', interval: 1 },
        { kind: 'retainedShare', interval: 0 },
      ],
    );
  });

  it('joins an expectation written over several lines into the text as written, and says why a broken one cannot run', () => {
    const [joined, broken, unknown] = read('  expect conversion\n    between 10%\n    and 20%\n  expect conversion >\n  expect nonsense > 1\n');
    assert.equal(joined.text, 'conversion between 10% and 20%');
    assert.ok(joined.ok);
    assert.ok(!broken.ok && /incomplete/.test(broken.problem));
    assert.ok(!unknown.ok && /Unknown measure 'nonsense'/.test(unknown.problem));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getAqLanguageService } from '../../../../server/src/languageService/analyticsLanguageService';
import type { QueryDiagnostic } from '../../../../server/src/languageService/analyticsTypes';
import type { ExpectationNode } from '../../../../server/src/languageService/parser/queryAst';
import { acceptCompletion, applyEdits, caret, shopSchema } from '../languageServiceHelpers';

const service = getAqLanguageService();
const schema = shopSchema();

const FUNNEL = 'funnel "Sign Up" -> "Added To Cart" -> "Purchase"\n  last 30 days\n';
const SEGMENTATION = 'segmentation "Purchase"\n  last 30 days\n';
const RETENTION = 'retention "Sign Up" -> "Purchase"\n  interval_count 4\n  last 30 days\n';

function expectations(text: string): ExpectationNode[] {
  const document = service.parse(text);
  return document.queries.flatMap((query) => query.clauses.flatMap((clause) => (clause.value.type === 'expectation' ? [clause.value.expectation] : [])));
}

function problems(text: string): string[] {
  return service.parse(text).problems.map((problem) => `${problem.code}: ${text.slice(problem.span.start, problem.span.end)}`);
}

function lint(text: string): QueryDiagnostic[] {
  return service.validate(service.parse(text), text, () => schema);
}

function lintCodes(text: string): string[] {
  return lint(text).map((d) => `${d.code}: ${text.slice(d.span.start, d.span.end)}`);
}

describe('expect: parsing every form', () => {
  it('reads each measure with its name, interval and qualifier', () => {
    const text =
      FUNNEL +
      '  expect conversion > 30%\n  expect step "Purchase" count >= 10\n  expect step "Added To Cart" conversion between 0.2 and 60%\n' +
      SEGMENTATION +
      '  expect total != 0\n  expect rows == 30\n  expect series "Chrome" total < 1e3\n' +
      RETENTION +
      '  expect retained 1 >= 20%\n  expect retained 2 count > 5\n  expect total within 15% of previous\n';
    const found = expectations(text);
    assert.deepEqual(problems(text), []);
    assert.deepEqual(
      found.map((e) => [e.measure?.kind, e.measure?.name?.value, e.measure?.interval?.value, e.measure?.qualifier?.value]),
      [
        ['conversion', undefined, undefined, undefined],
        ['step', 'Purchase', undefined, 'count'],
        ['step', 'Added To Cart', undefined, 'conversion'],
        ['total', undefined, undefined, undefined],
        ['rows', undefined, undefined, undefined],
        ['series', 'Chrome', undefined, 'total'],
        ['retained', undefined, 1, undefined],
        ['retained', undefined, 2, 'count'],
        ['total', undefined, undefined, undefined],
      ],
    );
    const [conversion, , between, , , series, , , within] = found;
    assert.ok(conversion.comparison?.kind === 'compare');
    assert.equal(conversion.comparison.operator, '>');
    assert.deepEqual([conversion.comparison.value?.value, conversion.comparison.value?.percent], [30, true]);
    assert.equal(text.slice(conversion.span.start, conversion.span.end), 'conversion > 30%');
    assert.ok(between.comparison?.kind === 'between');
    assert.deepEqual(
      [between.comparison.low?.value, between.comparison.low?.percent, between.comparison.high?.value, between.comparison.high?.percent],
      [0.2, false, 60, true],
    );
    assert.ok(series.comparison?.kind === 'compare');
    assert.equal(series.comparison.value?.value, 1000);
    assert.ok(within.comparison?.kind === 'within');
    assert.deepEqual([within.comparison.tolerance?.value, within.comparison.tolerance?.percent], [15, true]);
  });

  it('takes negative values and every comparison operator', () => {
    const text = SEGMENTATION + ['==', '!=', '<', '<=', '>', '>='].map((op) => `  expect total ${op} -2\n`).join('');
    assert.deepEqual(problems(text), []);
    assert.deepEqual(
      expectations(text).map((e) => e.comparison?.kind === 'compare' && [e.comparison.operator, e.comparison.value?.value]),
      [
        ['==', -2],
        ['!=', -2],
        ['<', -2],
        ['<=', -2],
        ['>', -2],
        ['>=', -2],
      ],
    );
  });

  it('reports what is missing, where it is missing', () => {
    assert.deepEqual(problems(SEGMENTATION + '  expect\n'), ['expected-value: ']);
    assert.deepEqual(problems(SEGMENTATION + '  expect total\n'), ['expected-token: ']);
    assert.deepEqual(problems(SEGMENTATION + '  expect total > \n'), ['expected-number: ']);
    assert.deepEqual(problems(SEGMENTATION + '  expect total is 5\n'), ['expected-token: is']);
    assert.deepEqual(problems(FUNNEL + '  expect step Purchase count > 1\n'), ['expected-string: Purchase']);
    assert.deepEqual(problems(FUNNEL + '  expect step "Purchase" > 1\n'), ['expected-token: >']);
    assert.deepEqual(problems(RETENTION + '  expect retained > 1\n'), ['expected-number: >']);
    assert.deepEqual(problems(SEGMENTATION + '  expect total between 5 10\n'), ['expected-token: 10']);
    assert.deepEqual(problems(SEGMENTATION + '  expect total within 10 of previous\n'), ['expected-value: 10']);
    assert.deepEqual(problems(SEGMENTATION + '  expect total within 10% of last\n'), ['expected-token: of']);
    assert.deepEqual(problems(SEGMENTATION + '  expect total > 1,000\n'), ['expected-number: 1,000']);
    assert.deepEqual(problems(SEGMENTATION + '  expect total > 5 please\n'), ['unexpected-token: please']);
  });

  it('survives an incremental edit with its spans shifted', () => {
    const before = SEGMENTATION + '  expect total > 5\n' + SEGMENTATION + '  expect total between 1 and 9\n';
    const after = '### Added\n' + before;
    const shifted = expectations(after);
    assert.deepEqual(
      shifted.map((e) => after.slice(e.span.start, e.span.end)),
      ['total > 5', 'total between 1 and 9'],
    );
  });
});

describe('expect: lint', () => {
  it('accepts several expectations on a query and every valid form', () => {
    const text =
      FUNNEL +
      '  expect conversion > 30%\n  expect conversion < 0.9\n  expect step "Purchase" count >= 10\n' +
      SEGMENTATION +
      '  on properties["$browser"]\n  expect total > 0\n  expect series "Chrome" total > 1\n  expect total within 50% of previous\n' +
      RETENTION +
      '  expect retained 4 >= 20%\n  expect retained 2 count > 5\n';
    assert.deepEqual(lintCodes(text), []);
  });

  it('reports an unknown measure with did-you-mean and a fix', () => {
    const text = FUNNEL + '  expect convrsion > 30%\n';
    const [diagnostic] = lint(text);
    assert.equal(diagnostic.code, 'unknown-measure');
    assert.equal(text.slice(diagnostic.span.start, diagnostic.span.end), 'convrsion');
    assert.match(diagnostic.message, /Did you mean 'conversion'\?/);
    assert.equal(applyEdits(text, diagnostic.fixes![0].edits), FUNNEL + '  expect conversion > 30%\n');
  });

  it('reports a step that is not in the funnel, suggesting the closest', () => {
    const text = FUNNEL + '  expect step "Purchse" count > 1\n';
    const [diagnostic] = lint(text);
    assert.equal(diagnostic.code, 'unknown-step');
    assert.equal(text.slice(diagnostic.span.start, diagnostic.span.end), '"Purchse"');
    assert.match(diagnostic.message, /not a step of this funnel/);
    assert.match(diagnostic.message, /Did you mean "Purchase"\?/);
    assert.equal(applyEdits(text, diagnostic.fixes![0].edits), FUNNEL + '  expect step "Purchase" count > 1\n');
  });

  it('reports a percentage on a count, with a fix removing the %', () => {
    for (const form of ['total > 5%', 'rows == 10%', 'step "Purchase" count > 5%', 'retained 1 count between 1% and 3']) {
      const kindText = form.startsWith('step') ? FUNNEL : form.startsWith('retained') ? RETENTION : SEGMENTATION;
      const text = kindText + `  expect ${form}\n`;
      const codes = lint(text).map((d) => d.code);
      assert.deepEqual(codes, ['percentage-on-count'], form);
    }
    const text = SEGMENTATION + '  expect total > 5%\n';
    assert.equal(applyEdits(text, lint(text)[0].fixes![0].edits), SEGMENTATION + '  expect total > 5\n');
  });

  it('reports a share written as a plain number above 1, or a percentage above 100', () => {
    assert.deepEqual(lintCodes(FUNNEL + '  expect conversion > 30\n'), ['out-of-range: 30']);
    assert.match(lint(FUNNEL + '  expect conversion > 30\n')[0].message, /30%/);
    assert.deepEqual(lintCodes(FUNNEL + '  expect conversion < 120%\n'), ['out-of-range: 120%']);
  });

  it('reports a measure that does not fit the query kind', () => {
    assert.deepEqual(lintCodes(SEGMENTATION + '  expect conversion > 10%\n'), ['measure-not-allowed: conversion']);
    assert.deepEqual(lintCodes(FUNNEL + '  expect retained 1 > 10%\n'), ['measure-not-allowed: retained 1']);
    assert.deepEqual(lintCodes(FUNNEL + '  expect total > 10\n'), ['measure-not-allowed: total']);
    assert.deepEqual(lintCodes(RETENTION + '  expect step "Sign Up" count > 10\n'), ['measure-not-allowed: step "Sign Up" count']);
    assert.deepEqual(lintCodes(SEGMENTATION + '  expect series "Chrome" total > 1\n'), ['measure-not-allowed: series "Chrome" total']);
    assert.match(lint(SEGMENTATION + '  expect conversion > 10%\n')[0].message, /applies to funnel/);
  });

  it('reports an expectation on a query kind that has no result to check', () => {
    assert.deepEqual(lintCodes('debugger "app"\n  expect rows > 1\n'), ['clause-not-allowed: expect']);
  });

  it('reports a retained interval beyond interval_count', () => {
    assert.deepEqual(lintCodes(RETENTION + '  expect retained 5 > 10%\n'), ['out-of-range: 5']);
    assert.deepEqual(lintCodes('retention "Sign Up"\n  last 30 days\n  expect retained 2 > 10%\n'), ['out-of-range: 2']);
  });

  it('reports between with its bounds reversed, with a fix swapping them', () => {
    const text = SEGMENTATION + '  expect total between 20 and 10\n';
    const [diagnostic] = lint(text);
    assert.equal(diagnostic.code, 'reversed-range');
    assert.equal(text.slice(diagnostic.span.start, diagnostic.span.end), '20 and 10');
    assert.equal(applyEdits(text, diagnostic.fixes![0].edits), SEGMENTATION + '  expect total between 10 and 20\n');
    assert.deepEqual(lintCodes(FUNNEL + '  expect conversion between 50% and 0.4\n'), ['reversed-range: 50% and 0.4']);
    assert.deepEqual(lintCodes(FUNNEL + '  expect conversion between 0.4 and 50%\n'), []);
  });
});

describe('expect: completion', () => {
  function labelsAt(marked: string): string[] {
    const { text, offset } = caret(marked);
    return service.complete(service.parse(text), text, offset, () => schema).map((c) => c.label);
  }

  it('offers expect again on a query that already has one', () => {
    assert.ok(labelsAt(SEGMENTATION + '  expect total > 1\n  |').includes('expect'));
  });

  it('offers the measures that fit the query kind', () => {
    assert.deepEqual(labelsAt(FUNNEL + '  expect |'), ['rows', 'conversion', 'step']);
    assert.deepEqual(labelsAt(SEGMENTATION + '  expect |'), ['total', 'rows', 'series']);
    assert.deepEqual(labelsAt(RETENTION + '  expect |'), ['rows', 'retained']);
  });

  it("offers the funnel's steps, completing the quotes", () => {
    assert.deepEqual(labelsAt(FUNNEL + '  expect step |'), ['Sign Up', 'Added To Cart', 'Purchase']);
    const { text, offset } = caret(FUNNEL + '  expect step "Add|');
    const item = service.complete(service.parse(text), text, offset, () => schema).find((c) => c.label === 'Added To Cart')!;
    assert.equal(acceptCompletion(text, offset, item), FUNNEL + '  expect step "Added To Cart"');
    assert.deepEqual(labelsAt(FUNNEL + '  expect step "Purchase" |'), ['count', 'conversion']);
  });

  it('offers the comparisons after a measure, and of previous after within', () => {
    assert.deepEqual(labelsAt(SEGMENTATION + '  expect total |'), ['>', '>=', '<', '<=', '==', '!=', 'between', 'within']);
    assert.deepEqual(labelsAt(RETENTION + '  expect retained 2 count |'), ['>', '>=', '<', '<=', '==', '!=', 'between', 'within']);
    assert.deepEqual(labelsAt(SEGMENTATION + '  expect total within 10% |'), ['of previous']);
  });
});

describe('expect: hover and tokens', () => {
  function hoverAt(marked: string): string | undefined {
    const { text, offset } = caret(marked);
    return service.hover(service.parse(text), text, offset, () => schema)?.markdown;
  }

  it('explains each measure form and each comparison', () => {
    assert.match(hoverAt(FUNNEL + '  expect conv|ersion > 30%\n')!, /expect conversion\*\* \(a share\)[\s\S]*last step over users entering the first/);
    assert.match(hoverAt(FUNNEL + '  expect step "Purch|ase" count > 1\n')!, /step "NAME" count[\s\S]*Step 3 of 3/);
    assert.match(hoverAt(FUNNEL + '  expect step "Sign Up" con|version > 1%\n')!, /step "NAME" conversion/);
    assert.match(hoverAt(SEGMENTATION + '  expect to|tal > 1\n')!, /distinct users over the whole range/);
    assert.match(hoverAt(SEGMENTATION + '  expect ro|ws > 1\n')!, /rows the results table has/);
    assert.match(hoverAt(SEGMENTATION + '  expect series "x" to|tal > 1\n')!, /one segment of `on`/);
    assert.match(hoverAt(RETENTION + '  expect retai|ned 1 > 1%\n')!, /weighted average/);
    assert.match(hoverAt(RETENTION + '  expect retained 1 co|unt > 1\n')!, /# view/);
    assert.match(hoverAt(SEGMENTATION + '  expect total bet|ween 1 and 2\n')!, /both bounds included/);
    assert.match(hoverAt(SEGMENTATION + '  expect total with|in 5% of previous\n')!, /preceding range of the same length/);
    assert.match(hoverAt(SEGMENTATION + '  expect total >|= 5\n')!, /Compares the measure/);
    assert.match(hoverAt(SEGMENTATION + '  exp|ect total >= 5\n')!, /\*\*expect\*\* \(clause\)/);
  });

  it('colours the measure, names, values and keywords', () => {
    const text = FUNNEL + '  expect step "Purchase" count between 1 and 5%\n  expect conversion within 10% of previous\n';
    const tokens = service.semanticTokens(service.parse(text), text).filter((t) => t.span.start > text.indexOf('expect'));
    assert.deepEqual(
      tokens.map((t) => `${t.type}:${text.slice(t.span.start, t.span.end)}`),
      [
        'enum:step',
        'string:"Purchase"',
        'enum:count',
        'keyword:between',
        'number:1',
        'keyword:and',
        'number:5%',
        'keyword:expect',
        'enum:conversion',
        'keyword:within',
        'number:10%',
        'keyword:of',
        'keyword:previous',
      ],
    );
  });
});

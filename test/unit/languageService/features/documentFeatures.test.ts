import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DiagnosticCode, SyntaxCode } from '../../../../server/src/languageService/diagnosticCodes';
import { getAqLanguageService, SEMANTIC_TOKEN_TYPES } from '../../../../server/src/languageService/analyticsLanguageService';

const service = getAqLanguageService();

const TEXT = `use mixpanel "shop"
# Weekly review queries
# owned by growth

### Sign-ups by browser
segmentation "Sign Up"
  on properties["$browser"]
  where properties["plan"] in ["premium", "team"] and defined(properties["utm_source"])
  from 2026-10-01 to 2026-10-31
  unit day

funnel id 7125032
  last 4 weeks

### Lonely
insights id 44012
`;

describe('symbols', () => {
  it('one per query, named by title or "Query N", with the head as detail', () => {
    const symbols = service.symbols(service.parse(TEXT));
    assert.deepEqual(
      symbols.map((s) => [s.name, s.detail]),
      [
        ['Sign-ups by browser', 'segmentation Sign Up'],
        ['Query 2', 'funnel id 7125032'],
        ['Lonely', 'insights id 44012'],
      ],
    );
    assert.equal(TEXT.slice(symbols[0].selectionSpan.start, symbols[0].selectionSpan.end), '### Sign-ups by browser');
    assert.equal(TEXT.slice(symbols[1].selectionSpan.start, symbols[1].selectionSpan.end), 'funnel id 7125032');
    assert.ok(TEXT.slice(symbols[0].span.start, symbols[0].span.end).endsWith('unit day'));
  });
});

describe('folding', () => {
  it('folds each multi-line query and runs of comment lines', () => {
    const folds = service.folding(service.parse(TEXT), TEXT).map((f) => TEXT.slice(f.span.start, f.span.end));
    assert.deepEqual(
      folds.map((f) => f.split('\n')[0]),
      ['# Weekly review queries', '### Sign-ups by browser', 'funnel id 7125032', '### Lonely'],
    );
    assert.equal(folds[0], '# Weekly review queries\n# owned by growth');
  });

  it('does not fold a one-line query', () => {
    const text = 'insights id 1\n';
    assert.deepEqual(service.folding(service.parse(text), text), []);
  });
});

describe('semantic tokens', () => {
  it('classifies names, values and operators without overlaps', () => {
    const document = service.parse(TEXT);
    const tokens = service.semanticTokens(document, TEXT);
    const pairs = tokens.map((t) => `${t.type}:${TEXT.slice(t.span.start, t.span.end)}`);
    for (const expected of [
      'keyword:use',
      'keyword:mixpanel',
      'string:"shop"',
      'comment:# Weekly review queries',
      'title:### Sign-ups by browser',
      'keyword:segmentation',
      'event:"Sign Up"',
      'keyword:on',
      'keyword:properties',
      'property:"$browser"',
      'keyword:in',
      'string:"premium"',
      'function:defined',
      'number:2026-10-01',
      'keyword:to',
      'enum:day',
      'keyword:id',
      'number:7125032',
      'number:4',
      'enum:weeks',
    ]) {
      assert.ok(pairs.includes(expected), `missing ${expected}`);
    }
    for (let i = 1; i < tokens.length; i++) assert.ok(tokens[i].span.start >= tokens[i - 1].span.end, 'sorted and non-overlapping');
    assert.ok(tokens.every((t) => SEMANTIC_TOKEN_TYPES.includes(t.type)));
  });

  it('marks the arrows between funnel steps as operators', () => {
    const text = 'funnel "A" -> "B"->"C"\n';
    const tokens = service.semanticTokens(service.parse(text), text).filter((t) => t.type === 'operator');
    assert.deepEqual(
      tokens.map((t) => t.span.start),
      [11, 17],
    );
  });

  it('never throws and stays inside broken text', () => {
    const text = 'segmentation "Sign\n  where properties["a" == (\n  from 2026-99-99 to\n###\nfunnel id\n';
    const tokens = service.semanticTokens(service.parse(text), text);
    assert.ok(tokens.every((t) => t.span.start >= 0 && t.span.end <= text.length && t.span.start < t.span.end));
  });
});

describe('queryAt', () => {
  it('finds the query around an offset', () => {
    const document = service.parse(TEXT);
    assert.equal(service.queryAt(document, TEXT.indexOf('unit day'))?.title, 'Sign-ups by browser');
    assert.equal(service.queryAt(document, TEXT.indexOf('last 4 weeks'))?.index, 1);
    assert.equal(service.queryAt(document, 2), undefined);
  });
});

describe('docs/diagnostics.md', () => {
  it('documents every diagnostic code', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'diagnostics.md'), 'utf8');
    const missing = [...Object.values(DiagnosticCode), ...Object.values(SyntaxCode)].filter((code) => !doc.includes(`\`${code}\``));
    assert.deepEqual(missing, []);
  });
});

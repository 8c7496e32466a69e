import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { getAqLanguageService } from '../../../../server/src/languageService/analyticsLanguageService';
import type { AnalyticsSchema, QueryDiagnostic, ValidationOptions } from '../../../../server/src/languageService/analyticsTypes';
import { schemaFromLexicon } from '../../../../server/src/queryContract/lexiconSchema';
import type { SourceRef } from '../../../../server/src/queryContract/querySpec';
import { createIncrementalParser } from '../../../../server/src/languageService/parser/incrementalParser';
import { applyEdits, markedSpans, shopSchema } from '../languageServiceHelpers';

const service = getAqLanguageService();
const schema = shopSchema();

function lint(
  text: string,
  options?: ValidationOptions,
  lookup: (ref: SourceRef | undefined) => AnalyticsSchema | undefined = () => schema,
): QueryDiagnostic[] {
  return service.validate(service.parse(text), text, lookup, options);
}

/** Asserts that the diagnostics with `code` sit exactly on the `[[…]]` spans of `marked`. */
function expectAt(marked: string, code: string, options?: ValidationOptions): { text: string; found: QueryDiagnostic[] } {
  const { text, spans } = markedSpans(marked);
  const all = lint(text, options);
  const found = all.filter((d) => d.code === code);
  assert.deepEqual(
    found.map((d) => text.slice(d.span.start, d.span.end)),
    spans.map((s) => text.slice(s.start, s.end)),
    `codes found: ${JSON.stringify(all.map((d) => `${d.code}: ${d.message}`))}`,
  );
  assert.deepEqual(
    found.map((d) => d.span),
    spans,
  );
  return { text, found };
}

function fixed(text: string, diagnostic: QueryDiagnostic, index = 0): string {
  assert.ok(diagnostic.fixes && diagnostic.fixes.length > index, `no fix #${index} on ${diagnostic.code}`);
  return applyEdits(text, diagnostic.fixes[index].edits);
}

const ISSUE_EXAMPLE = readFileSync(join(__dirname, '../../../fixtures/aq/issue-example.aq'), 'utf8');

describe('validate: the issue example', () => {
  it('lints clean against the fixture schema with every host check on', () => {
    assert.deepEqual(lint(ISSUE_EXAMPLE, { knownSources: new Set(['shop', 'site']), fileExists: (p) => p === 'queries/top-browsers.jql' }), []);
  });

  it('examples/shop.aq and its JQL script lint clean against examples/schema', (t) => {
    const dir = join(__dirname, '..', '..', '..', '..', 'examples');
    let text: string, jql: string, lexicon: unknown;
    try {
      text = readFileSync(join(dir, 'shop.aq'), 'utf8');
      jql = readFileSync(join(dir, 'queries', 'top-browsers.jql'), 'utf8');
      lexicon = JSON.parse(readFileSync(join(dir, 'schema', 'shop.lexicon.json'), 'utf8'));
    } catch {
      t.skip('examples/ not present');
      return;
    }
    const exampleSchema = schemaFromLexicon(lexicon);
    assert.deepEqual(
      lint(text, { fileExists: (p) => existsSync(join(dir, p)) }, () => exampleSchema),
      [],
    );
    assert.deepEqual(service.validateJql(jql, exampleSchema), []);
  });
});

describe('validate: syntax problems', () => {
  it('reports the parser problems as errors with their codes', () => {
    const diagnostics = lint('segmentation "Sign Up\n  last 30 days\n');
    const problem = diagnostics.find((d) => d.code === 'unterminated-string');
    assert.ok(problem);
    assert.equal(problem.severity, 'error');
  });

  it('keeps analysing the other queries of a file with a syntax error', () => {
    const text = 'segmentation "Sign Up"\n  where properties["plan"] ==\n  last 30 days\n\nsegmentation "Sigm Up"\n  last 7 days\n';
    const codes = lint(text).map((d) => d.code);
    assert.ok(codes.includes('expected-expression'), codes.join());
    assert.ok(codes.includes('unknown-event'), codes.join());
  });

  it('sorts all diagnostics by position', () => {
    const text = 'segmentation "Sigm Up"\n  unit dya\n  last 30 days\nfunnel "Purchse" -> "Sign Up"\n  last 7 days\n';
    const starts = lint(text).map((d) => d.span.start);
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => a - b),
    );
    assert.equal(starts.length, 3);
  });
});

describe('validate: names from the schema', () => {
  it('unknown-event with did-you-mean fixes that replace the whole string', () => {
    const { text, found } = expectAt('segmentation [["sign up"]]\n  last 30 days\n', 'unknown-event');
    assert.match(found[0].message, /Did you mean "Sign Up"/);
    assert.equal(found[0].severity, 'error');
    assert.equal(fixed(text, found[0]), 'segmentation "Sign Up"\n  last 30 days\n');
    assert.equal(found[0].fixes![0].isPreferred, true);
  });

  it('checks every funnel step and both retention events', () => {
    expectAt('funnel "Sign Up" -> [["Purchse"]] -> [["Nope Nope Nope"]]\n  last 30 days\n', 'unknown-event');
    const { text, found } = expectAt('retention [["Sign Upp"]] -> "Purchase"\n  last 30 days\n', 'unknown-event');
    assert.equal(fixed(text, found[0]), 'retention "Sign Up" -> "Purchase"\n  last 30 days\n');
  });

  it('hidden-event and dropped-event are warnings', () => {
    const hidden = expectAt('segmentation [["Legacy Checkout"]]\n  last 30 days\n', 'hidden-event');
    assert.equal(hidden.found[0].severity, 'warning');
    const dropped = expectAt('segmentation [["Debug Ping"]]\n  last 30 days\n', 'dropped-event');
    assert.equal(dropped.found[0].severity, 'warning');
    assert.match(dropped.found[0].message, /dropped/);
  });

  it("unknown-property is scoped to the query's events, plus Mixpanel defaults", () => {
    // "price" exists on Purchase but not on Sign Up; $os and utm_medium are Mixpanel defaults.
    const { text, found } = expectAt(
      'segmentation "Sign Up"\n  where properties[[["price"]]] > 10 and properties["$os"] == "iOS" and properties["utm_medium"] == "cpc"\n  on properties[[["plna"]]]\n  last 30 days\n',
      'unknown-property',
    );
    assert.match(found[1].message, /Did you mean "plan"/);
    assert.match(found[0].message, /on "Sign Up"/);
    assert.ok(fixed(text, found[1]).includes('on properties["plan"]'));
  });

  it("a funnel's property scope is the union of its steps", () => {
    expectAt(
      'funnel "Sign Up" -> "Purchase"\n  on properties["price"]\n  where properties["signup_method"] == "email" and properties[[["category"]]] == "x"\n  last 30 days\n',
      'unknown-property',
    );
  });

  it('a saved funnel checks properties against every event', () => {
    expectAt('funnel id 12\n  on properties["category"]\n  where properties[[["categroy"]]] == "x"\n  last 30 days\n', 'unknown-property');
  });

  it('does not judge properties of a query whose events are all unknown', () => {
    expectAt('segmentation [["Nope"]]\n  on properties["anything"]\n  last 30 days\n', 'unknown-event');
    expectAt('segmentation "Nope"\n  on properties["anything"]\n  last 30 days\n', 'unknown-property');
  });

  it('unknown-user-property against the $user schema, with fixes', () => {
    const { text, found } = expectAt(
      'segmentation "Sign Up"\n  where user["$email"] == "a@b.c" and user[[["compnay_size"]]] > 10\n  last 30 days\n',
      'unknown-user-property',
    );
    assert.equal(fixed(text, found[0]), 'segmentation "Sign Up"\n  where user["$email"] == "a@b.c" and user["company_size"] > 10\n  last 30 days\n');
  });

  it('hidden-property and dropped-property are warnings', () => {
    const hidden = expectAt('segmentation "Created Account"\n  on properties[[["internal_ab_bucket"]]]\n  last 30 days\n', 'hidden-property');
    assert.equal(hidden.found[0].severity, 'warning');
    const dropped = expectAt('segmentation "Added To Cart"\n  on properties[[["raw_payload"]]]\n  last 30 days\n', 'dropped-property');
    assert.equal(dropped.found[0].severity, 'warning');
  });

  it('without a schema only syntax and structure are checked', () => {
    const text = 'segmentation "Whatever"\n  on properties["nothing"]\n  where frob(1)\n  unit dya\n';
    const codes = lint(text, undefined, () => undefined)
      .map((d) => d.code)
      .sort();
    assert.deepEqual(codes, ['invalid-value', 'missing-date-range', 'unknown-function']);
  });

  it("looks the schema up by the query's use line", () => {
    const seen: Array<SourceRef | undefined> = [];
    const text = 'segmentation "A"\n  last 30 days\nuse mixpanel "other"\nsegmentation "B"\n  last 30 days\n';
    lint(text, undefined, (ref) => {
      seen.push(ref);
      return undefined;
    });
    assert.deepEqual(seen, [undefined, { kind: 'mixpanel', name: 'other' }]);
  });
});

describe('validate: clauses', () => {
  it('unknown-clause with did-you-mean', () => {
    const { text, found } = expectAt('segmentation "Sign Up"\n  [[wher]] properties["plan"] == "free"\n  last 30 days\n', 'unknown-clause');
    assert.match(found[0].message, /Did you mean 'where'/);
    assert.equal(fixed(text, found[0]), 'segmentation "Sign Up"\n  where properties["plan"] == "free"\n  last 30 days\n');
  });

  it('clause-not-allowed names the kinds it applies to and offers to remove the line', () => {
    const { text, found } = expectAt('segmentation "Sign Up"\n  [[window]] 14 days\n  last 30 days\n', 'clause-not-allowed');
    assert.match(found[0].message, /funnel/);
    assert.equal(fixed(text, found[0]), 'segmentation "Sign Up"\n  last 30 days\n');
  });

  it('duplicate-clause on the second occurrence', () => {
    const { text, found } = expectAt('segmentation "Sign Up"\n  unit day\n  [[unit]] week\n  last 30 days\n', 'duplicate-clause');
    assert.equal(fixed(text, found[0]), 'segmentation "Sign Up"\n  unit day\n  last 30 days\n');
  });

  it('conflicting-dates for a second date form', () => {
    expectAt('segmentation "Sign Up"\n  last 30 days\n  [[yesterday]]\n', 'conflicting-dates');
    expectAt('funnel "Sign Up" -> "Purchase"\n  from 2026-01-01 to 2026-01-31\n  [[today]]\n', 'conflicting-dates');
  });

  it('removing the last clause of the file deletes its line break too', () => {
    const text = 'segmentation "Sign Up"\n  last 30 days\n  today';
    const diagnostic = lint(text).find((d) => d.code === 'conflicting-dates')!;
    assert.equal(fixed(text, diagnostic), 'segmentation "Sign Up"\n  last 30 days');
  });

  it('invalid-value for enum words, with did-you-mean', () => {
    for (const [clause, bad, good] of [
      ['unit', 'dya', 'day'],
      ['type', 'uniqe', 'unique'],
      ['chart', 'lien', 'line'],
      ['measure', 'summ', 'sum'],
    ] as const) {
      const on = clause === 'measure' ? '  on properties["price"]\n' : '';
      const { text, found } = expectAt(`segmentation "Purchase"\n${on}  ${clause} [[${bad}]]\n  last 30 days\n`, 'invalid-value');
      assert.equal(fixed(text, found[0]), `segmentation "Purchase"\n${on}  ${clause} ${good}\n  last 30 days\n`);
    }
    const retention = expectAt('retention "Sign Up"\n  retention_type [[brith]]\n  last 30 days\n', 'invalid-value');
    assert.match(retention.found[0].message, /Did you mean 'birth'/);
  });

  it('reentry takes default or optimized, and only on an ad-hoc funnel', () => {
    const { found } = expectAt('funnel "Sign Up" -> "Purchase"\n  reentry [[optimised]]\n  last 30 days\n', 'invalid-value');
    assert.match(found[0].message, /Did you mean 'optimized'/);
    const saved = expectAt('funnel id 12\n  [[reentry]] optimized\n  last 30 days\n', 'clause-not-allowed');
    assert.match(saved.found[0].message, /saved funnel counts with the mode saved in Mixpanel/);
    expectAt('segmentation "Sign Up"\n  [[reentry]] optimized\n  last 30 days\n', 'clause-not-allowed');
  });

  it('unit must be day, week or month on retention and funnel', () => {
    const { found } = expectAt('retention "Sign Up"\n  unit [[hour]]\n  last 30 days\n', 'invalid-value');
    assert.match(found[0].message, /retention queries accept 'unit' day, week, month/);
    expectAt('funnel "Sign Up" -> "Purchase"\n  unit [[minute]]\n  last 30 days\n', 'invalid-value');
    expectAt('segmentation "Sign Up"\n  unit hour\n  last 30 days\n', 'invalid-value');
  });

  it('invalid-value for Piwik PRO event types (names and codes)', () => {
    const { text, found } = expectAt('use piwik "site"\ndebugger "app"\n  event_type goal, [[brokn]], 17, [[10]]\n', 'invalid-value');
    assert.equal(fixed(text, found[0]), 'use piwik "site"\ndebugger "app"\n  event_type goal, broken, 17, 10\n');
  });

  it('measure needs an on clause; buckets needs measure numeric', () => {
    expectAt('segmentation "Purchase"\n  [[measure sum]]\n  last 30 days\n', 'invalid-value');
    expectAt('segmentation "Purchase"\n  [[buckets]] 5\n  last 30 days\n', 'invalid-value');
    expectAt('segmentation "Purchase"\n  on properties["price"]\n  measure numeric\n  buckets 5\n  last 30 days\n', 'invalid-value');
  });

  it('out-of-range numbers use the catalog bounds', () => {
    const { found } = expectAt('segmentation "Sign Up"\n  limit [[0]]\n  last 30 days\n', 'out-of-range');
    assert.match(found[0].message, /between 1 and 10000/);
    expectAt('use piwik "site"\ndebugger "app"\n  lookup_window [[301]]\n', 'out-of-range');
    expectAt('retention "Sign Up"\n  interval_count 400\n  last 30 days\n', 'out-of-range');
    expectAt('segmentation "Sign Up"\n  last [[0]] days\n', 'out-of-range');
  });

  it('invalid-date for dates that do not exist', () => {
    expectAt('segmentation "Sign Up"\n  from [[2026-02-30]] to [[2026-13-01]]\n', 'invalid-date');
    expectAt('segmentation "Sign Up"\n  from 2028-02-29 to 2028-03-01\n', 'invalid-date');
    expectAt('segmentation "Sign Up"\n  from [[2027-02-29]] to 2027-03-01\n', 'invalid-date');
  });

  it('reversed-range with a fix that swaps the dates', () => {
    const { text, found } = expectAt('segmentation "Sign Up"\n  from [[2026-10-31 to 2026-10-01]]\n', 'reversed-range');
    assert.equal(fixed(text, found[0]), 'segmentation "Sign Up"\n  from 2026-10-01 to 2026-10-31\n');
  });

  it('missing-date-range inserts "last 30 days" after the last clause with the block\'s indentation', () => {
    const { text, found } = expectAt(
      '### T\n[[segmentation]] "Sign Up"\n    unit week\n    on properties["plan"]\n\n[[funnel]] "Sign Up" -> "Purchase"\n',
      'missing-date-range',
    );
    assert.equal(
      fixed(text, found[0]),
      '### T\nsegmentation "Sign Up"\n    unit week\n    on properties["plan"]\n    last 30 days\n\nfunnel "Sign Up" -> "Purchase"\n',
    );
    assert.equal(
      fixed(text, found[1]),
      '### T\nsegmentation "Sign Up"\n    unit week\n    on properties["plan"]\n\nfunnel "Sign Up" -> "Purchase"\n  last 30 days\n',
    );
  });

  it('missing-date-range fix at the end of a file without a final newline, and with CRLF', () => {
    const text = 'retention "Sign Up"';
    assert.equal(fixed(text, lint(text)[0]), 'retention "Sign Up"\n  last 30 days');
    const crlf = 'jql "a.jql"\r\n  params { "a": 1 }\r\n';
    const diagnostic = lint(crlf).find((d) => d.code === 'missing-date-range')!;
    assert.equal(fixed(crlf, diagnostic), 'jql "a.jql"\r\n  params { "a": 1 }\r\n  last 30 days\r\n');
  });

  it('insights and debugger queries need no date range', () => {
    assert.deepEqual(
      lint('insights id 1\nuse piwik "p"\ndebugger "x"\n').map((d) => d.code),
      [],
    );
  });
});

describe('validate: expressions', () => {
  it('type-mismatch when the schema proves a comparison wrong', () => {
    const { found } = expectAt(
      'segmentation "Purchase"\n  where properties["price"] == [["cheap"]] or properties["is_first_purchase"] == [[1]] or properties["currency"] > [[5]] or properties["plan"] in ["free", [[3]]]\n  last 30 days\n',
      'type-mismatch',
    );
    assert.match(found[0].message, /"price" is a number property/);
    assert.match(found[0].message, /never matches/);
  });

  it('accepts comparisons the schema allows', () => {
    const text =
      'segmentation "Purchase"\n  where properties["price"] >= 10 and properties["is_first_purchase"] == true and properties["purchased_at"] > "2026-01-01" and 5 == properties["price"] and properties["plan"] != "free"\n  last 30 days\n';
    assert.deepEqual(lint(text), []);
  });

  it('type-mismatch with the literal on the left and on user properties', () => {
    expectAt('segmentation "Purchase"\n  where [["10"]] < properties["price"] and user["is_paying"] == [["yes"]]\n  last 30 days\n', 'type-mismatch');
  });

  it('unknown-function with did-you-mean, and wrong-arity', () => {
    const { text, found } = expectAt('segmentation "Sign Up"\n  where [[defnied]](properties["plan"])\n  last 30 days\n', 'unknown-function');
    assert.equal(fixed(text, found[0]), 'segmentation "Sign Up"\n  where defined(properties["plan"])\n  last 30 days\n');
    expectAt('segmentation "Sign Up"\n  where [[defined(properties["plan"], 2)]] and [[has_prefix(properties["plan"])]]\n  last 30 days\n', 'wrong-arity');
  });
});

describe('validate: sources and scripts', () => {
  it('unknown-source when the host lists the configured sources', () => {
    const { text, found } = expectAt('use mixpanel [["shpo"]]\nsegmentation "Sign Up"\n  last 30 days\n', 'unknown-source', {
      knownSources: new Set(['shop']),
    });
    assert.equal(fixed(text, found[0]), 'use mixpanel "shop"\nsegmentation "Sign Up"\n  last 30 days\n');
    expectAt('use mixpanel "shpo"\nsegmentation "Sign Up"\n  last 30 days\n', 'unknown-source');
    expectAt('use local "data/x.ndjson"\nsegmentation "Sign Up"\n  last 30 days\n', 'unknown-source', { knownSources: new Set() });
  });

  it('missing-script when fileExists says so', () => {
    expectAt('jql [["queries/nope.jql"]]\n  last 7 days\n', 'missing-script', { fileExists: () => false });
    expectAt('jql "queries/yes.jql"\n  last 7 days\n', 'missing-script', { fileExists: () => true });
    expectAt('jql "queries/nope.jql"\n  last 7 days\n', 'missing-script');
  });

  it('wrong-source-kind for debugger outside Piwik PRO and Mixpanel kinds under piwik', () => {
    expectAt('use mixpanel "shop"\n[[debugger]] "app"\n', 'wrong-source-kind');
    const { found } = expectAt('use piwik "site"\n[[segmentation]] "Sign Up"\n  last 30 days\n', 'wrong-source-kind');
    assert.match(found[0].message, /Mixpanel or local data/);
    expectAt('use local "events.ndjson"\n[[insights]] id 4\n', 'wrong-source-kind');
    expectAt('debugger "app"\n', 'wrong-source-kind');
  });
});

describe('validate: per-query cache', () => {
  it('moves cached findings with their query when text is inserted above', () => {
    const body = 'segmentation "Sigm Up"\n  last 30 days\n\nsegmentation "Purchse"\n  last 30 days\n';
    const first = lint(body);
    const shifted = '# a comment\n' + body;
    const second = lint(shifted);
    assert.equal(second.length, first.length);
    for (const diagnostic of second) {
      assert.match(shifted.slice(diagnostic.span.start, diagnostic.span.end), /^"(Sigm Up|Purchse)"$/);
      for (const fix of diagnostic.fixes ?? []) assert.match(applyEdits(shifted, fix.edits), /segmentation "(Sign Up|Purchase)"/);
    }
  });

  it("a different schema object is not served from another schema's cache", () => {
    const text = 'segmentation "Sign Up"\n  last 30 days\n';
    assert.deepEqual(lint(text), []);
    const without: AnalyticsSchema = { events: {}, userProperties: {} };
    assert.deepEqual(
      lint(text, undefined, () => without).map((d) => d.code),
      ['unknown-event'],
    );
  });

  it('a schema lookup that throws is treated as no schema', () => {
    const diagnostics = lint('segmentation "X"\n  last 30 days\n', undefined, () => {
      throw new Error('boom');
    });
    assert.deepEqual(diagnostics, []);
  });
});

describe('validate: chunk by chunk, as the server does after each keystroke', () => {
  /** Pieces that break and mend queries, switch sources and move everything below them. */
  const piece = fc.constantFrom(
    '\n',
    '### T\n',
    'use piwik "site"\n',
    'use mixpanel "shop"\n',
    'use mixpanel "nope"\n',
    'use local "x.ndjson"\n',
    'segmentation "Sign Upp"\n',
    'funnel "Purchase" -> "X"\n',
    'jql "queries/missing.jql"\n',
    'debugger "bb338e1a-12f8-5353-ac63-9fd8b1f928a1"\n',
    '  where properties["plann"] == 1\n',
    '  unit week\n',
    '  unit week\n',
    '  from 2026-02-30 to 2026-01-01\n',
    '  last 3 dayz\n',
    '  logs\n',
    '"',
    'x',
    '  ',
  );
  const edit = fc.record({ at: fc.nat(), deleteCount: fc.integer({ min: 0, max: 40 }), insert: fc.string({ unit: piece, maxLength: 3 }) });
  const lookup = (ref: SourceRef | undefined) => (ref === undefined || ref.name === 'shop' ? schema : undefined);
  const options: ValidationOptions = { knownSources: new Set(['shop', 'site']), fileExists: (path) => path === 'queries/top-browsers.jql' };

  it('finds after any edits exactly what validating the whole document finds', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 10 }), (edits) => {
        const parser = createIncrementalParser();
        let text = ISSUE_EXAMPLE;
        for (const { at, deleteCount, insert } of [{ at: 0, deleteCount: 0, insert: '' }, ...edits]) {
          const start = at % (text.length + 1);
          text = text.slice(0, start) + insert + text.slice(start + deleteCount);
          const chunked = service.validateChunked(parser.parseChunks(text), lookup, options);
          assert.deepStrictEqual(chunked, lint(text, options, lookup));
        }
      }),
      { numRuns: 120 },
    );
  });

  it('moves the findings of a query with it when the text above it changes', () => {
    const parser = createIncrementalParser();
    const broken = ISSUE_EXAMPLE.replace('segmentation "Sign Up"', 'segmentation "Sign Upp"');
    const first = service.validateChunked(parser.parseChunks(broken), lookup, options);
    const moved = service.validateChunked(parser.parseChunks(`# a comment on top\n${broken}`), lookup, options);
    const unknown = (found: QueryDiagnostic[]) => found.find((d) => d.code === 'unknown-event')!;
    assert.equal(unknown(moved).span.start, unknown(first).span.start + '# a comment on top\n'.length);
    assert.equal(unknown(moved).message, unknown(first).message);
  });

  it('checks the unchanged queries of a long document again when their schema or the configured sources change', () => {
    const parser = createIncrementalParser();
    const queries = Array.from(
      { length: 60 },
      (_, i) => `### Q${i}\nsegmentation "${i % 3 ? 'Sign Up' : 'Sign Upp'}"\n  where properties["${i % 2 ? 'plan' : 'plann'}"] == 1\n  last 7 days\n`,
    );
    const text = `use mixpanel "shop"\n${queries.join('\n')}\nuse mixpanel "site"\n${queries.slice(0, 5).join('\n')}`;
    const chunks = parser.parseChunks(text);
    // The same chunk objects each time: only what they are checked against changes.
    const withSchema = service.validateChunked(chunks, lookup, options);
    assert.deepStrictEqual(withSchema, lint(text, options, lookup));
    assert.ok(withSchema.some((d) => d.code === 'unknown-event'));
    const otherSchema = shopSchema();
    otherSchema.events = Object.fromEntries(Object.entries(otherSchema.events).filter(([name]) => name !== 'Sign Up'));
    const swapped = (ref: SourceRef | undefined) => (ref?.name === 'shop' ? otherSchema : undefined);
    assert.deepStrictEqual(service.validateChunked(chunks, swapped, options), lint(text, options, swapped));
    const none = () => undefined;
    assert.deepStrictEqual(service.validateChunked(chunks, none, options), lint(text, options, none));
    const fewerSources: ValidationOptions = { ...options, knownSources: new Set(['site']) };
    const found = service.validateChunked(chunks, lookup, fewerSources);
    assert.ok(found.some((d) => d.code === 'unknown-source'));
    assert.deepStrictEqual(found, lint(text, fewerSources, lookup));
    assert.deepStrictEqual(service.validateChunked(chunks, lookup, options), withSchema);
  });

  it('analyses an unchanged query again when the use line above it names another kind of source', () => {
    const parser = createIncrementalParser();
    assert.deepEqual(service.validateChunked(parser.parseChunks(ISSUE_EXAMPLE), lookup, options), []);
    const text = ISSUE_EXAMPLE.replace('use mixpanel "shop"', 'use piwik "shop"');
    const found = service.validateChunked(parser.parseChunks(text), lookup, options);
    assert.ok(
      found.some((d) => d.code === 'wrong-source-kind'),
      JSON.stringify(found.map((d) => d.code)),
    );
    assert.deepStrictEqual(found, lint(text, options, lookup));
  });
});

/**
 * Property tests for the editor features: mutated and random `.aq` and `.jql` text never makes
 * them throw (the inner functions are called, not the facade, which would hide exceptions), every
 * span stays inside the text, completion spans cover the cursor on one line, and the per-query
 * validation cache gives the same answer as a cold analysis.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { AnalyticsSchema, TextSpan } from '../../../../server/src/languageService/analyticsTypes';
import { DiagnosticCode, SyntaxCode } from '../../../../server/src/languageService/diagnosticCodes';
import { completeQuery } from '../../../../server/src/languageService/features/completeQuery';
import { documentSymbols, foldingRanges } from '../../../../server/src/languageService/features/documentSymbols';
import { hoverQuery } from '../../../../server/src/languageService/features/hoverQuery';
import { semanticTokens } from '../../../../server/src/languageService/features/semanticTokens';
import { validateDocument } from '../../../../server/src/languageService/features/validateQuery';
import { completeJql, hoverJql, validateJql } from '../../../../server/src/languageService/jql/jqlAnalysis';
import { parseAqDocument } from '../../../../server/src/languageService/parser/queryParser';
import { shopSchema } from '../languageServiceHelpers';

const schema = shopSchema();
const DOCUMENTED_CODES: ReadonlySet<string> = new Set([...Object.values(DiagnosticCode), ...Object.values(SyntaxCode)]);

const SEED = `use mixpanel "shop"
### Sign-ups by browser
segmentation "Sign Up"
  on properties["$browser"]
  where properties["plan"] in ["premium", "team"] and defined(properties["utm_source"])
  from 2026-10-01 to 2026-10-31
  unit day
# a comment
funnel "Landed on Homepage" -> "Purchase"
  where properties["price"] > 10
      or user["plan"] == "free"
  window 14 days
  last 30 days
retention "Sign Up" -> "Purchase"
  unit week
  born_where properties["plan"] == "free"
jql "queries/top.jql"
  params { "event": "Sign Up" }
use piwik "site"
debugger "bb338e1a"
  event_type broken, 17
`;

const JQL_SEED = `function main() {
  return Events({ event_selectors: [{ event: "Sign Up" }] })
    .filter(e => e.properties.plan && e.properties["$browser"])
    .groupBy(["properties.State", "user.properties.plan"], mixpanel.reducer.sum("properties.price"));
}
`;

const PIECES = [
  '"',
  '[',
  ']',
  '(',
  ')',
  '\n',
  '\n  ',
  ' ',
  '#',
  '###',
  '->',
  '==',
  'properties["',
  'user["',
  'and ',
  'in [',
  '1',
  '-',
  'x',
  ',',
  '\\',
  '\r\n',
  '\t',
  'last ',
  'from ',
  'unit ',
  '{',
  '}',
  '.',
  "'",
];

/** The seed with a few random insertions, deletions and replacements. */
function mutated(seed: string) {
  const edit = fc.tuple(fc.nat(), fc.nat({ max: 6 }), fc.constantFrom(...PIECES));
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let text = seed;
    for (const [at, remove, piece] of edits) {
      const position = at % (text.length + 1);
      text = text.slice(0, position) + (remove % 3 === 0 ? '' : piece) + text.slice(Math.min(text.length, position + remove));
    }
    return text;
  });
}

function assertInside(span: TextSpan, text: string, what: string): void {
  assert.ok(span.start >= 0 && span.start <= span.end && span.end <= text.length, `${what} ${JSON.stringify(span)} outside [0, ${text.length}]`);
}

describe('language features on mutated text', () => {
  it('.aq: no exception, spans inside, completion spans cover the cursor on one line', () => {
    fc.assert(
      fc.property(fc.oneof(mutated(SEED), fc.string({ maxLength: 200 })), fc.array(fc.nat(), { minLength: 3, maxLength: 3 }), (text, offsets) => {
        const document = parseAqDocument(text);
        for (const diagnostic of validateDocument(document, text, () => schema, { fileExists: () => false, knownSources: new Set(['shop']) })) {
          assertInside(diagnostic.span, text, diagnostic.code);
          assert.ok(DOCUMENTED_CODES.has(diagnostic.code), `code ${diagnostic.code} is not in diagnosticCodes.ts (nor docs/diagnostics.md)`);
          for (const fix of diagnostic.fixes ?? []) for (const edit of fix.edits) assertInside(edit.span, text, `fix of ${diagnostic.code}`);
        }
        for (const symbol of documentSymbols(document)) assertInside(symbol.span, text, 'symbol');
        for (const fold of foldingRanges(document, text)) assertInside(fold.span, text, 'fold');
        let previousEnd = 0;
        for (const token of semanticTokens(document, text)) {
          assertInside(token.span, text, token.type);
          assert.ok(token.span.start >= previousEnd, 'tokens overlap');
          previousEnd = token.span.end;
        }
        for (const raw of offsets) {
          const offset = raw % (text.length + 1);
          for (const candidate of completeQuery(document, text, offset, () => schema)) {
            const span = candidate.replaceSpan!;
            assertInside(span, text, `completion ${candidate.label}`);
            assert.ok(span.start <= offset && offset <= span.end, `completion span ${JSON.stringify(span)} misses the cursor ${offset}`);
            assert.ok(!text.slice(span.start, span.end).includes('\n'), 'completion span crosses a line');
          }
          const hover = hoverQuery(document, offset, () => schema);
          if (hover) assertInside(hover.span, text, 'hover');
        }
      }),
      { numRuns: 250 },
    );
  });

  it('.aq: the per-query cache answers exactly like a cold analysis', () => {
    fc.assert(
      fc.property(mutated(SEED), (text) => {
        const document = parseAqDocument(text);
        const warm = validateDocument(document, text, () => schema);
        const fresh: AnalyticsSchema = JSON.parse(JSON.stringify(schema));
        const cold = validateDocument(document, text, () => fresh);
        assert.deepEqual(warm, cold);
      }),
      { numRuns: 150 },
    );
  });

  it('.jql: no exception, spans inside', () => {
    fc.assert(
      fc.property(fc.oneof(mutated(JQL_SEED), fc.string({ maxLength: 120 })), fc.nat(), (text, raw) => {
        for (const diagnostic of validateJql(text, schema)) {
          assertInside(diagnostic.span, text, diagnostic.code);
          assert.ok(DOCUMENTED_CODES.has(diagnostic.code), `code ${diagnostic.code} is not documented`);
          for (const fix of diagnostic.fixes ?? []) for (const edit of fix.edits) assertInside(edit.span, text, 'jql fix');
        }
        const offset = raw % (text.length + 1);
        for (const candidate of completeJql(text, offset, schema)) {
          const span = candidate.replaceSpan!;
          assertInside(span, text, 'jql completion');
          assert.ok(span.start <= offset && offset <= span.end, 'jql completion span misses the cursor');
        }
        const hover = hoverJql(text, offset, schema);
        if (hover) assertInside(hover.span, text, 'jql hover');
      }),
      { numRuns: 200 },
    );
  });
});

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { CompletionList, Diagnostic, DocumentSymbol, FoldingRange, Range } from 'vscode-languageserver-protocol';
import { fileUri, shopWorkspace, startSession, type LspSession } from './lspHarness';

const EXAMPLE = `use mixpanel "shop"

### Sign-ups by browser
segmentation "Sign Up"
  on properties["$browser"]
  where properties["plan"] in ["premium", "team"] and defined(properties["utm_source"])
  from 2026-10-01 to 2026-10-31
  unit day
  type unique
  limit 20
  chart line
  clean

### Checkout funnel by state
funnel "Landed on Homepage" -> "Created Account" -> "Purchase"
  on properties["State"]
  window 14 days
  last 30 days

### Buyers come back
retention "Sign Up" -> "Purchase"
  unit week
  interval_count 8
  born_where properties["plan"] == "free"
  last 90 days

use piwik "site"
### Broken events
debugger "bb338e1a-12f8-5353-ac63-9fd8b1f928a1"
  event_type broken
  lookup_window 300
`;

/** Insertions, deletions and replacements of characters the language cares about. */
const mutation = fc.record({
  at: fc.nat(),
  remove: fc.nat({ max: 12 }),
  insert: fc.oneof(
    fc.constantFrom('"', '[', ']', '(', ')', '\n', '  ', '#', '###', '->', '==', ' in ', 'properties["', '\\', '\r\n', '😀', 'last', 'from'),
    fc.string({ maxLength: 8 }),
  ),
});

function mutate(text: string, mutations: Array<{ at: number; remove: number; insert: string }>): string {
  let result = text;
  for (const { at, remove, insert } of mutations) {
    const offset = at % (result.length + 1);
    result = result.slice(0, offset) + insert + result.slice(offset + remove);
  }
  return result;
}

function lineLengths(text: string): number[] {
  return text.split(/\r?\n|\r/).map((line) => line.length);
}

function assertInside(range: Range, lengths: number[], what: string): void {
  for (const position of [range.start, range.end]) {
    assert.ok(position.line >= 0 && position.line < lengths.length, `${what}: line ${position.line} outside the document`);
    assert.ok(
      position.character >= 0 && position.character <= lengths[position.line],
      `${what}: character ${position.character} outside line ${position.line}`,
    );
  }
}

describe('language server properties (fast-check)', () => {
  let session: LspSession;
  let uri: string;
  let version = 1;

  before(async () => {
    const root = shopWorkspace();
    uri = fileUri(join(root, 'fuzz.aq'));
    session = await startSession({ rootDir: root, pull: true });
    await session.open(uri, EXAMPLE);
  });
  after(async () => {
    await session?.close();
  });

  it('answers every request with ranges inside the mutated document and never dies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.nat(), async (mutations, cursorSeed) => {
        const text = mutate(EXAMPLE, mutations);
        await session.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [{ text }] });
        const lengths = lineLengths(text);
        const report = (await session.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as { items: Diagnostic[] };
        for (const diagnostic of report.items) assertInside(diagnostic.range, lengths, `diagnostic ${diagnostic.code}`);

        const line = cursorSeed % lengths.length;
        const position = { line, character: Math.floor(cursorSeed / lengths.length) % (lengths[line] + 1) };
        const completion = (await session.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position })) as CompletionList | null;
        for (const item of completion?.items ?? []) {
          if (item.textEdit && 'range' in item.textEdit) assertInside(item.textEdit.range, lengths, `completion ${item.label}`);
        }
        await session.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position });
        const symbols = (await session.connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } })) as DocumentSymbol[];
        for (const symbol of symbols) assertInside(symbol.range, lengths, `symbol ${symbol.name}`);
        const folds = (await session.connection.sendRequest('textDocument/foldingRange', { textDocument: { uri } })) as FoldingRange[] | null;
        for (const fold of folds ?? []) assert.ok(fold.startLine < fold.endLine && fold.endLine < lengths.length);
        await session.connection.sendRequest('textDocument/semanticTokens/full', { textDocument: { uri } });
      }),
      { numRuns: 60 },
    );
    assert.equal(session.child.exitCode, null);
  });
});

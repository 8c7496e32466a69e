import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { CompletionList, Diagnostic, DocumentSymbol, FoldingRange, Range } from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
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

describe('incremental edits (fast-check)', () => {
  let session: LspSession;
  let root: string;

  before(async () => {
    root = shopWorkspace();
    session = await startSession({ rootDir: root, pull: true });
  });
  after(async () => {
    await session?.close();
  });

  // Large enough to be kept in several pieces and parsed in many chunks.
  const LARGE = Array.from({ length: 14 }, () => EXAMPLE).join('\n');

  it('after any keystrokes sent as ranges, every answer equals that of the same text opened afresh', async () => {
    let documents = 0;
    const ask = async (uri: string, position: { line: number; character: number }) => ({
      diagnostics: ((await session.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as { items: Diagnostic[] }).items,
      completion: await session.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position }),
      hover: await session.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position }),
      symbols: await session.connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } }),
      folding: await session.connection.sendRequest('textDocument/foldingRange', { textDocument: { uri } }),
      tokens: await session.connection.sendRequest('textDocument/semanticTokens/full', { textDocument: { uri } }),
    });
    // Completion items carry the number of the answer they came in (for resolve); that differs between any two answers.
    const withoutAnswerNumbers = (answers: Awaited<ReturnType<typeof ask>>) =>
      JSON.parse(
        JSON.stringify(answers, (key, value: unknown) =>
          key === 'data' && typeof value === 'object' && value !== null && 'list' in value ? undefined : value,
        ),
      );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(mutation, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 5 }),
        fc.nat(),
        async (keystrokes, cursorSeed) => {
          const uri = fileUri(join(root, `edited-${++documents}.aq`));
          let client = TextDocument.create(uri, 'aq', 1, LARGE);
          await session.open(uri, LARGE);
          // A first answer, so that later ones come from the incremental parse.
          await session.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } });
          for (const changes of keystrokes) {
            const contentChanges = changes.map(({ at, remove, insert }) => {
              const start = at % (client.getText().length + 1);
              const range = { start: client.positionAt(start), end: client.positionAt(start + remove) };
              client = TextDocument.update(client, [{ range, text: insert }], client.version);
              return { range, text: insert };
            });
            await session.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: client.version + 1 }, contentChanges });
            client = TextDocument.create(uri, 'aq', client.version + 1, client.getText());
            await session.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } });
          }
          const text = client.getText();
          const lengths = lineLengths(text);
          const line = cursorSeed % lengths.length;
          const position = { line, character: Math.floor(cursorSeed / lengths.length) % (lengths[line] + 1) };
          const fresh = fileUri(join(root, `fresh-${documents}.aq`));
          await session.open(fresh, text);
          const edited = withoutAnswerNumbers(await ask(uri, position));
          const opened = withoutAnswerNumbers(await ask(fresh, position));
          assert.deepStrictEqual(edited, opened);
          for (const closed of [uri, fresh]) await session.connection.sendNotification('textDocument/didClose', { textDocument: { uri: closed } });
        },
      ),
      { numRuns: 40 },
    );
    assert.equal(session.child.exitCode, null);
  });
});

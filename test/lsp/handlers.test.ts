/**
 * The LSP handlers called directly on a small ServerContext-like fake, without spawning the
 * bundle: what the editor would receive for completion, hover, diagnostics, symbols and code
 * actions.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancellationTokenSource, type CompletionList, type Hover, type MarkupContent } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getAqLanguageService } from '../../server/src/languageService/analyticsLanguageService';
import type { AnalyticsSchema } from '../../server/src/languageService/analyticsTypes';
import { schemaFromLexicon } from '../../server/src/queryContract/lexiconSchema';
import { createIncrementalParser } from '../../server/src/languageService/parser/incrementalParser';
import { LanguageFeatureHandlers } from '../../server/src/lsp/languageFeatureHandlers';
import type { LanguageFeatureContext } from '../../server/src/lsp/serverContext';
import { shopSchema } from '../unit/languageService/languageServiceHelpers';

const service = getAqLanguageService();

function contextWith(files: Record<string, string>, schema: AnalyticsSchema | undefined) {
  const documents = new Map(
    Object.entries(files).map(([name, text]) => {
      const uri = `file:///work/${name}`;
      return [uri, TextDocument.create(uri, name.endsWith('.jql') ? 'jql' : 'aq', 1, text)];
    }),
  );
  const context: LanguageFeatureContext = {
    document: (uri) => documents.get(uri),
    model: (document) => service.parse(document.getText()),
    chunks: (document) => createIncrementalParser().parseChunks(document.getText()),
    schemaLookup: () => () => schema,
    jqlSchema: () => schema,
    validationOptions: () => ({}),
    schemaReadyAt: async () => {},
    canDefaultEditRange: () => false,
    log: { error: () => {}, warn: () => {}, info: () => {} },
  };
  return { handlers: new LanguageFeatureHandlers(context), documents };
}

/** Position of the `|` marker, and the text without it. */
function at(marked: string): { text: string; line: number; character: number } {
  const offset = marked.indexOf('|');
  const before = marked.slice(0, offset).split('\n');
  return { text: marked.replace('|', ''), line: before.length - 1, character: before[before.length - 1].length };
}

const token = () => new CancellationTokenSource().token;

describe('language feature handlers, called directly', () => {
  it('completion offers the schema events inside a query, as an LSP completion list', async () => {
    const { text, line, character } = at('segmentation "Si|"\n  last 7 days\n');
    const { handlers } = contextWith({ 'a.aq': text }, shopSchema());
    const list = (await handlers.completion({ textDocument: { uri: 'file:///work/a.aq' }, position: { line, character } }, token())) as CompletionList | null;
    assert.ok(list);
    const labels = list.items.map((item) => item.label);
    assert.ok(labels.includes('Sign Up'), labels.join(', '));
  });

  it('narrows a 5,000-event list to what is typed, marks it incomplete, and resolves the documentation left out', async () => {
    const events = Array.from({ length: 5000 }, (_, i) => ({
      entityType: 'event',
      name: `Event ${String(i).padStart(4, '0')}`,
      schemaJson: { description: `Generated event number ${i}` },
    }));
    const schema = schemaFromLexicon({ status: 'ok', results: events }, { kind: 'file', label: 'big.json' });
    const complete = async (typed: string) => {
      const { text, line, character } = at(`segmentation "${typed}|"\n  last 7 days\n`);
      const { handlers } = contextWith({ 'a.aq': text }, schema);
      const list = (await handlers.completion({ textDocument: { uri: 'file:///work/a.aq' }, position: { line, character } }, token())) as CompletionList;
      return { handlers, list, labels: list.items.map((item) => item.label) };
    };
    const first = await complete('Ev');
    assert.equal(first.list.isIncomplete, true, 'the editor must ask again as the user types');
    assert.equal(first.list.items.length, 100);
    assert.ok(first.list.items.every((item) => item.documentation === undefined));
    // Typing on: the editor asks again, and the narrower list holds the event the user is after.
    const typed = await complete('Event 4321');
    assert.ok(typed.labels.includes('Event 4321'), typed.labels.join(', '));
    const item = typed.list.items.find((candidate) => candidate.label === 'Event 4321')!;
    const resolved = typed.handlers.resolveCompletion(item);
    assert.match((resolved.documentation as MarkupContent).value, /Generated event number 4321/);
    // An item from an answer the server no longer remembers comes back as it was.
    assert.deepEqual(typed.handlers.resolveCompletion({ ...item, data: { list: -1, index: 0 } }), { ...item, data: { list: -1, index: 0 } });
  });

  it('hover on an event shows its schema description as markdown', async () => {
    const { text, line, character } = at('segmentation "Sign| Up"\n  last 30 days\n');
    const { handlers } = contextWith({ 'a.aq': text }, shopSchema());
    const hover = (await handlers.hover({ textDocument: { uri: 'file:///work/a.aq' }, position: { line, character } }, token())) as Hover | null;
    assert.ok(hover);
    const contents = hover.contents as MarkupContent;
    assert.equal(contents.kind, 'markdown');
    assert.match(contents.value, /\*\*Sign Up\*\* \(event\)/);
    assert.deepEqual(hover.range?.start, { line: 0, character: 13 });
  });

  it('answers null (not an error) for a document that is not open', async () => {
    const { handlers } = contextWith({}, shopSchema());
    assert.equal(await handlers.hover({ textDocument: { uri: 'file:///work/gone.aq' }, position: { line: 0, character: 0 } }, token()), null);
  });

  it('diagnostics of an unknown event carry a quick fix that code actions turn into an edit', async () => {
    const text = 'segmentation "sign up"\n  last 30 days\n';
    const { handlers, documents } = contextWith({ 'a.aq': text }, shopSchema());
    const diagnostics = handlers.diagnostics(documents.get('file:///work/a.aq')!);
    const unknown = diagnostics.find((diagnostic) => diagnostic.code === 'unknown-event');
    assert.ok(unknown, JSON.stringify(diagnostics));
    assert.deepEqual(unknown.range.start, { line: 0, character: 13 });
    const actions = await handlers.codeActions(
      { textDocument: { uri: 'file:///work/a.aq' }, range: unknown.range, context: { diagnostics: [unknown] } },
      token(),
    );
    assert.ok(Array.isArray(actions) && actions.length > 0);
    assert.match(JSON.stringify(actions), /Sign Up/);
  });

  it('document symbols name each query of an .aq file, and none of a .jql file', async () => {
    const { handlers } = contextWith(
      { 'a.aq': 'segmentation "Sign Up"\n  last 7 days\n\nfunnel "Sign Up" -> "Purchase"\n  last 7 days\n', 'b.jql': 'function main() { return Events({}); }' },
      shopSchema(),
    );
    const symbols = await handlers.documentSymbols({ textDocument: { uri: 'file:///work/a.aq' } }, token());
    assert.equal(Array.isArray(symbols) ? symbols.length : 0, 2);
    assert.deepEqual(await handlers.documentSymbols({ textDocument: { uri: 'file:///work/b.jql' } }, token()), []);
  });
});

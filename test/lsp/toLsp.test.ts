import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CancellationTokenSource,
  CompletionItemKind,
  DiagnosticSeverity,
  LSPErrorCodes,
  ResponseError,
  SymbolKind,
  type TextEdit,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { runSafe, runSafeAsync } from '../../server/src/lsp/runSafe';
import {
  codeActionsFromDiagnostics,
  encodeSemanticTokens,
  SEMANTIC_TOKENS_LEGEND,
  spanToRange,
  toLspCompletionItem,
  toLspCompletionList,
  toLspDiagnostic,
  toLspDocumentSymbol,
  toLspFoldingRange,
} from '../../server/src/lsp/toLsp';
import { applyCompletion, applyEdits } from './lspHarness';

function doc(text: string): TextDocument {
  return TextDocument.create('file:///w/q.aq', 'aq', 1, text);
}

describe('toLsp', () => {
  it('converts offsets to 0-based positions across CRLF lines and astral characters', () => {
    const text = 'a\r\n"😀 x"\r\nlast';
    const document = doc(text);
    const xAt = text.indexOf('x');
    assert.deepEqual(spanToRange(document, { start: xAt, end: xAt + 1 }), { start: { line: 1, character: 4 }, end: { line: 1, character: 5 } });
    const lastAt = text.indexOf('last');
    assert.deepEqual(spanToRange(document, { start: lastAt, end: lastAt + 4 }).start, { line: 2, character: 0 });
  });

  it('clamps spans past the end of the text instead of producing invalid positions', () => {
    assert.deepEqual(spanToRange(doc('ab'), { start: 1, end: 99 }), { start: { line: 0, character: 1 }, end: { line: 0, character: 2 } });
    assert.deepEqual(spanToRange(doc('ab'), { start: 2, end: 1 }), { start: { line: 0, character: 2 }, end: { line: 0, character: 2 } });
  });

  it('carries quick fixes in the diagnostic so a code action applies them without recomputing', () => {
    const text = 'segmentation "Sign Upp"\n  last 7 days\n';
    const document = doc(text);
    const start = text.indexOf('Sign Upp');
    const diagnostic = toLspDiagnostic(document, {
      span: { start, end: start + 8 },
      severity: 'error',
      code: 'unknown-event',
      message: 'Unknown event "Sign Upp". Did you mean "Sign Up"?',
      fixes: [{ title: 'Change to "Sign Up"', isPreferred: true, edits: [{ span: { start, end: start + 8 }, newText: 'Sign Up' }] }],
    });
    assert.equal(diagnostic.severity, DiagnosticSeverity.Error);
    assert.equal(diagnostic.code, 'unknown-event');
    assert.equal(diagnostic.source, 'aq');
    // The diagnostic crosses the wire as JSON; the action must work from the parsed copy.
    const [action] = codeActionsFromDiagnostics(document.uri, [JSON.parse(JSON.stringify(diagnostic))]);
    assert.equal(action.title, 'Change to "Sign Up"');
    assert.equal(action.isPreferred, true);
    const edits = action.edit!.changes![document.uri] as TextEdit[];
    assert.equal(applyEdits(text, edits), 'segmentation "Sign Up"\n  last 7 days\n');
  });

  it('ignores diagnostics without aq fixes and malformed data', () => {
    assert.deepEqual(
      codeActionsFromDiagnostics('file:///x', [
        { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, message: 'm', data: { fixes: 'nope' } },
      ]),
      [],
    );
  });

  it('turns a completion candidate with a replace span into a text edit', () => {
    const text = 'segmentation "Si"';
    const item = toLspCompletionItem(doc(text), {
      label: 'Sign Up',
      kind: 'event',
      detail: '1,204 events',
      replaceSpan: { start: 14, end: 16 },
      deprecated: true,
    });
    assert.equal(item.kind, CompletionItemKind.Event);
    assert.deepEqual(item.tags, [1]);
    assert.equal(applyEdits(text, [item.textEdit as TextEdit]), 'segmentation "Sign Up"');
  });

  it('sends a shared replace range once when the client accepts list defaults, with the same result', () => {
    const text = 'segmentation "Si"';
    const candidates = [
      { label: 'Sign Up', kind: 'event' as const, replaceSpan: { start: 14, end: 16 } },
      { label: 'Purchase', kind: 'event' as const, insertText: 'Purchase', replaceSpan: { start: 14, end: 16 } },
      { label: '$browser', kind: 'property' as const, insertText: 'properties["$browser"]', replaceSpan: { start: 14, end: 16 } },
    ];
    const compact = toLspCompletionList(doc(text), candidates, true);
    const full = toLspCompletionList(doc(text), candidates, false);
    assert.ok(compact.itemDefaults?.editRange);
    assert.ok(compact.items.every((item) => item.textEdit === undefined));
    assert.ok(full.items.every((item) => item.textEdit !== undefined));
    for (let i = 0; i < candidates.length; i++) {
      assert.equal(applyCompletion(text, compact, compact.items[i]), applyCompletion(text, full, full.items[i]));
    }
    assert.equal(applyCompletion(text, compact, compact.items[2]), 'segmentation "properties["$browser"]"');
    const mixed = toLspCompletionList(doc(text), [...candidates, { label: 'day', kind: 'enum' as const }], true);
    assert.equal(mixed.itemDefaults, undefined);
  });

  it('leaves documentation for resolve and marks a narrowed list incomplete, with the same edits', () => {
    const text = 'segmentation "Si"';
    const candidates = [
      { label: 'Sign Up', kind: 'event' as const, documentation: 'Someone signed up', replaceSpan: { start: 14, end: 16 } },
      { label: 'Purchase', kind: 'event' as const, documentation: 'An order', insertText: 'Purchase"', replaceSpan: { start: 14, end: 16 } },
    ];
    const inline = toLspCompletionList(doc(text), candidates, true);
    const deferred = toLspCompletionList(doc(text), candidates, true, { isIncomplete: true, resolveList: 7 });
    assert.equal(inline.isIncomplete, false);
    assert.equal(deferred.isIncomplete, true);
    assert.deepEqual(
      inline.items.map((item) => (item.documentation as { value: string }).value),
      ['Someone signed up', 'An order'],
    );
    assert.deepEqual(
      deferred.items.map((item) => [item.documentation, item.data]),
      [
        [undefined, { list: 7, index: 0 }],
        [undefined, { list: 7, index: 1 }],
      ],
    );
    assert.equal(deferred.items[0].filterText, undefined, 'a filter text equal to the label is not sent');
    for (let i = 0; i < candidates.length; i++)
      assert.equal(applyCompletion(text, deferred, deferred.items[i]), applyCompletion(text, inline, inline.items[i]));
    assert.equal(applyCompletion(text, deferred, deferred.items[1]), 'segmentation "Purchase""');
  });

  it('keeps a symbol selection range inside its full range', () => {
    const symbol = toLspDocumentSymbol(doc('### A\nsegmentation "x"\n'), {
      name: 'A',
      detail: 'segmentation',
      span: { start: 0, end: 22 },
      selectionSpan: { start: 40, end: 45 },
    });
    assert.equal(symbol.kind, SymbolKind.Function);
    assert.deepEqual(symbol.selectionRange, { start: symbol.range.start, end: symbol.range.start });
  });

  it('folds from the first to the last line of a span and drops one-line spans', () => {
    const text = '### A\nsegmentation "x"\n  last 7 days\n';
    assert.deepEqual(toLspFoldingRange(doc(text), { span: { start: 0, end: text.length - 1 } }), { startLine: 0, endLine: 2 });
    assert.equal(toLspFoldingRange(doc(text), { span: { start: 0, end: 5 } }), undefined);
  });

  it('encodes semantic tokens relative to the previous one and splits tokens at line ends', () => {
    const text = 'segmentation "Sign Up"\n  params { "a":\n 1 }';
    const tokens = [
      { span: { start: 13, end: 22 }, type: 'event' },
      { span: { start: 0, end: 12 }, type: 'keyword' },
      { span: { start: 25, end: text.length }, type: 'string' },
      { span: { start: 2, end: 5 }, type: 'title' },
    ];
    const data = encodeSemanticTokens(doc(text), tokens);
    const types = SEMANTIC_TOKENS_LEGEND.tokenTypes;
    const decoded: Array<[number, number, number, string]> = [];
    let line = 0;
    let character = 0;
    for (let i = 0; i < data.length; i += 5) {
      line += data[i];
      character = data[i] === 0 ? character + data[i + 1] : data[i + 1];
      decoded.push([line, character, data[i + 2], types[data[i + 3]]]);
    }
    // The overlapping `title` token is dropped: titles are coloured by the grammar.
    assert.deepEqual(decoded, [
      [0, 0, 12, 'keyword'],
      [0, 13, 9, 'event'],
      [1, 2, 13, 'string'],
      [2, 0, 4, 'string'],
    ]);
  });
});

describe('runSafe', () => {
  const silentLog = () => {
    const lines: string[] = [];
    return { lines, error: (message: string) => lines.push(message) };
  };

  it('returns the fallback and logs when a feature throws', async () => {
    const log = silentLog();
    const result = await runSafe(
      log,
      () => {
        throw new Error('boom');
      },
      'fallback',
      'hover',
      new CancellationTokenSource().token,
    );
    assert.equal(result, 'fallback');
    assert.match(log.lines[0], /aq: hover failed: boom/);
  });

  it('answers RequestCancelled when the request was cancelled before it ran', async () => {
    const source = new CancellationTokenSource();
    source.cancel();
    let ran = false;
    const result = await runSafe(silentLog(), () => (ran = true), false, 'completion', source.token);
    assert.ok(result instanceof ResponseError);
    assert.equal(result.code, LSPErrorCodes.RequestCancelled);
    assert.equal(ran, false);
  });

  it('aborts the signal handed to async work when the request is cancelled', async () => {
    const source = new CancellationTokenSource();
    const result = runSafeAsync(
      silentLog(),
      (signal) =>
        new Promise<string>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(new ResponseError(-32900, 'cancelled by the user', { kind: 'cancelled' })));
          source.cancel();
        }),
      'running the query',
      source.token,
    );
    const answer = await result;
    assert.ok(answer instanceof ResponseError);
    assert.equal(answer.message, 'cancelled by the user');
  });

  it('turns an unexpected error in async work into an internal error without the stack', async () => {
    const log = silentLog();
    const answer = await runSafeAsync(
      log,
      async () => {
        throw new TypeError('x is undefined');
      },
      'running the query',
      new CancellationTokenSource().token,
    );
    assert.ok(answer instanceof ResponseError);
    assert.equal(answer.code, -32603);
    assert.doesNotMatch(answer.message, /x is undefined/);
    assert.match(log.lines[0], /x is undefined/);
  });
});

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type {
  CodeAction,
  CompletionItem,
  CompletionList,
  Diagnostic,
  DocumentSymbol,
  FoldingRange,
  Hover,
  MarkupContent,
  SemanticTokens,
  TextEdit,
} from 'vscode-languageserver-protocol';
import { spawn } from 'node:child_process';
import { createProtocolConnection, IPCMessageReader, IPCMessageWriter } from 'vscode-languageserver-protocol/node';
import { applyCompletion, applyEdits, DIST_DIR, ensureBuilt, fileUri, messageOf, positionOf, shopWorkspace, startSession, type LspSession } from './lspHarness';

const QUERIES = `use mixpanel "shop"

### Sign-ups by plan
segmentation "Sign Upp"
  on properties["plan"]
  last 30 days

### Buyers
segmentation "Purchase"
  where properties["price"] > 10
  last 7 days
`;

const hasCode = (code: string) => (diagnostics: Diagnostic[]) => diagnostics.some((d) => d.code === code);

describe('language server over stdio (push diagnostics)', () => {
  let session: LspSession;
  let root: string;
  let uri: string;
  let text = QUERIES;
  let fakeMixpanel: Server;
  let fakeHost: string;
  const fakeRequests: Array<{ url: string; authorization: string | undefined }> = [];

  before(async () => {
    // Stands in for mixpanel.com: every query is refused as unauthenticated.
    fakeMixpanel = createServer((request, response) => {
      fakeRequests.push({ url: request.url ?? '', authorization: request.headers.authorization });
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'Unable to authenticate request', status: 'error' }));
    });
    await new Promise<void>((resolve) => fakeMixpanel.listen(0, '127.0.0.1', resolve));
    fakeHost = `127.0.0.1:${(fakeMixpanel.address() as AddressInfo).port}`;
    root = shopWorkspace();
    uri = fileUri(join(root, 'queries.aq'));
    session = await startSession({ rootDir: root, settings: { baseUrlOverrides: { shop: `http://${fakeHost}` } } });
    await session.open(uri, text);
  });
  after(async () => {
    await session?.close();
    await new Promise((resolve) => fakeMixpanel?.close(resolve));
  });

  it('announces the features it serves', () => {
    const capabilities = session.initializeResult.capabilities;
    assert.deepEqual(capabilities.completionProvider?.triggerCharacters, ['"', '[', ' ', '.']);
    assert.equal(capabilities.completionProvider?.resolveProvider, true);
    assert.equal(capabilities.textDocumentSync, 2);
    assert.ok(capabilities.hoverProvider);
    assert.ok(capabilities.documentSymbolProvider);
    assert.ok(capabilities.foldingRangeProvider);
    assert.ok(capabilities.semanticTokensProvider?.legend.tokenTypes.includes('event'));
    assert.equal(capabilities.codeLensProvider, undefined);
    assert.equal(capabilities.diagnosticProvider, undefined);
  });

  it('publishes an unknown event with a did-you-mean once the schema file is loaded', async () => {
    const diagnostics = await session.waitForDiagnostics(uri, hasCode('unknown-event'));
    const unknown = diagnostics.find((d) => d.code === 'unknown-event')!;
    assert.deepEqual(unknown.range, { start: positionOf(text, '"Sign Upp"'), end: positionOf(text, '"Sign Upp"', '"Sign Upp"'.length) });
    assert.equal(unknown.severity, 1);
    assert.match(messageOf(unknown), /Sign Up/);
    assert.equal(diagnostics.filter((d) => d.severity === 1).length, 1, JSON.stringify(diagnostics));
  });

  it('lints event files to send against the schema, and offers no aq features in them', async () => {
    const eventsUri = fileUri(join(root, 'signups.events.ndjson'));
    const line = { event: 'Sign Upp', properties: { time: 1_790_000_000, distinct_id: 'u1', $insert_id: 'a1' } };
    await session.open(eventsUri, `${JSON.stringify(line)}\n{ not json\n`, 'json');
    const diagnostics = await session.waitForDiagnostics(eventsUri, hasCode('unknown-event'));
    assert.match(messageOf(diagnostics.find((d) => d.code === 'unknown-event')!), /Sign Up/);
    const syntax = diagnostics.find((d) => d.code === 'json-syntax');
    assert.equal(syntax?.range.start.line, 1, JSON.stringify(diagnostics));
    const symbols = await session.connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri: eventsUri } });
    assert.deepEqual(symbols, []);
  });

  it('offers the did-you-mean as a quick fix whose edit corrects the text', async () => {
    const diagnostics = await session.waitForDiagnostics(uri, hasCode('unknown-event'));
    const unknown = diagnostics.find((d) => d.code === 'unknown-event')!;
    const actions = (await session.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri },
      range: unknown.range,
      context: { diagnostics: [unknown] },
    })) as CodeAction[];
    const fix = actions.find((action) => action.title.includes('"Sign Up"'));
    assert.ok(fix, JSON.stringify(actions));
    assert.equal(fix.kind, 'quickfix');
    const fixed = applyEdits(text, fix.edit!.changes![uri] as TextEdit[]);
    assert.match(fixed, /segmentation "Sign Up"\n/);
  });

  it('completes event names inside a head string, replacing the partial name', async () => {
    const at = positionOf(text, 'Sign Upp', 2);
    const list = (await session.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position: at })) as CompletionList;
    const labels = list.items.map((item) => item.label);
    assert.ok(labels.includes('Purchase') && labels.includes('Sign Up'), labels.join(', '));
    const purchase = list.items.find((item) => item.label === 'Purchase') as CompletionItem;
    const edited = applyCompletion(text, list, purchase);
    assert.match(edited, /^segmentation "Purchase"$/m);
    const hidden = list.items.find((item) => item.label === 'Old Checkout');
    assert.deepEqual(hidden?.tags, [1]);
  });

  it('completes properties of the query event inside properties["', async () => {
    const at = positionOf(text, 'properties["price"]', 'properties["'.length);
    const list = (await session.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position: at })) as CompletionList;
    const labels = list.items.map((item) => item.label);
    assert.ok(labels.includes('price') && labels.includes('plan'), labels.join(', '));
    assert.ok(!labels.includes('State'), 'a property of another event was offered');
  });

  it('explains an event on hover', async () => {
    const hover = (await session.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'Purchase', 2) })) as Hover;
    assert.match((hover.contents as MarkupContent).value, /An order was paid/);
    assert.deepEqual(hover.range?.start.line, positionOf(text, 'Purchase').line);
  });

  it('lists one symbol per query, named by its title, and folds each query', async () => {
    const symbols = (await session.connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } })) as DocumentSymbol[];
    assert.deepEqual(
      symbols.map((s) => s.name),
      ['Sign-ups by plan', 'Buyers'],
    );
    assert.equal(symbols[1].range.start.line, 7);
    const folds = (await session.connection.sendRequest('textDocument/foldingRange', { textDocument: { uri } })) as FoldingRange[];
    const queryFolds = folds.map((f) => [f.startLine, f.endLine]);
    assert.ok(
      queryFolds.some(([start, end]) => start === 2 && end === 5),
      JSON.stringify(queryFolds),
    );
    assert.ok(
      queryFolds.some(([start, end]) => start === 7 && end === 10),
      JSON.stringify(queryFolds),
    );
  });

  it('colours event names with semantic tokens', async () => {
    const tokens = (await session.connection.sendRequest('textDocument/semanticTokens/full', { textDocument: { uri } })) as SemanticTokens;
    const legend = session.initializeResult.capabilities.semanticTokensProvider!.legend.tokenTypes;
    assert.equal(tokens.data.length % 5, 0);
    let line = 0;
    let character = 0;
    const decoded: Array<{ line: number; character: number; type: string }> = [];
    for (let i = 0; i < tokens.data.length; i += 5) {
      line += tokens.data[i];
      character = tokens.data[i] === 0 ? character + tokens.data[i + 1] : tokens.data[i + 1];
      decoded.push({ line, character, type: legend[tokens.data[i + 3]] });
    }
    const purchase = positionOf(text, '"Purchase"');
    assert.ok(
      decoded.some((t) => t.type === 'event' && t.line === purchase.line),
      JSON.stringify(decoded),
    );
    assert.ok(decoded.some((t) => t.type === 'keyword' && t.line === purchase.line && t.character === 0));
  });

  it('re-lints after an incremental change', async () => {
    const start = positionOf(text, 'Sign Upp', 'Sign Up'.length);
    text = text.replace('Sign Upp', 'Sign Up');
    await session.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start, end: { line: start.line, character: start.character + 1 } }, text: '' }],
    });
    const diagnostics = await session.waitForDiagnostics(uri, (d) => !hasCode('unknown-event')(d));
    assert.deepEqual(
      diagnostics.filter((d) => d.severity === 1),
      [],
    );

    const insertAt = positionOf(text, '  last 7 days');
    text = text.replace('  last 7 days', '  limit 5000000\n  last 7 days');
    await session.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 3 },
      contentChanges: [{ range: { start: insertAt, end: insertAt }, text: '  limit 5000000\n' }],
    });
    const updated = await session.waitForDiagnostics(uri, hasCode('out-of-range'));
    assert.equal(updated.find((d) => d.code === 'out-of-range')!.range.start.line, insertAt.line);
  });

  it('offers to add the missing date range as a clause line', async () => {
    const undatedUri = fileUri(join(root, 'undated.aq'));
    const undated = 'use mixpanel "shop"\n### Buyers\nsegmentation "Purchase"\n  on properties["plan"]\n';
    await session.open(undatedUri, undated);
    const diagnostics = await session.waitForDiagnostics(undatedUri, hasCode('missing-date-range'));
    const missing = diagnostics.find((d) => d.code === 'missing-date-range')!;
    const actions = (await session.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri: undatedUri },
      range: missing.range,
      context: { diagnostics: [missing] },
    })) as CodeAction[];
    assert.equal(actions.length, 1);
    assert.equal(
      applyEdits(undated, actions[0].edit!.changes![undatedUri] as TextEdit[]),
      'use mixpanel "shop"\n### Buyers\nsegmentation "Purchase"\n  on properties["plan"]\n  last 30 days\n',
    );
  });

  it('offers no code actions for diagnostics of other tools or other kinds of action', async () => {
    const diagnostics = await session.waitForDiagnostics(uri);
    const foreign = {
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 3 } },
      message: 'x',
      source: 'other',
      data: { fixes: [{ title: 'evil', edits: [] }] },
    };
    assert.deepEqual(
      await session.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: foreign.range, context: { diagnostics: [foreign] } }),
      [],
    );
    assert.deepEqual(
      await session.connection.sendRequest('textDocument/codeAction', {
        textDocument: { uri },
        range: foreign.range,
        context: { diagnostics, only: ['source.organizeImports'] },
      }),
      [],
    );
  });

  it('clears the diagnostics of a closed document', async () => {
    const closingUri = fileUri(join(root, 'closing.aq'));
    await session.open(closingUri, 'segmentation "Nope"\n');
    await session.waitForDiagnostics(closingUri, (d) => d.length > 0);
    await session.connection.sendNotification('textDocument/didClose', { textDocument: { uri: closingUri } });
    assert.deepEqual(await session.waitForDiagnostics(closingUri, (d) => d.length === 0), []);
  });

  it('checks .jql files against the default source schema', async () => {
    const jqlUri = fileUri(join(root, 'script.jql'));
    await session.open(
      jqlUri,
      'function main() {\n  return Events({ from_date: "2026-01-01", to_date: "2026-01-31", event_selectors: [{ event: "Purchse" }] });\n}\n',
    );
    const diagnostics = await session.waitForDiagnostics(jqlUri, hasCode('unknown-event'));
    assert.match(messageOf(diagnostics.find((d) => d.code === 'unknown-event')!), /Purchase/);
    const list = (await session.connection.sendRequest('textDocument/completion', {
      textDocument: { uri: jqlUri },
      position: { line: 1, character: 'return Events({ from_date: "2026-01-01", to_date: "2026-01-31", event_selectors: [{ event: "Pu'.length + 2 },
    })) as CompletionList;
    assert.ok(
      list.items.some((item) => item.label === 'Purchase'),
      list.items.map((item) => item.label).join(', '),
    );
    const folds = await session.connection.sendRequest('textDocument/foldingRange', { textDocument: { uri: jqlUri } });
    assert.equal(folds, null, "jql files keep the editor's own folding");
  });

  it('survives garbage text and requests at every kind of position, and still answers', async () => {
    const garbageUri = fileUri(join(root, 'garbage.aq'));
    const garbage =
      '### \u0000\u{1F600}\nsegmentation "\n  where ((((properties["\n\tfunnel -> -> id id\n  from 2026-13-45 to\r\n""""\\\n use local\n' + '['.repeat(2000);
    await session.open(garbageUri, garbage);
    await session.waitForDiagnostics(garbageUri);
    const lines = garbage.split('\n');
    for (let line = 0; line < lines.length; line++) {
      for (const character of [0, 1, 5, lines[line].length]) {
        const position = { line, character };
        await session.connection.sendRequest('textDocument/completion', { textDocument: { uri: garbageUri }, position });
        await session.connection.sendRequest('textDocument/hover', { textDocument: { uri: garbageUri }, position });
      }
    }
    await session.connection.sendRequest('textDocument/semanticTokens/full', { textDocument: { uri: garbageUri } });
    await session.connection.sendRequest('textDocument/foldingRange', { textDocument: { uri: garbageUri } });
    // Requests for documents the server never saw, and a nonsense position.
    await session.connection.sendRequest('textDocument/completion', {
      textDocument: { uri: fileUri(join(root, 'never-opened.aq')) },
      position: { line: 0, character: 0 },
    });
    await session.connection.sendRequest('textDocument/hover', { textDocument: { uri: garbageUri }, position: { line: 9999, character: 9999 } });
    const symbols = (await session.connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } })) as DocumentSymbol[];
    assert.equal(symbols.length, 2);
    assert.equal(session.child.exitCode, null);
  });

  it('answers aq/listSources with the configured sources', async () => {
    const sources = (await session.connection.sendRequest('aq/listSources', {})) as Array<{
      name: string;
      kind: string;
      isDefault: boolean;
      schemaLabel?: string;
    }>;
    assert.equal(sources.length, 1);
    assert.equal(sources[0].name, 'shop');
    assert.equal(sources[0].isDefault, true);
    assert.match(sources[0].schemaLabel ?? '', /schema\.json$/);
  });

  it('refuses to run a query that cannot become a request, with a badRequest error', async () => {
    const brokenUri = fileUri(join(root, 'broken.aq'));
    await session.open(brokenUri, 'use mixpanel "shop"\n### No dates\nsegmentation "Purchase"\n');
    await assert.rejects(
      session.connection.sendRequest('aq/runQuery', { uri: brokenUri, queryIndex: 0 }),
      (error: { code: number; data: { kind: string } }) => {
        assert.equal(error.code, -32900);
        assert.equal(error.data.kind, 'badRequest');
        return true;
      },
    );
    await assert.rejects(
      session.connection.sendRequest('aq/runQuery', { uri: brokenUri, queryIndex: 7 }),
      (error: { data: { kind: string } }) => error.data.kind === 'badRequest',
    );
  });

  it('asks the editor for credentials before a remote query and reports the auth failure per source', async () => {
    const runUri = fileUri(join(root, 'run.aq'));
    await session.open(runUri, QUERIES.replace('Sign Upp', 'Sign Up'));
    const result = session.connection.sendRequest('aq/runQuery', { uri: runUri, queryIndex: 1 });
    await assert.rejects(result, (error: { code: number; message: string; data: { kind: string; sourceName: string; sourceKind: string } }) => {
      assert.equal(error.code, -32900);
      assert.equal(error.data.kind, 'auth');
      assert.equal(error.data.sourceName, 'shop');
      assert.equal(error.data.sourceKind, 'mixpanel');
      return true;
    });
    assert.deepEqual(session.credentialRequests.at(-1), {
      sourceName: 'shop',
      sourceKind: 'mixpanel',
      host: fakeHost,
      url: `http://${fakeHost}`,
      fromUserOverride: true,
    });
  });

  it('exports a result as CSV and JSON', async () => {
    const queryResult = {
      title: 'Buyers',
      queryKind: 'segmentation',
      source: { kind: 'mixpanel', name: 'shop' },
      cleaned: false,
      data: { kind: 'series', unit: 'day', dates: ['2026-10-01', '2026-10-02'], series: [{ segment: null, values: [3, 4], total: 7 }], measure: 'general' },
      meta: { computedAt: '2026-10-03T00:00:00.000Z', durationMs: 5, rowCount: 2, seriesCount: 1 },
    };
    const csv = (await session.connection.sendRequest('aq/exportResult', { result: queryResult, format: 'csv' })) as { text: string };
    assert.match(csv.text, /2026-10-01/);
    assert.match(csv.text, /\b3\b/);
    const json = (await session.connection.sendRequest('aq/exportResult', { result: queryResult, format: 'json' })) as { text: string };
    assert.deepEqual(JSON.parse(json.text), queryResult);
  });

  it("exports with the panel's clean toggle: noise segments are left out", async () => {
    const segmented = {
      title: 'By browser',
      queryKind: 'segmentation',
      source: { kind: 'local', name: 'sample' },
      cleaned: false,
      data: {
        kind: 'series',
        unit: 'day',
        dates: ['2026-10-01'],
        measure: 'general',
        series: [
          { segment: 'Chrome', values: [5], total: 5 },
          { segment: 'undefined', values: [2], total: 2 },
          { segment: '', values: [1], total: 1 },
        ],
      },
      meta: { computedAt: '2026-10-03T00:00:00.000Z', durationMs: 5, rowCount: 1, seriesCount: 3, warnings: [] },
    };
    const raw = (await session.connection.sendRequest('aq/exportResult', { result: segmented, format: 'csv' })) as { text: string };
    assert.match(raw.text.split(/\r?\n/)[0], /undefined/);
    const clean = (await session.connection.sendRequest('aq/exportResult', { result: segmented, format: 'csv', clean: true })) as { text: string };
    assert.equal(clean.text.split(/\r?\n/)[0].includes('undefined'), false, clean.text);
    assert.match(clean.text, /Chrome/);
  });
});

describe('language server over stdio (pull diagnostics, settings)', () => {
  let session: LspSession;
  let root: string;

  before(async () => {
    root = shopWorkspace();
    session = await startSession({
      rootDir: root,
      pull: true,
      settings: { sources: { extra: { kind: 'mixpanel', projectId: 2, region: 'EU', schemaFile: 'schema.json' } } },
    });
  });
  after(async () => {
    await session?.close();
  });

  it('serves diagnostics on request when the client pulls them', async () => {
    assert.deepEqual(session.initializeResult.capabilities.diagnosticProvider, { interFileDependencies: false, workspaceDiagnostics: false });
    const uri = fileUri(join(root, 'pulled.aq'));
    await session.open(uri, 'use mixpanel "extra"\n### Q\nsegmentation "Purchse"\n  last 7 days\n');
    const items = await session.pullDiagnostics(uri, hasCode('unknown-event'));
    assert.match(messageOf(items.find((d) => d.code === 'unknown-event')!), /Purchase/);
  });

  it('completes with the list-level edit range the client accepts', async () => {
    const uri = fileUri(join(root, 'complete.aq'));
    const text = 'use mixpanel "shop"\n### Q\nsegmentation "Pur"\n  last 7 days\n';
    await session.open(uri, text);
    const list = (await session.connection.sendRequest('textDocument/completion', {
      textDocument: { uri },
      position: positionOf(text, 'Pur"', 3),
    })) as CompletionList;
    const purchase = list.items.find((item) => item.label === 'Purchase');
    assert.ok(purchase, list.items.map((item) => item.label).join(', '));
    assert.equal(applyCompletion(text, list, purchase), text.replace('"Pur"', '"Purchase"'));
  });

  it('sends completion documentation only when the editor resolves the item', async () => {
    const uri = fileUri(join(root, 'resolve.aq'));
    const text = 'use mixpanel "shop"\n### Q\nsegmentation "Pur"\n  last 7 days\n';
    await session.open(uri, text);
    const list = (await session.connection.sendRequest('textDocument/completion', {
      textDocument: { uri },
      position: positionOf(text, 'Pur"', 3),
    })) as CompletionList;
    const purchase = list.items.find((item) => item.label === 'Purchase');
    assert.ok(purchase, list.items.map((item) => item.label).join(', '));
    assert.equal(purchase.documentation, undefined);
    const resolved = (await session.connection.sendRequest('completionItem/resolve', purchase)) as CompletionItem;
    assert.match((resolved.documentation as MarkupContent).value, /An order was paid/);
    assert.equal(applyCompletion(text, list, resolved), text.replace('"Pur"', '"Purchase"'));
  });

  it('adds the sources from the aq.sources setting to those of aq.json', async () => {
    const sources = (await session.connection.sendRequest('aq/listSources', {})) as Array<{ name: string }>;
    assert.deepEqual(sources.map((s) => s.name).sort(), ['extra', 'shop']);
  });

  it('reloads aq.json when the editor reports it changed', async () => {
    const config = JSON.parse(readFileSync(join(root, 'aq.json'), 'utf8')) as { sources: Record<string, unknown> };
    config.sources.site = { kind: 'piwik', url: 'https://example.piwik.pro' };
    writeFileSync(join(root, 'aq.json'), JSON.stringify(config));
    await session.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: fileUri(join(root, 'aq.json')), type: 2 }] });
    const sources = await session.waitForSourceStatus((list) => list.some((source) => source.name === 'site'));
    assert.deepEqual(sources.map((s) => s.name).sort(), ['extra', 'shop', 'site']);
  });
});

describe('language server in an untrusted workspace', () => {
  let session: LspSession;
  let root: string;

  before(async () => {
    root = shopWorkspace();
    session = await startSession({ rootDir: root, initializationOptions: { trusted: false } });
  });
  after(async () => {
    await session?.close();
  });

  it('still lints, and reports the schema it loaded in aq/sourceStatus', async () => {
    const uri = fileUri(join(root, 'q.aq'));
    await session.open(uri, 'use mixpanel "shop"\n### Q\nsegmentation "Purchse"\n  last 7 days\n');
    await session.waitForDiagnostics(uri, hasCode('unknown-event'));
    const sources = await session.waitForSourceStatus((list) => list.some((s) => s.name === 'shop' && s.schemaFetchedAt !== undefined));
    assert.match(sources[0].schemaLabel ?? '', /schema\.json$/);
  });

  it('refuses remote queries without asking for credentials', async () => {
    const uri = fileUri(join(root, 'run.aq'));
    await session.open(uri, 'use mixpanel "shop"\n### Q\nsegmentation "Purchase"\n  last 7 days\n');
    await assert.rejects(
      session.connection.sendRequest('aq/runQuery', { uri, queryIndex: 0 }),
      (error: { code: number; message: string; data: { kind: string } }) => {
        assert.equal(error.code, -32900);
        assert.equal(error.data.kind, 'config');
        assert.match(error.message, /Restricted Mode/);
        return true;
      },
    );
    assert.deepEqual(session.credentialRequests, []);
  });
});

describe('language server over node IPC', () => {
  it('speaks LSP over --node-ipc as the VS Code client starts it', async () => {
    ensureBuilt();
    const root = shopWorkspace();
    const child = spawn(process.execPath, [join(DIST_DIR, 'server.js'), '--node-ipc'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const connection = createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => params.items.map(() => ({})));
    connection.listen();
    try {
      const result = (await connection.sendRequest('initialize', { processId: process.pid, rootUri: fileUri(root), capabilities: {} })) as {
        capabilities: { hoverProvider?: boolean };
      };
      assert.equal(result.capabilities.hoverProvider, true);
      await connection.sendNotification('initialized', {});
      const uri = fileUri(join(root, 'q.aq'));
      await connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId: 'aq', version: 1, text: '### One\nsegmentation "Purchase"\n  last 7 days\n' },
      });
      const symbols = (await connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } })) as DocumentSymbol[];
      assert.deepEqual(
        symbols.map((symbol) => symbol.name),
        ['One'],
      );
      await connection.sendRequest('shutdown');
      await connection.sendNotification('exit');
    } finally {
      connection.dispose();
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});

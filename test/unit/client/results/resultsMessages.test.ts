import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { buildResultsHtml } from '../../../../client/src/results/resultsHtml';
import { parseHostMessage, parseWebviewMessage } from '../../../../client/src/results/resultsMessages';

test('well-formed webview messages are accepted with only their known fields', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'export', format: 'cyfe-csv', clean: true, extra: 'x' }), { type: 'export', format: 'cyfe-csv', clean: true });
  assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseWebviewMessage({ type: 'copy', text: 'a\tb' }), { type: 'copy', text: 'a\tb' });
  assert.deepEqual(parseWebviewMessage({ type: 'savePng', dataUrl: 'data:image/png;base64,iVBORw0KGgo=' }), {
    type: 'savePng',
    dataUrl: 'data:image/png;base64,iVBORw0KGgo=',
  });
});

test('malformed or unknown webview messages are refused', () => {
  for (const message of [
    null,
    'ready',
    [],
    { type: 'runCommand', command: 'workbench.action.terminal.new' },
    { type: 'export', format: '../../etc/passwd', clean: false },
    { type: 'export', format: 'csv' },
    { type: 'export', format: 'csv', clean: 'yes' },
    { type: 'savePng', dataUrl: 'data:text/html;base64,PHNjcmlwdD4=' },
    { type: 'savePng', dataUrl: 'data:image/png;base64,abc"><script>' },
    { type: 'copy', text: 42 },
  ]) {
    assert.equal(parseWebviewMessage(message), undefined, JSON.stringify(message));
  }
});

test('the webview only accepts host messages of the known shapes', () => {
  assert.equal(parseHostMessage({ type: 'showResult', result: { title: 'x' } }), undefined);
  assert.equal(parseHostMessage({ type: 'showResult', result: { title: 'x', data: { kind: 'evil' }, meta: {} } }), undefined);
  assert.deepEqual(parseHostMessage({ type: 'running', title: 'Q' }), { type: 'running', title: 'Q' });
});

test('the page CSP allows only the nonce script and the bundle origin; the title is escaped', () => {
  const html = buildResultsHtml({
    cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
    scriptUri: 'https://x/resultsApp.js',
    styleUri: 'https://x/resultsApp.css',
    nonce: 'abc123',
    title: '</title><script>alert(1)</script>',
  });
  const csp = /content="([^"]*)"/.exec(html)?.[1] ?? '';
  assert.equal(
    csp,
    "default-src 'none'; script-src 'nonce-abc123'; style-src https://file+.vscode-resource.vscode-cdn.net 'nonce-abc123'; font-src https://file+.vscode-resource.vscode-cdn.net; img-src data:",
  );
  assert.ok(!html.includes('<script>alert'));
  assert.ok(html.includes('&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.equal(html.match(/<script/g)?.length, 1);
});

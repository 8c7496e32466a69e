// The VSIX content check that guards packaging: what must be in the package and what must not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findVsixProblems } from './packageVsix';

const COMPLETE = ['package.json', 'LICENSE', 'dist/server.js', 'dist/client.js', 'dist/jqlWorker.js', 'dist/webview/resultsApp.js', 'syntaxes/aq.tmLanguage.json', 'examples/shop.aq'];

test('a complete VSIX has no problems', () => {
  assert.deepEqual(findVsixProblems(COMPLETE), []);
});

test('missing bundles, webview or grammar are each reported', () => {
  const problems = findVsixProblems(['package.json', 'dist/server.js']);
  assert.deepEqual(problems, ['missing dist/client.js', 'missing dist/webview/*', 'missing syntaxes/*']);
});

test('sources, tests and node_modules leaking into the VSIX are reported', () => {
  const problems = findVsixProblems([...COMPLETE, 'node_modules/undici/index.js', 'server/src/serverMain.ts', 'test/e2e/driver.ts']);
  assert.equal(problems.length, 3);
  assert.match(problems[0], /node_modules\/undici\/index\.js/);
  assert.match(problems[1], /server\/src\/serverMain\.ts/);
  assert.match(problems[2], /test\/e2e\/driver\.ts/);
});

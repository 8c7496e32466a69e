// The layering rules of docs/architecture (style-anchors §3.2), checked on every import so a
// shortcut across layers fails the build instead of slowly eroding the design.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  const full = join(root, dir);
  const files: string[] = [];
  for (const entry of readdirSync(full)) {
    const path = join(full, entry);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(relative(root, path)));
    else if (entry.endsWith('.ts')) files.push(relative(root, path));
  }
  return files;
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specifiers: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    specifiers.push(match[1] ?? match[2] ?? match[3]);
  }
  return specifiers;
}

/** Resolves a relative import to a repository path so folder rules can be checked. */
function target(file: string, specifier: string): string {
  return specifier.startsWith('.') ? relative(root, resolve(join(root, file, '..'), specifier)) : specifier;
}

function violations(dir: string, isForbidden: (importTarget: string) => boolean): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(dir)) {
    for (const specifier of importsOf(file)) {
      const where = target(file, specifier);
      if (isForbidden(where)) found.push(`${file} imports ${specifier}`);
    }
  }
  return found;
}

test('the language core is pure: no LSP, editor, network, file system or engine imports', () => {
  const forbidden = /^(vscode|vscode-languageserver.*|vscode-jsonrpc|undici|node:(fs|net|http|https|child_process|worker_threads)|fs|net|child_process)(\/|$)|^server\/src\/(lsp|queryEngine|protocol|cli)\//;
  assert.deepEqual(violations('server/src/languageService', (t) => forbidden.test(t)), []);
});

test('only httpClient.ts imports undici', () => {
  const found: string[] = [];
  for (const dir of ['server/src', 'client/src']) {
    for (const file of sourceFiles(dir)) {
      if (file === 'server/src/queryEngine/httpClient.ts') continue;
      if (importsOf(file).some((s) => s === 'undici' || s.startsWith('undici/'))) found.push(file);
    }
  }
  assert.deepEqual(found, []);
});

test('the query engine knows nothing of LSP or the editor', () => {
  assert.deepEqual(violations('server/src/queryEngine', (t) => /^(vscode|vscode-languageserver.*|vscode-jsonrpc)(\/|$)/.test(t)), []);
});

test('no server code imports vscode', () => {
  assert.deepEqual(violations('server/src', (t) => /^vscode(\/|$)/.test(t)), []);
});

test('the client reaches the server only through the shared protocol (and pure result transforms in the webview)', () => {
  const found = violations('client/src', (t) => t.startsWith('server/') && !t.startsWith('server/src/protocol/') && !t.startsWith('server/src/results/'));
  assert.deepEqual(found, []);
  const extensionHost = violations('client/src', (t) => t.startsWith('server/src/results/')).filter((v) => !v.startsWith('client/src/results/webview/'));
  assert.deepEqual(extensionHost, [], 'outside the webview the client uses the server for exports');
});

test('pure result transforms have no I/O', () => {
  assert.deepEqual(violations('server/src/results', (t) => /^(node:|fs|vscode|undici)|^server\/src\/(queryEngine|lsp|cli)\//.test(t)), []);
});

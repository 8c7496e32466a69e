// The layering rules of docs/architecture.md, checked on every import so a shortcut across
// layers fails the build instead of slowly eroding the design.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
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
  for (const match of text.matchAll(
    /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g,
  )) {
    specifiers.push(match[1] ?? match[2] ?? match[3]);
  }
  return specifiers;
}

/** Resolves a relative import to a repository path so folder rules can be checked. */
function target(file: string, specifier: string): string {
  return specifier.startsWith('.') ? relative(root, resolve(join(root, file, '..'), specifier)) : specifier;
}

/** `server/src/x` → `server/src/x.ts` (or its index.ts) when that file exists. */
function withExtension(path: string): string {
  if (existsSync(join(root, `${path}.ts`))) return `${path}.ts`;
  if (existsSync(join(root, path, 'index.ts'))) return join(path, 'index.ts');
  return path;
}

/** The strongly connected components with more than one file (Tarjan), each as a sorted list. */
function cyclesOf(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
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

/**
 * The modules of the code base, most specific path first. A file belongs to the first module whose
 * pattern matches its path.
 */
const MODULES: Array<[name: string, path: RegExp]> = [
  ['syntax', /^server\/src\/languageService\/(parser\/|clauseCatalog\.ts$|nameMatching\.ts$)/],
  ['contract', /^server\/src\/queryContract\//],
  ['languageCore', /^server\/src\/languageService\//],
  ['protocol', /^server\/src\/protocol\//],
  ['results', /^server\/src\/results\//],
  ['sample', /^server\/src\/sample\//],
  ['queryEngine', /^server\/src\/queryEngine\//],
  // Before workflows: checking expectations only runs queries, so the read-only hosts may use it.
  ['expectations', /^server\/src\/workflows\/expectations\//],
  ['workflows', /^server\/src\/workflows\//],
  ['lsp', /^server\/src\/(lsp\/|startServer\.ts$|serverMain\.ts$)/],
  ['mcp', /^server\/src\/mcp\//],
  ['cli', /^server\/src\/cli\//],
  ['client', /^client\/src\//],
];

/**
 * Which module may import which (besides itself). The language's syntax and the core↔engine
 * contract are at the bottom; the hosts (LSP server, CLI) at the top; the client reaches the
 * server only through the protocol (and, in the webview, the pure result transforms).
 */
const ALLOWED_IMPORTS: Record<string, readonly string[]> = {
  syntax: [],
  contract: ['syntax'],
  languageCore: ['syntax', 'contract'],
  protocol: ['syntax'],
  results: ['protocol'],
  sample: [],
  queryEngine: ['syntax', 'contract', 'protocol', 'results', 'sample'],
  expectations: ['syntax', 'contract', 'languageCore', 'protocol', 'results', 'queryEngine'],
  workflows: ['syntax', 'contract', 'languageCore', 'protocol', 'results', 'queryEngine', 'expectations'],
  lsp: ['syntax', 'contract', 'languageCore', 'protocol', 'results', 'queryEngine', 'workflows', 'expectations'],
  // The MCP server is a host like the CLI, but read-only: it reaches no workflow that writes or sends
  // (send, watch, pull), only the expectation checks, which run queries.
  mcp: ['syntax', 'contract', 'languageCore', 'protocol', 'results', 'queryEngine', 'expectations'],
  cli: ['syntax', 'contract', 'languageCore', 'protocol', 'results', 'queryEngine', 'workflows', 'expectations', 'mcp'],
  client: ['protocol', 'results'],
};

function moduleOf(path: string): string | undefined {
  return MODULES.find(([, pattern]) => pattern.test(path))?.[0];
}

test('every module imports only the modules the table allows', () => {
  const found: string[] = [];
  for (const dir of ['server/src', 'client/src']) {
    for (const file of sourceFiles(dir)) {
      const from = moduleOf(file);
      assert.ok(from, `${file} belongs to no module of the table`);
      for (const specifier of importsOf(file)) {
        if (!specifier.startsWith('.')) continue;
        const to = moduleOf(withExtension(target(file, specifier)));
        if (!to || to === from || ALLOWED_IMPORTS[from].includes(to)) continue;
        found.push(`${file} (${from}) imports ${specifier} (${to})`);
      }
    }
  }
  assert.deepEqual(found, []);
});

test('language features never import another feature (what they share lives beside them in languageService/)', () => {
  const isFeature = (path: string) => /^server\/src\/languageService\/(features|jql)\//.test(path);
  const found: string[] = [];
  for (const dir of ['server/src/languageService/features', 'server/src/languageService/jql']) {
    for (const file of sourceFiles(dir)) {
      for (const specifier of importsOf(file)) {
        if (isFeature(target(file, specifier))) found.push(`${file} imports ${specifier}`);
      }
    }
  }
  assert.deepEqual(found, []);
});

test('no import cycles, type-only imports included', () => {
  const graph = new Map<string, string[]>();
  for (const dir of ['server/src', 'client/src']) {
    for (const file of sourceFiles(dir)) {
      graph.set(
        file,
        importsOf(file)
          .filter((s) => s.startsWith('.'))
          .map((s) => withExtension(target(file, s))),
      );
    }
  }
  assert.deepEqual(cyclesOf(graph), []);
});

test('the language core and the contract are pure: no LSP, editor, network, file system or engine imports', () => {
  const forbidden =
    /^(vscode|vscode-languageserver.*|vscode-jsonrpc|undici|node:(fs|net|http|https|child_process|worker_threads)|fs|net|child_process)(\/|$)|^server\/src\/(lsp|queryEngine|protocol|cli|workflows)\//;
  assert.deepEqual(
    violations('server/src/languageService', (t) => forbidden.test(t)),
    [],
  );
  assert.deepEqual(
    violations('server/src/queryContract', (t) => forbidden.test(t)),
    [],
  );
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
  assert.deepEqual(
    violations('server/src/queryEngine', (t) => /^(vscode|vscode-languageserver.*|vscode-jsonrpc)(\/|$)/.test(t)),
    [],
  );
});

test('no server code imports vscode', () => {
  assert.deepEqual(
    violations('server/src', (t) => /^vscode(\/|$)/.test(t)),
    [],
  );
});

test('the client reaches the server only through the shared protocol (and pure result transforms in the webview)', () => {
  const found = violations('client/src', (t) => t.startsWith('server/') && !t.startsWith('server/src/protocol/') && !t.startsWith('server/src/results/'));
  assert.deepEqual(found, []);
  const extensionHost = violations('client/src', (t) => t.startsWith('server/src/results/')).filter((v) => !v.startsWith('client/src/results/webview/'));
  assert.deepEqual(extensionHost, [], 'outside the webview the client uses the server for exports');
});

test('pure result transforms have no I/O', () => {
  assert.deepEqual(
    violations('server/src/results', (t) => /^(node:|fs|vscode|undici)|^server\/src\/(queryEngine|lsp|cli)\//.test(t)),
    [],
  );
});

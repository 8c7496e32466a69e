/**
 * Drives the BUILT language server (dist/server.js) over real LSP on its stdio, as an editor
 * would: the tests see exactly what VS Code sees, including serialisation and capabilities.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type ProtocolConnection } from 'vscode-languageserver-protocol/node';
import type { CompletionItem, CompletionList, Diagnostic, InitializeResult, PublishDiagnosticsParams, Range, TextEdit } from 'vscode-languageserver-protocol';

/** A diagnostic's message as text (LSP 3.18 allows markup content there). */
export function messageOf(diagnostic: Diagnostic): string {
  return typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value;
}

export const REPO_ROOT = resolve(__dirname, '..', '..');
/** Where the bundles are; AQ_DIST_DIR points the tests at another build (e.g. a packaged one). */
export const DIST_DIR = process.env.AQ_DIST_DIR ? resolve(process.env.AQ_DIST_DIR) : join(REPO_ROOT, 'dist');

function newestSourceTime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceTime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds the bundles when dist/ is missing or older than the sources (`npm test` builds first). */
export function ensureBuilt(): void {
  if (process.env.AQ_DIST_DIR) return;
  const outputs = ['dist/server.js', 'dist/cli.js'].map((file) => join(REPO_ROOT, file));
  const newestSource = Math.max(newestSourceTime(join(REPO_ROOT, 'server', 'src')), statSync(join(REPO_ROOT, 'package.json')).mtimeMs);
  const stale = outputs.some((file) => {
    try {
      return statSync(file).mtimeMs < newestSource;
    } catch {
      return true;
    }
  });
  if (!stale) return;
  const build = spawnSync(process.execPath, [join(REPO_ROOT, 'esbuild.mjs')], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`the build failed:\n${build.stdout}\n${build.stderr}`);
}

/** Writes files into a fresh temporary folder and returns its path. */
export function writeWorkspace(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'aq-lsp-'));
  for (const [name, content] of Object.entries(files)) {
    const path = join(root, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return root;
}

export function fileUri(path: string): string {
  return pathToFileURL(path).href;
}

/** A Lexicon Schemas API body for a small online shop (the shape docs/api-notes.md describes). */
export function shopLexicon(): unknown {
  const property = (type: string, description: string, extra: Record<string, unknown> = {}) => ({ type, description, ...extra });
  const event = (name: string, description: string, properties: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({
    entityType: 'event',
    name,
    schemaJson: { description, properties, metadata: { 'com.mixpanel': metadata } },
  });
  return {
    status: 'ok',
    results: [
      event('Sign Up', 'A visitor created an account.', {
        plan: property('string', 'Chosen plan', { examples: ['free', 'premium', 'team'] }),
        $browser: property('string', 'Browser'),
        utm_source: property('string', 'Campaign source'),
      }),
      event('Purchase', 'An order was paid.', {
        price: property('number', 'Order total in EUR'),
        plan: property('string', 'Plan', { examples: ['free', 'premium'] }),
      }),
      event('Landed on Homepage', 'First page view.', { State: property('string', 'US state') }),
      event('Old Checkout', 'The checkout before 2025.', {}, { hidden: true }),
      {
        entityType: 'profile',
        name: '$user',
        schemaJson: { properties: { $email: property('string', 'E-mail address'), plan: property('string', 'Current plan') } },
      },
    ],
  };
}

/** A workspace with aq.json naming the Mixpanel source "shop" and its schema file. */
export function shopWorkspace(extraFiles: Record<string, string> = {}): string {
  return writeWorkspace({
    'aq.json': JSON.stringify({ sources: { shop: { kind: 'mixpanel', projectId: 1, region: 'US', schemaFile: 'schema.json' } }, default: 'shop' }),
    'schema.json': JSON.stringify(shopLexicon()),
    ...extraFiles,
  });
}

export interface SourceStatusLike {
  name: string;
  kind: string;
  isDefault: boolean;
  schemaFetchedAt?: string;
  schemaLabel?: string;
}

export interface SessionOptions {
  rootDir: string;
  /** Advertise pull diagnostics (textDocument/diagnostic); push otherwise. */
  pull?: boolean;
  initializationOptions?: unknown;
  /** The `aq` settings section the fake editor answers workspace/configuration with. */
  settings?: Record<string, unknown>;
  /** How long the fake editor takes to answer workspace/configuration (a busy editor answers late; Infinity: never). */
  settingsDelayMs?: number;
  /** More workspace folders after rootDir (a multi-root workspace); the editor then also announces folder changes. */
  moreFolders?: string[];
}

export interface LspSession {
  connection: ProtocolConnection;
  child: ChildProcess;
  initializeResult: InitializeResult;
  /** Everything the server wrote to stderr and window/logMessage. */
  logs: string[];
  /** Resolves with the next published diagnostics for `uri` that satisfy `accept`. */
  waitForDiagnostics(uri: string, accept?: (diagnostics: Diagnostic[]) => boolean): Promise<Diagnostic[]>;
  /** Pull mode: asks for diagnostics, re-asking after each refresh request until `accept` holds. */
  pullDiagnostics(uri: string, accept?: (diagnostics: Diagnostic[]) => boolean): Promise<Diagnostic[]>;
  /** Resolves with the first `aq/sourceStatus` notification (past or future) that satisfies `accept`. */
  waitForSourceStatus(accept: (sources: SourceStatusLike[]) => boolean): Promise<SourceStatusLike[]>;
  open(uri: string, text: string, languageId?: string): Promise<void>;
  close(): Promise<void>;
  /** Credentials the fake editor returns for `aq/credentials`, and the requests it saw. */
  credentialRequests: unknown[];
}

export async function startSession(options: SessionOptions): Promise<LspSession> {
  ensureBuilt();
  const child = spawn(process.execPath, [join(DIST_DIR, 'server.js'), '--stdio'], {
    cwd: options.rootDir,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, AQ_CACHE_DIR: join(options.rootDir, '.aq-cache') },
  });
  const logs: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));

  const published = new Map<string, PublishDiagnosticsParams[]>();
  const diagnosticWaiters: Array<{ uri: string; accept: (d: Diagnostic[]) => boolean; resolve: (d: Diagnostic[]) => void }> = [];
  const refreshWaiters: Array<() => void> = [];
  const statuses: SourceStatusLike[][] = [];
  const statusWaiters: Array<{ accept: (sources: SourceStatusLike[]) => boolean; resolve: (sources: SourceStatusLike[]) => void }> = [];
  const credentialRequests: unknown[] = [];

  connection.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
    published.set(params.uri, [...(published.get(params.uri) ?? []), params]);
    for (const waiter of [...diagnosticWaiters]) {
      if (waiter.uri === params.uri && waiter.accept(params.diagnostics)) {
        diagnosticWaiters.splice(diagnosticWaiters.indexOf(waiter), 1);
        waiter.resolve(params.diagnostics);
      }
    }
  });
  connection.onNotification('window/logMessage', (params: { message: string }) => {
    logs.push(params.message);
  });
  connection.onNotification('aq/sourceStatus', (params: { sources: SourceStatusLike[] }) => {
    statuses.push(params.sources);
    for (const waiter of [...statusWaiters]) {
      if (waiter.accept(params.sources)) {
        statusWaiters.splice(statusWaiters.indexOf(waiter), 1);
        waiter.resolve(params.sources);
      }
    }
  });
  connection.onRequest('workspace/configuration', async (params: { items: unknown[] }) => {
    if (options.settingsDelayMs === Infinity) await new Promise(() => undefined);
    else if (options.settingsDelayMs) await new Promise((resolve) => setTimeout(resolve, options.settingsDelayMs));
    return params.items.map(() => options.settings ?? {});
  });
  connection.onRequest('client/registerCapability', () => null);
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onRequest('workspace/semanticTokens/refresh', () => null);
  connection.onRequest('workspace/diagnostic/refresh', () => {
    for (const waiter of refreshWaiters.splice(0)) waiter();
    return null;
  });
  connection.onRequest('aq/credentials', (params: unknown) => {
    credentialRequests.push(params);
    return null;
  });
  connection.listen();

  const initializeResult = (await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: fileUri(options.rootDir),
    workspaceFolders: [options.rootDir, ...(options.moreFolders ?? [])].map((dir, index) => ({ uri: fileUri(dir), name: `folder${index}` })),
    initializationOptions: options.initializationOptions,
    capabilities: {
      workspace: {
        configuration: true,
        didChangeConfiguration: { dynamicRegistration: true },
        diagnostics: { refreshSupport: true },
        ...(options.moreFolders ? { workspaceFolders: true } : {}),
      },
      textDocument: {
        synchronization: { dynamicRegistration: false, didSave: true },
        completion: {
          completionItem: { snippetSupport: false, insertReplaceSupport: false },
          ...(options.pull ? { completionList: { itemDefaults: ['editRange'] } } : {}),
        },
        hover: { contentFormat: ['markdown', 'plaintext'] },
        codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } },
        documentSymbol: { hierarchicalDocumentSymbolSupport: true },
        publishDiagnostics: { relatedInformation: false },
        ...(options.pull ? { diagnostic: { dynamicRegistration: false } } : {}),
      },
    },
  })) as InitializeResult;
  await connection.sendNotification('initialized', {});

  async function pullOnce(uri: string): Promise<Diagnostic[]> {
    const report = (await connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as { items: Diagnostic[] };
    return report.items;
  }

  return {
    connection,
    child,
    initializeResult,
    logs,
    credentialRequests,
    waitForDiagnostics(uri, accept = () => true) {
      const latest = published.get(uri)?.at(-1);
      if (latest && accept(latest.diagnostics)) return Promise.resolve(latest.diagnostics);
      return new Promise((resolvePromise) => diagnosticWaiters.push({ uri, accept, resolve: resolvePromise }));
    },
    async pullDiagnostics(uri, accept = () => true) {
      for (;;) {
        const refreshed = new Promise<void>((resolvePromise) => refreshWaiters.push(resolvePromise));
        const items = await pullOnce(uri);
        if (accept(items)) return items;
        await refreshed;
      }
    },
    waitForSourceStatus(accept) {
      const seen = statuses.find(accept);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolvePromise) => statusWaiters.push({ accept, resolve: resolvePromise }));
    },
    async open(uri, text, languageId = uri.endsWith('.jql') ? 'jql' : 'aq') {
      await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    },
    async close() {
      try {
        await connection.sendRequest('shutdown');
        await connection.sendNotification('exit');
      } catch {
        // The server may already be gone; the kill below is the fallback.
      }
      connection.dispose();
      if (child.exitCode === null) {
        await new Promise<void>((resolvePromise) => {
          const timer = setTimeout(() => child.kill(), 2000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolvePromise();
          });
        });
      }
    },
  };
}

/** Applies LSP text edits to a text (edits must not overlap), as an editor does. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const offsetAt = (position: { line: number; character: number }) => {
    let offset = 0;
    for (let line = 0; line < position.line; line++) {
      const next = text.indexOf('\n', offset);
      if (next < 0) return text.length;
      offset = next + 1;
    }
    return Math.min(offset + position.character, text.length);
  };
  const sorted = [...edits].sort((a, b) => offsetAt(b.range.start) - offsetAt(a.range.start));
  let result = text;
  for (const edit of sorted) {
    result = result.slice(0, offsetAt(edit.range.start)) + edit.newText + result.slice(offsetAt(edit.range.end));
  }
  return result;
}

/** The 0-based line/character of the first occurrence of `needle` (plus `delta` characters). */
export function positionOf(text: string, needle: string, delta = 0): { line: number; character: number } {
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`"${needle}" is not in the text`);
  const offset = index + delta;
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

/** Accepts a completion item the way VS Code does: its own edit, else the list's default range. */
export function applyCompletion(text: string, list: CompletionList, item: CompletionItem): string {
  if (item.textEdit && 'range' in item.textEdit) return applyEdits(text, [item.textEdit]);
  const range = list.itemDefaults?.editRange as Range | undefined;
  if (!range || !('start' in range)) throw new Error(`"${item.label}" has no edit and the list no default range`);
  return applyEdits(text, [{ range, newText: item.textEditText ?? item.insertText ?? item.label }]);
}

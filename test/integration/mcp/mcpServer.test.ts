/**
 * `aq mcp` as an agent's MCP client drives it: the SDK's Client over stdio talks to the BUILT CLI
 * (`node dist/cli.js mcp --workspace <copy of examples/>`), with a Mixpanel source pointing at the
 * fake Mixpanel on 127.0.0.1 and its credentials planted in the environment. Every answer and every
 * line of standard error is kept, and none may hold the secret in any form.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { QueryResult } from '../../../server/src/protocol/resultModel';
import { resultToTable } from '../../../server/src/results/resultTable';
import { startFakeMixpanel, type FakeMixpanel } from '../../fake-apis/fakeMixpanel';
import { DIST_DIR, ensureBuilt, REPO_ROOT } from '../../lsp/lspHarness';

const USERNAME = 'mcp.agent.sa';
const SECRET = 'planted-mcp-secret-5f1c2e9a';
const SECRET_FORMS = [SECRET, Buffer.from(`${USERNAME}:${SECRET}`).toString('base64'), encodeURIComponent(SECRET)];

const PROD_QUERIES = `use mixpanel "prod"

### Purchases on Mixpanel
segmentation "Purchase"
  from 2026-10-01 to 2026-10-03
  unit day

### Sign-ups on Mixpanel
segmentation "Sign Up"
  on properties["plan"]
  from 2026-10-01 to 2026-10-02
  unit day
`;

interface LintedDiagnostic {
  code: string;
  severity: string;
  line: number;
  column: number;
  message: string;
  fixes: Array<{ preferred: boolean; edits: Array<{ line: number; column: number; endLine: number; endColumn: number; newText: string }> }>;
}

/** The fields of the tools' structured answers these tests read. */
interface StructuredAnswer {
  sources?: Array<{ name: string; kind: string; isDefault: boolean; credentials: string }>;
  events?: { items: Array<{ name: string }>; nextOffset?: number };
  properties?: { items: Array<{ name: string; type: string; topValues?: string[] }> };
  diagnostics?: LintedDiagnostic[];
  title?: string;
  headline?: string;
  columns?: unknown;
  rows?: unknown[][];
  truncated?: unknown;
  budgetRemaining?: unknown;
  curl?: string;
  expectations?: Array<{ status: string; actual: number | null; expectation: string; message: string }>;
}

interface ToolAnswer {
  content: Array<{ type: string; text: string }>;
  structuredContent?: StructuredAnswer;
  isError?: boolean;
}

let base: string;
let workspace: string;
let fake: FakeMixpanel;
let env: Record<string, string>;
let client: Client;
let stderr = '';
/** What the client could not read as protocol on the server's standard output. */
const protocolErrors: string[] = [];
/** Everything the server said: answers, resources, prompts. */
const transcript: string[] = [];

async function call(name: string, args: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<ToolAnswer> {
  const answer = (await client.callTool({ name, arguments: args }, undefined, options)) as ToolAnswer;
  transcript.push(JSON.stringify(answer));
  return answer;
}

function textOf(answer: ToolAnswer): string {
  return answer.content.map((part) => part.text).join('\n');
}

/** The same query through `aq run --format json`, as a person would run it (asynchronously: the fake Mixpanel lives in this process). */
async function aqRunJson(file: string, query: string): Promise<QueryResult> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(DIST_DIR, 'cli.js'), 'run', file, '--query', query, '--format', 'json'], {
    cwd: workspace,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as QueryResult;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; server said:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

before(async () => {
  ensureBuilt();
  fake = await startFakeMixpanel({ projects: { 77: { region: 'US', serviceAccounts: [{ username: USERNAME, secret: SECRET }] } } });
  base = mkdtempSync(join(tmpdir(), 'aq-mcp-'));
  workspace = join(base, 'workspace');
  cpSync(join(REPO_ROOT, 'examples'), workspace, { recursive: true, filter: (source) => !source.startsWith(join(REPO_ROOT, 'examples', 'data')) });
  const config = JSON.parse(readFileSync(join(workspace, 'aq.json'), 'utf8')) as { sources: Record<string, unknown> };
  config.sources.prod = { kind: 'mixpanel', projectId: 77, region: 'US' };
  writeFileSync(join(workspace, 'aq.json'), JSON.stringify(config, null, 2));
  writeFileSync(join(workspace, 'prod.aq'), PROD_QUERIES);
  writeFileSync(join(base, 'outside.aq'), '### Outside\nsegmentation "Purchase"\n  from 2026-10-01 to 2026-10-03\n');
  writeFileSync(join(base, 'outside.ndjson'), `${JSON.stringify({ event: 'Purchase', properties: { time: 1790000000, distinct_id: 'u1' } })}\n`);
  symlinkSync(join(base, 'outside.aq'), join(workspace, 'linked.aq'));
  env = { AQ_PROD_USERNAME: USERNAME, AQ_PROD_SECRET: SECRET, AQ_PROD_BASE_URL: fake.url, AQ_CACHE_DIR: join(base, 'cache') };

  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(DIST_DIR, 'cli.js'), 'mcp', '--workspace', workspace],
    env: { ...(process.env as Record<string, string>), ...env },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  client = new Client({ name: 'aq-mcp-test', version: '1.0.0' });
  client.onerror = (error) => protocolErrors.push(error.message);
  await client.connect(transport);
});

after(async () => {
  await client?.close();
  await fake?.close();
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('aq mcp over stdio', () => {
  it('lists the read-only tools, the reference resources and the prompt', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(
      tools.map((tool) => tool.name),
      ['list_sources', 'get_schema', 'lint_query', 'run_query', 'explain_query', 'run_tests'],
    );
    for (const tool of tools) {
      assert.equal(tool.inputSchema.type, 'object', tool.name);
      assert.equal(tool.annotations?.readOnlyHint, true, tool.name);
    }
    const runQuery = tools.find((tool) => tool.name === 'run_query')!;
    assert.deepEqual(Object.keys(runQuery.inputSchema.properties ?? {}).sort(), ['file', 'limit', 'query', 'text']);

    const { resources } = await client.listResources();
    assert.deepEqual(
      resources.map((resource) => resource.uri),
      ['aq://docs/language', 'aq://docs/diagnostics'],
    );
    const language = await client.readResource({ uri: 'aq://docs/language' });
    const text = String((language.contents[0] as { text: string }).text);
    assert.equal(text, readFileSync(join(REPO_ROOT, 'docs', 'language.md'), 'utf8'));

    const prompt = await client.getPrompt({ name: 'write_aq_query', arguments: { goal: 'weekly purchases by browser' } });
    const promptText = (prompt.messages[0].content as { text: string }).text;
    transcript.push(promptText);
    assert.match(promptText, /weekly purchases by browser/);
    assert.match(promptText, /Schema of source "sample"/);
    assert.match(promptText, /- "Purchase"/);
  });

  it('lists the sources with whether credentials are present, never their values', async () => {
    const answer = await call('list_sources', {});
    assert.equal(answer.isError, undefined, textOf(answer));
    const sources = answer.structuredContent?.sources ?? [];
    assert.deepEqual(
      sources.map(({ name, kind, isDefault, credentials }) => ({ name, kind, isDefault, credentials })),
      [
        { name: 'sample', kind: 'local', isDefault: true, credentials: 'not needed' },
        { name: 'prod', kind: 'mixpanel', isDefault: false, credentials: 'present' },
      ],
    );
    assert.match(textOf(answer), /prod: mixpanel, credentials: present/);
  });

  it('pages and searches a schema, and shows one event with its properties', async () => {
    const first = await call('get_schema', { limit: 2 });
    assert.equal(first.structuredContent?.events?.items.length, 2);
    assert.equal(first.structuredContent?.events?.nextOffset, 2);
    const second = await call('get_schema', { limit: 2, offset: 2 });
    assert.notDeepEqual(second.structuredContent?.events?.items, first.structuredContent?.events?.items);

    const typo = await call('get_schema', { search: 'purchse' });
    assert.equal(typo.structuredContent?.events?.items[0]?.name, 'Purchase');

    const event = await call('get_schema', { event: 'Purchase', search: 'browser' });
    const browser = event.structuredContent?.properties?.items.find((property) => property.name === '$browser');
    assert.equal(browser?.type, 'string');
    assert.ok(browser?.topValues?.includes('Chrome'), JSON.stringify(browser));

    // A remote source's schema comes from Lexicon, with the credentials of the environment.
    const remote = await call('get_schema', { source: 'prod', search: 'sign' });
    assert.equal(remote.isError, undefined, textOf(remote));
    assert.equal(remote.structuredContent?.events?.items[0]?.name, 'Sign Up');

    const unknown = await call('get_schema', { event: 'Purchse' });
    assert.equal(unknown.isError, true);
    assert.match(textOf(unknown), /no event named "Purchse"\. Did you mean "Purchase"\?/);
  });

  it('lints a misspelt event and gives the did-you-mean fix as an edit that makes the query clean', async () => {
    const text = '### Buyers\nsegmentation "Purchse"\n  from 2026-10-01 to 2026-10-31\n';
    const answer = await call('lint_query', { text });
    const diagnostics = answer.structuredContent?.diagnostics ?? [];
    const unknownEvent = diagnostics.find((diagnostic) => diagnostic.code === 'unknown-event');
    assert.ok(unknownEvent, JSON.stringify(diagnostics));
    assert.equal(unknownEvent.severity, 'error');
    assert.equal(unknownEvent.line, 2);
    assert.equal(unknownEvent.column, 14);
    assert.match(unknownEvent.message, /Did you mean "Purchase"/);
    const fix = unknownEvent.fixes.find((candidate) => candidate.preferred)!;
    assert.deepEqual(fix.edits, [{ line: 2, column: 14, endLine: 2, endColumn: 23, newText: '"Purchase"' }]);
    assert.match(textOf(answer), /2:14 error unknown-event/);

    // Applying the edit as given (1-based, end exclusive) leaves nothing to report.
    const lines = text.split('\n');
    const edit = fix.edits[0];
    lines[edit.line - 1] = lines[edit.line - 1].slice(0, edit.column - 1) + edit.newText + lines[edit.line - 1].slice(edit.endColumn - 1);
    const fixed = await call('lint_query', { text: lines.join('\n') });
    assert.deepEqual(fixed.structuredContent?.diagnostics, []);
  });

  it('runs a query of a file with the same numbers as aq run, and states a cut table', async () => {
    const expected = await aqRunJson('shop.aq', '2');
    const answer = await call('run_query', { file: 'shop.aq', query: 2, limit: 1000 });
    assert.equal(answer.isError, undefined, textOf(answer));
    const result = answer.structuredContent!;
    const table = resultToTable(expected);
    assert.equal(result.title, 'Weekly revenue');
    assert.equal(result.headline, expected.meta.headline);
    assert.deepEqual(result.columns, table.columns);
    assert.deepEqual(result.rows, table.rows);
    assert.equal(result.truncated, undefined);
    assert.match(textOf(answer), new RegExp(`Headline: ${expected.meta.headline!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

    const cut = await call('run_query', { file: 'shop.aq', query: 'Weekly revenue', limit: 2 });
    assert.deepEqual(cut.structuredContent?.rows, table.rows.slice(0, 2));
    assert.deepEqual(cut.structuredContent?.truncated, { shownRows: 2, totalRows: table.rows.length });
    assert.match(textOf(cut), new RegExp(`Showing 2 of ${table.rows.length} rows`));
  });

  it('checks the expectations of a file with the same outcome as aq test, and a failed one says what it measured', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(DIST_DIR, 'cli.js'), 'test', 'shop.aq', '--format', 'json'], {
      cwd: workspace,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    const expected = JSON.parse(stdout) as Array<{ status: string }>;
    assert.ok(expected.length > 0 && expected.every((element) => element.status === 'passed'), stdout);
    const answer = await call('run_tests', { file: 'shop.aq' });
    assert.equal(answer.isError, undefined, textOf(answer));
    assert.deepEqual(answer.structuredContent?.expectations, expected);
    assert.match(textOf(answer), new RegExp(`${expected.length} passed, 0 failed, 0 errors`));

    writeFileSync(join(workspace, 'checks.aq'), '### Purchases\nsegmentation "Purchase"\n  from 2026-10-01 to 2026-10-07\n  expect total > 1000000000\n');
    const failing = await call('run_tests', { file: 'checks.aq' });
    assert.equal(failing.isError, undefined, textOf(failing));
    const [only] = failing.structuredContent!.expectations!;
    assert.equal(only.status, 'failed');
    assert.equal(only.expectation, 'total > 1000000000');
    assert.equal(typeof only.actual, 'number');
    assert.match(only.message, /^total [\d,]+, expected > 1,000,000,000/);
    assert.match(textOf(failing), /0 passed, 1 failed, 0 errors/);

    const outside = await call('run_tests', { file: '../outside.aq' });
    assert.equal(outside.isError, true);
    assert.match(textOf(outside), /outside the workspace/);
  });

  it('runs a query on Mixpanel with the same numbers as aq run and reports the query budget', async () => {
    const expected = await aqRunJson('prod.aq', 'Purchases on Mixpanel');
    const answer = await call('run_query', { text: PROD_QUERIES, query: 'Purchases on Mixpanel' });
    assert.equal(answer.isError, undefined, textOf(answer));
    assert.deepEqual(answer.structuredContent?.rows, resultToTable(expected).rows);
    assert.equal(answer.structuredContent?.headline, expected.meta.headline);
    assert.equal(typeof answer.structuredContent?.budgetRemaining, 'number');
    assert.match(textOf(answer), /Query budget: \d+ queries left this hour on "prod"/);
  });

  it('shows the request a query sends with the secret masked', async () => {
    const answer = await call('explain_query', { file: 'prod.aq', query: 1 });
    assert.equal(answer.isError, undefined, textOf(answer));
    const curl = String(answer.structuredContent?.curl);
    assert.match(curl, /^curl /);
    assert.match(curl, /segmentation/);
    assert.match(curl, /\*\*\*\*/);
  });

  it('refuses files outside the workspace: .. escapes, absolute paths and symbolic links', async () => {
    for (const file of ['../outside.aq', join(base, 'outside.aq'), 'linked.aq']) {
      const answer = await call('run_query', { file, query: 1 });
      assert.equal(answer.isError, true, file);
      assert.match(textOf(answer), /outside the workspace/, file);
    }
    const jql = await call('run_query', { text: 'jql "../../../etc/hostname"\n  from 2026-10-01 to 2026-10-03\n' });
    assert.equal(jql.isError, true);
    assert.match(textOf(jql), /The JQL script "..\/..\/..\/etc\/hostname" is outside the workspace/);
    const data = await call('run_query', { text: 'use local "../outside.ndjson"\nsegmentation "Purchase"\n  from 2026-10-01 to 2026-10-03\n' });
    assert.equal(data.isError, true);
    assert.match(textOf(data), /The data file "..\/outside.ndjson" is outside the workspace/);
  });

  it('answers bad input with a clear error result', async () => {
    const both = await call('run_query', { file: 'shop.aq', text: 'segmentation "Purchase"', query: 1 });
    assert.equal(both.isError, true);
    assert.match(textOf(both), /either "file" .* or "text"/);
    const badLimit = await call('get_schema', { limit: 'many' });
    assert.equal(badLimit.isError, true);
    assert.match(textOf(badLimit), /limit/);
    const noQuery = await call('run_query', { file: 'shop.aq', query: 9 });
    assert.equal(noQuery.isError, true);
    assert.match(textOf(noQuery), /no query number 9; the file has 5/);
  });

  it('cancels a long run when the client cancels the request', async () => {
    fake.setFault({ kind: 'slow', delayMs: 30_000 }, { path: /segmentation/ });
    const before = fake.store.requestsTo(/segmentation/).length;
    const controller = new AbortController();
    const started = Date.now();
    const pending = call('run_query', { file: 'prod.aq', query: 'Sign-ups on Mixpanel' }, { signal: controller.signal });
    await waitFor(() => fake.store.requestsTo(/segmentation/).length > before, 'the request to reach Mixpanel');
    controller.abort();
    await assert.rejects(pending);
    // The engine's signal was aborted: the run ends long before the fake's 30 s answer.
    await waitFor(() => /run_query: Sign-ups on Mixpanel: cancelled/.test(stderr), 'the server to stop the run', 10_000);
    assert.ok(Date.now() - started < 20_000);
    fake.clearFaults();
    const still = await call('list_sources', {});
    assert.equal(still.isError, undefined);
  });

  it('never shows a secret in any answer or on standard error, and writes nothing but protocol on standard output', () => {
    const everything = `${transcript.join('\n')}\n${stderr}`;
    for (const form of SECRET_FORMS) assert.ok(!everything.includes(form), `found a form of the secret: ${form}`);
    assert.match(stderr, /aq mcp: serving /);
    assert.deepEqual(protocolErrors, []);
  });
});

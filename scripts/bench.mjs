// `npm run bench`: measures what an analyst feels while typing. Part 1 (language): a 2,000-query
// .aq file against a 10,000-event schema, driven through the BUILT server over real LSP on stdio;
// completion and diagnostic latency after an edit, next to the round-trip of a trivial request on
// the same connection (the transport's floor). Part 2: the offline engine (scripts/benchEngine.ts)
// when it exists. Options: --iterations N (default 100, one of each operation per round), --language-only, --engine-only, --cpu-prof DIR
// (writes a V8 CPU profile of the language server into DIR, to see where its time goes).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver-protocol/node';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const iterationsArg = args.indexOf('--iterations');
const ITERATIONS = iterationsArg >= 0 ? Number(args[iterationsArg + 1]) : 100;
const cpuProfArg = args.indexOf('--cpu-prof');
const SERVER_PROFILE_DIR = cpuProfArg >= 0 ? args[cpuProfArg + 1] : undefined;
const WARMUP = 10;
const QUERY_COUNT = 2000;
const EVENT_COUNT = 10000;

// ---------------------------------------------------------------------------------------------
// Generated inputs (deterministic, so runs compare)
// ---------------------------------------------------------------------------------------------

function eventName(i) {
  return `Event ${String(i).padStart(5, '0')}`;
}

function generateLexicon() {
  const results = [];
  for (let i = 0; i < EVENT_COUNT; i++) {
    const properties = {
      plan: { type: 'string', description: 'Plan', examples: ['free', 'premium', 'team'] },
      price: { type: 'number', description: 'Price in EUR' },
      [`prop_${i % 97}`]: { type: 'string', description: 'A generated property' },
      [`count_${i % 31}`]: { type: 'integer' },
    };
    results.push({
      entityType: 'event',
      name: eventName(i),
      schemaJson: { description: `Generated event number ${i}`, properties, metadata: { 'com.mixpanel': { hidden: i % 500 === 0 } } },
    });
  }
  results.push({ entityType: 'profile', name: '$user', schemaJson: { properties: { $email: { type: 'string' }, plan: { type: 'string' } } } });
  return { status: 'ok', results };
}

function generateQueries() {
  const lines = ['use mixpanel "shop"', ''];
  for (let i = 0; i < QUERY_COUNT; i++) {
    const a = eventName((i * 7) % EVENT_COUNT);
    const b = eventName((i * 13 + 1) % EVENT_COUNT);
    lines.push(`### Query number ${i}`);
    switch (i % 3) {
      case 0:
        lines.push(
          `segmentation "${a}"`,
          `  on properties["plan"]`,
          `  where properties["price"] > ${i % 50} and defined(properties["prop_${((i * 7) % EVENT_COUNT) % 97}"])`,
          '  last 30 days',
          '  unit day',
          '  type unique',
        );
        break;
      case 1:
        lines.push(`funnel "${a}" -> "${b}"`, '  window 14 days', '  from 2026-10-01 to 2026-10-31');
        break;
      default:
        lines.push(`retention "${a}" -> "${b}"`, '  unit week', '  interval_count 8', `  born_where properties["plan"] == "free"`, '  last 90 days');
    }
    lines.push('');
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// LSP session
// ---------------------------------------------------------------------------------------------

async function startServer(workspace) {
  const profileArgs = SERVER_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${SERVER_PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profileArgs, join(root, 'dist', 'server.js'), '--stdio'], {
    cwd: workspace,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, AQ_CACHE_DIR: join(workspace, '.cache') },
  });
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const statusListeners = [];
  connection.onNotification('aq/sourceStatus', (params) => statusListeners.forEach((listener) => listener(params)));
  connection.onRequest('workspace/configuration', (params) => params.items.map(() => ({})));
  const refreshListeners = [];
  // Like VS Code, pull again when the server says diagnostics changed (e.g. a schema arrived).
  connection.onRequest('workspace/diagnostic/refresh', () => {
    refreshListeners.forEach((listener) => listener());
    return null;
  });
  connection.onRequest('client/registerCapability', () => null);
  connection.listen();
  const uri = pathToFileURL(workspace).href;
  await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: uri,
    workspaceFolders: [{ uri, name: 'bench' }],
    capabilities: {
      workspace: { configuration: true, diagnostics: { refreshSupport: true } },
      textDocument: {
        diagnostic: {},
        completion: { completionList: { itemDefaults: ['editRange'] } },
        documentSymbol: { hierarchicalDocumentSymbolSupport: true },
      },
    },
  });
  const schemaLoaded = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the schema did not load within 120 s')), 120_000);
    statusListeners.push((params) => {
      if (params.sources?.some((source) => source.name === 'shop' && source.schemaFetchedAt)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await connection.sendNotification('initialized', {});
  return { child, connection, schemaLoaded, onRefresh: (listener) => refreshListeners.push(listener) };
}

/** The start offset of every line of `text`. */
function lineStartsOf(text) {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** A position from a line table, by binary search: the client's own cost must stay out of the timings. */
function positionAt(lineStarts, offset) {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (lineStarts[middle] <= offset) low = middle;
    else high = middle - 1;
  }
  return { line: low, character: offset - lineStarts[low] };
}

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { median: pick(0.5), p95: pick(0.95), n: sorted.length };
}

/**
 * Times each operation `count` times (after `WARMUP` untimed rounds), one of each per round, so
 * that a slower moment of the machine falls on all of them and not on one block: the table's
 * ratios compare medians of the same moments. `check` looks at each answer afterwards (untimed),
 * so a bench that drifts off its target fails instead of timing nothing. Each operation's `run`
 * gets a number of its own per call (which query to edit).
 */
async function measureInterleaved(operations, count) {
  const samples = operations.map(() => []);
  for (let round = 0; round < WARMUP + count; round++) {
    for (const [index, operation] of operations.entries()) {
      const started = performance.now();
      const answer = await operation.run(round * operations.length + index);
      if (round >= WARMUP) samples[index].push(performance.now() - started);
      const problem = (operation.check ?? (() => undefined))(answer);
      if (problem) throw new Error(`${operation.label}: ${problem}`);
    }
  }
  return operations.map((operation, index) => ({ label: operation.label, ...stats(samples[index]) }));
}

function printTable(title, rows, baseline) {
  console.log(`\n${title}`);
  const header = ['operation', 'median ms', 'p95 ms', '× trivial', 'n'];
  const body = rows.map((row) => [
    row.label,
    row.median.toFixed(2),
    row.p95.toFixed(2),
    baseline ? (row.median / baseline.median).toFixed(1) : '',
    String(row.n),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const format = (cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of body) console.log(format(row));
}

async function runLanguageBench() {
  const workspace = mkdtempSync(join(tmpdir(), 'aq-bench-'));
  try {
    writeFileSync(
      join(workspace, 'aq.json'),
      JSON.stringify({ sources: { shop: { kind: 'mixpanel', projectId: 1, region: 'US', schemaFile: 'schema.json' } }, default: 'shop' }),
    );
    writeFileSync(join(workspace, 'schema.json'), JSON.stringify(generateLexicon()));
    const text = generateQueries();
    const bigUri = pathToFileURL(join(workspace, 'big.aq')).href;
    const tinyUri = pathToFileURL(join(workspace, 'tiny.aq')).href;
    console.log(
      `language bench: ${QUERY_COUNT} queries (${text.split('\n').length} lines, ${(text.length / 1024).toFixed(0)} KiB), ${EVENT_COUNT} events; ${ITERATIONS} samples after ${WARMUP} warm-up`,
    );

    const { child, connection, schemaLoaded, onRefresh } = await startServer(workspace);
    onRefresh(() => void connection.sendRequest('textDocument/diagnostic', { textDocument: { uri: tinyUri } }).catch(() => undefined));
    try {
      const openStarted = performance.now();
      // Schemas load lazily, on the first lint that needs one.
      await connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri: tinyUri, languageId: 'aq', version: 1, text: 'use mixpanel "shop"\n### Tiny\nsegmentation "Event 00001"\n  last 7 days\n' },
      });
      await connection.sendRequest('textDocument/diagnostic', { textDocument: { uri: tinyUri } });
      await schemaLoaded;
      const schemaMs = performance.now() - openStarted;
      await connection.sendNotification('textDocument/didOpen', { textDocument: { uri: bigUri, languageId: 'aq', version: 1, text } });
      const firstLint = performance.now();
      const first = await connection.sendRequest('textDocument/diagnostic', { textDocument: { uri: bigUri } });
      console.log(
        `schema load ${schemaMs.toFixed(0)} ms; first full lint ${(performance.now() - firstLint).toFixed(0)} ms (${first.items.length} diagnostics)`,
      );

      let version = 1;
      // Edits replace one digit with another, so offsets and line breaks never move: every offset
      // the samples use is found once, before timing (searching for a title's text would find the
      // wrong query once its number has been edited, and searching or splitting 300 KB per sample
      // would time the client instead of the server).
      const lineStarts = lineStartsOf(text);
      const queries = [];
      for (let query = 0, from = 0; query < QUERY_COUNT; query++) {
        const start = text.indexOf(`### Query number ${query}\n`, from);
        const lastTitleDigit = text.indexOf('\n', start) - 1;
        queries.push({
          lastTitleDigit,
          digit: Number(text[lastTitleDigit]),
          headEvent: text.indexOf('"', start) + 1,
          // Funnels have no property: theirs is the next query's, which is just as good a place to type.
          propertyName: text.indexOf('properties["', start) + 'properties["'.length,
          firstClause: text.indexOf('\n  ', start) + 3,
        });
        from = start + 1;
      }
      // Each edit rewrites the last digit of a title somewhere in the file: a realistic single
      // keystroke that invalidates one query, in a different place each time.
      const edit = async (i) => {
        const query = queries[(i * 37) % QUERY_COUNT];
        query.digit = (query.digit + 1) % 10;
        const start = positionAt(lineStarts, query.lastTitleDigit);
        await connection.sendNotification('textDocument/didChange', {
          textDocument: { uri: bigUri, version: ++version },
          contentChanges: [{ range: { start, end: { line: start.line, character: start.character + 1 } }, text: String(query.digit) }],
        });
        return query;
      };

      const offers = (label) => (list) => (list?.items?.some((item) => item.label === label) ? undefined : `"${label}" is not offered`);
      const operations = [
        {
          label: 'trivial request (documentSymbol, tiny file)',
          run: () => connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri: tinyUri } }),
        },
        {
          label: 'edit + diagnostics (pull, whole file)',
          run: async (i) => {
            await edit(i);
            return connection.sendRequest('textDocument/diagnostic', { textDocument: { uri: bigUri } });
          },
          // Titles carry no findings: every pull must report what the first one did.
          check: (report) => (report.items?.length === first.items.length ? undefined : `${report.items?.length} diagnostics instead of ${first.items.length}`),
        },
        {
          label: 'edit + completion: event name in head (10k events)',
          run: async (i) => {
            const query = await edit(i);
            return connection.sendRequest('textDocument/completion', { textDocument: { uri: bigUri }, position: positionAt(lineStarts, query.headEvent + 3) });
          },
          check: (list) => (list?.items?.some((item) => item.label.startsWith('Event ')) ? undefined : 'no event is offered'),
        },
        {
          label: 'edit + completion: properties["…"]',
          run: async (i) => {
            const query = await edit(i);
            return connection.sendRequest('textDocument/completion', {
              textDocument: { uri: bigUri },
              position: positionAt(lineStarts, query.propertyName + 1),
            });
          },
          check: offers('plan'),
        },
        {
          label: 'edit + completion: clause keyword',
          run: async (i) => {
            const query = await edit(i);
            return connection.sendRequest('textDocument/completion', { textDocument: { uri: bigUri }, position: positionAt(lineStarts, query.firstClause) });
          },
          // The clauses the query does not use yet, which vary by query kind.
          check: (list) => (list?.items?.length > 0 ? undefined : 'no clause is offered'),
        },
        {
          label: 'hover on an event name',
          run: (i) => {
            const query = queries[(i * 11) % QUERY_COUNT];
            return connection.sendRequest('textDocument/hover', { textDocument: { uri: bigUri }, position: positionAt(lineStarts, query.headEvent + 1) });
          },
          check: (hover) => (/Generated event number/.test(hover?.contents?.value ?? '') ? undefined : 'no event description'),
        },
      ];
      const rows = await measureInterleaved(operations, ITERATIONS);
      const trivial = rows[0];
      printTable('language server latency (client-measured round trips)', rows, trivial);
    } finally {
      await connection.sendRequest('shutdown').catch(() => undefined);
      await connection.sendNotification('exit').catch(() => undefined);
      // A profile is written only when the server exits on its own.
      if (SERVER_PROFILE_DIR && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 5000).unref() && child.once('exit', resolve));
      connection.dispose();
      if (child.exitCode === null) child.kill();
    }
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

async function runEngineBenchIfPresent() {
  const engineBench = join(root, 'scripts', 'benchEngine.ts');
  if (!existsSync(engineBench)) {
    console.log('\n(offline engine bench: scripts/benchEngine.ts not present, skipped)');
    return;
  }
  console.log('\noffline engine bench');
  const script =
    "import { pathToFileURL } from 'node:url'; const m = await import(pathToFileURL(process.argv[1]).href); const run = m.runEngineBench ?? m.default?.runEngineBench; await run();";
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, engineBench], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`the offline engine bench failed (exit ${result.status})`);
}

const build = spawnSync(process.execPath, [join(root, 'esbuild.mjs')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
try {
  if (!args.includes('--engine-only')) await runLanguageBench();
  if (!args.includes('--language-only')) await runEngineBenchIfPresent();
} catch (error) {
  console.error(`bench failed: ${error.stack ?? error}`);
  process.exitCode = 1;
}

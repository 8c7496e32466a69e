/**
 * Benchmarks the local engine against DuckDB on the sample scaled to 1,000,000 events: a
 * segmentation with `on` and `where`, a 3-step funnel and a retention query, each measured three
 * ways, beside DuckDB's comparable figure:
 *
 * - first load: a fresh process with an empty dataset cache reads the gzipped NDJSON and answers
 *   (DuckDB: a fresh process reads and de-duplicates the NDJSON into a table, then queries it).
 *   Writing the cache entry happens after the answer, in the background; its time is printed below
 *   the table.
 * - next process: a fresh process answers from the cache entry the first load wrote (DuckDB: a
 *   fresh process opens DuckDB's own database file, built once from the same NDJSON, and queries it).
 * - warm: the dataset is already in memory (DuckDB: its table); median of three runs.
 *
 * Each fresh-process figure is the median of `--runs` (default 3) processes, the two engines'
 * processes interleaved. Both engines' numbers are compared and every disagreement is printed. Ours
 * loads as the local backend does: asking the loader for the properties the query reads
 * (`columnsReadBy`), which the parser then picks out of the lines while it reads them. Every fresh
 * process runs this file bundled as the CLI is, so nothing read for one query is there for the next
 * (but the page cache is).
 *
 *   node --import tsx scripts/benchEngine.ts [--events N] [--runs N]
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { buildQuerySpec } from '../server/src/queryContract/buildQuerySpec';
import { parseAqDocument } from '../server/src/languageService/parser/queryParser';
import type { FunnelSpec, QuerySpec, RetentionSpec, SegmentationSpec } from '../server/src/queryContract/querySpec';
import type { FunnelData, RetentionData, SeriesData } from '../server/src/protocol/resultModel';
import { loadLocalDataset } from '../server/src/queryEngine/backends/local/eventStore';
import { datasetCacheWritesSettled } from '../server/src/queryEngine/backends/local/datasetCache';
import { DEFAULT_FUNNEL_WINDOW, FUNNEL_GRACE_MS, FUNNEL_UNIT_MS, runLocalFunnel } from '../server/src/queryEngine/backends/local/localFunnel';
import { runLocalRetention } from '../server/src/queryEngine/backends/local/localRetention';
import { runLocalSegmentation } from '../server/src/queryEngine/backends/local/localSegmentation';
import { columnsReadBy } from '../server/src/queryEngine/backends/local/queryColumns';
import { generateSample, SAMPLE_DATA_FILE } from '../server/src/sample/generateSample';

const QUERIES = `
### Views of pricier products by browser
segmentation "Viewed Product"
  on properties["$browser"]
  where properties["price"] >= 50
  from 2026-09-01 to 2026-10-31

### Visit to purchase
funnel "Landed on Homepage" -> "Viewed Product" -> "Purchase"
  window 7 days
  from 2026-09-01 to 2026-10-31

### Sign-ups who buy
retention "Sign Up" -> "Purchase"
  unit week
  interval_count 4
  from 2026-08-03 to 2026-10-31
`;

const GRACE_S = FUNNEL_GRACE_MS / 1000;
const DAY_S = 86_400;

type Answer = Map<string, number>;

interface BenchCase {
  spec: QuerySpec;
  ours: (path: string) => Promise<Answer>;
  sql: (from: string) => string;
  fromSql: (rows: unknown[][]) => Answer;
}

function argValue(flag: string): string | undefined {
  const index = process.argv.indexOf(flag);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

function specs(): QuerySpec[] {
  const document = parseAqDocument(QUERIES);
  return document.queries.map((block) => {
    const built = buildQuerySpec(block, { now: new Date('2026-11-01T00:00:00Z'), defaultSource: { kind: 'local', name: 'bench' } });
    if (!built.ok) throw new Error(`bench query "${block.title}" does not build: ${built.errors.map((e) => e.message).join('; ')}`);
    return built.spec;
  });
}

/** Seconds since the epoch of the first instant of a UTC date, and of the day after another. */
function rangeSeconds(range: { from: string; to: string }): { start: number; end: number } {
  return { start: Date.parse(`${range.from}T00:00:00Z`) / 1000, end: Date.parse(`${range.to}T00:00:00Z`) / 1000 + DAY_S };
}

function cases(): BenchCase[] {
  const [segmentation, funnel, retention] = specs() as [SegmentationSpec, FunnelSpec, RetentionSpec];
  const seg = rangeSeconds(segmentation.range);
  const fun = rangeSeconds(funnel.range);
  const window = funnel.window ?? DEFAULT_FUNNEL_WINDOW;
  const windowS = (window.count * FUNNEL_UNIT_MS[window.unit]) / 1000;
  const ret = rangeSeconds(retention.range);
  const week = (column: string): string => `CAST(floor((floor(${column} / ${DAY_S}) + 3) / 7) AS BIGINT)`;
  return [
    {
      spec: segmentation,
      ours: async (path) => {
        const data = runLocalSegmentation(await loadLocalDataset(path, { extract: columnsReadBy(segmentation) }), segmentation) as SeriesData;
        const answer: Answer = new Map();
        for (const series of data.series) data.dates.forEach((date, i) => series.values[i] && answer.set(`${series.segment}|${date}`, series.values[i]));
        return answer;
      },
      sql: (from) => `SELECT coalesce(browser, 'undefined') AS segment, strftime(to_timestamp(time)::TIMESTAMP, '%Y-%m-%d') AS day, count(*)::INTEGER AS n
        FROM ${from} WHERE event = 'Viewed Product' AND time >= ${seg.start} AND time < ${seg.end} AND price >= 50 GROUP BY ALL`,
      fromSql: (rows) => new Map(rows.map(([segment, day, n]) => [`${segment}|${day}`, n as number])),
    },
    {
      spec: funnel,
      ours: async (path) => {
        const data = runLocalFunnel(await loadLocalDataset(path, { extract: columnsReadBy(funnel) }), funnel) as FunnelData;
        return new Map(data.segments[0].counts.map((count, step) => [`step ${step + 1}`, count]));
      },
      // Mixpanel's default counting: a user's only entry is their first step-1 event in the range;
      // ASOF joins find each next step's earliest event from two seconds (the grace period) before
      // the previous step, kept when it is inside the window from the entry.
      sql: (from) => `WITH ev AS (SELECT event, distinct_id, time FROM ${from} WHERE event IN ('Landed on Homepage', 'Viewed Product', 'Purchase')),
        a AS (SELECT distinct_id, min(time) AS t1 FROM ev WHERE event = 'Landed on Homepage' AND time >= ${fun.start} AND time < ${fun.end} GROUP BY 1),
        b AS (SELECT distinct_id, time FROM ev WHERE event = 'Viewed Product'),
        c AS (SELECT distinct_id, time FROM ev WHERE event = 'Purchase'),
        ab AS (SELECT a.distinct_id, a.t1, CASE WHEN b.time <= a.t1 + ${windowS} THEN b.time END AS t2 FROM a ASOF LEFT JOIN b ON a.distinct_id = b.distinct_id AND b.time >= a.t1 - ${GRACE_S}),
        abc AS (SELECT ab.distinct_id, ab.t2, CASE WHEN ab.t2 IS NOT NULL AND c.time <= ab.t1 + ${windowS} THEN c.time END AS t3 FROM ab ASOF LEFT JOIN c ON ab.distinct_id = c.distinct_id AND c.time >= ab.t2 - ${GRACE_S}),
        per_user AS (SELECT distinct_id, 1 + (t2 IS NOT NULL)::INTEGER + (t3 IS NOT NULL)::INTEGER AS reached FROM abc)
        SELECT count(*)::INTEGER, count(*) FILTER (WHERE reached >= 2)::INTEGER, count(*) FILTER (WHERE reached >= 3)::INTEGER FROM per_user`,
      fromSql: (rows) => new Map((rows[0] as number[]).map((count, step) => [`step ${step + 1}`, count])),
    },
    {
      spec: retention,
      ours: async (path) => {
        const data = runLocalRetention(await loadLocalDataset(path, { extract: columnsReadBy(retention) }), retention) as RetentionData;
        const answer: Answer = new Map();
        for (const cohort of data.cohorts) {
          answer.set(`${cohort.date} size`, cohort.size);
          cohort.retained.forEach((count, i) => count && answer.set(`${cohort.date} +${i}`, count));
        }
        return answer;
      },
      // Birth is each user's first Sign Up in the whole export (none before the range); rolling
      // weeks: interval i holds purchases i×7 to (i+1)×7 days after it.
      sql: (from) => `WITH ev AS (SELECT event, distinct_id, time FROM ${from} WHERE event IN ('Sign Up', 'Purchase')),
        firsts AS (SELECT distinct_id, min(time) AS bt FROM ev WHERE event = 'Sign Up' GROUP BY 1),
        births AS (SELECT * FROM firsts WHERE bt >= ${ret.start} AND bt < ${ret.end}),
        returns AS (SELECT DISTINCT b.distinct_id, ${week('b.bt')} AS cohort, CAST(floor((p.time - b.bt) / ${7 * DAY_S}) AS BIGINT) AS i
          FROM births b JOIN ev p ON p.distinct_id = b.distinct_id AND p.event = 'Purchase' AND p.time >= b.bt)
        SELECT strftime(to_timestamp((cohort * 7 - 3) * ${DAY_S})::TIMESTAMP, '%Y-%m-%d') || ' size', count(*)::INTEGER FROM (SELECT ${week('bt')} AS cohort FROM births) GROUP BY 1
        UNION ALL
        SELECT strftime(to_timestamp((cohort * 7 - 3) * ${DAY_S})::TIMESTAMP, '%Y-%m-%d') || ' +' || i, count(*)::INTEGER FROM returns WHERE i BETWEEN 0 AND ${retention.intervalCount} GROUP BY ALL`,
      fromSql: (rows) => new Map(rows.map(([key, n]) => [key as string, n as number])),
    },
  ];
}

/** The raw export read with the same de-duplication rule as the engine. */
function duckSource(path: string): string {
  const columns = `{event: 'VARCHAR', properties: 'STRUCT(time DOUBLE, distinct_id VARCHAR, "$insert_id" VARCHAR, "$browser" VARCHAR, price DOUBLE)'}`;
  return `(SELECT event, properties.time AS time, properties.distinct_id AS distinct_id, properties."$insert_id" AS insert_id, properties."$browser" AS browser, properties.price AS price
    FROM read_ndjson('${path.replace(/'/g, "''")}', columns = ${columns}, compression = 'gzip')
    QUALIFY row_number() OVER (PARTITION BY insert_id, event, distinct_id, time) = 1)`;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/** Warm runs are short and the machine may be shared: the median of a few runs. */
const WARM_RUNS = 3;

async function timedWarm<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const runs: Array<{ ms: number; value: T }> = [];
  for (let i = 0; i < WARM_RUNS; i++) runs.push(await timed(work));
  runs.sort((a, b) => a.ms - b.ms);
  return runs[Math.floor(WARM_RUNS / 2)];
}

async function duckRows(connection: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await connection.runAndReadAll(sql)).getRowsJS() as unknown[][];
}

function compare(title: string, ours: Answer, theirs: Answer): string[] {
  const problems: string[] = [];
  for (const key of new Set([...ours.keys(), ...theirs.keys()])) {
    const a = ours.get(key) ?? 0;
    const b = theirs.get(key) ?? 0;
    if (a !== b) problems.push(`${title}: ${key}: aq ${a}, DuckDB ${b}`);
  }
  return problems;
}

/**
 * This process's peak resident memory in MiB. On Linux from the kernel's high-water mark of this
 * program's memory (`VmHWM`): `maxRSS` also counts the parent's memory at the fork that started a
 * child process, which would make a small fresh process look as large as the bench's own.
 */
const peakRssMb = (): number => {
  const highWater = existsSync('/proc/self/status') ? /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8')) : null;
  return Math.round((highWater ? Number(highWater[1]) : process.resourceUsage().maxRSS) / 1024);
};

/** What one fresh-process run reports. */
interface ProcessRun {
  ms: number;
  rssMb: number;
  /** First loads only: how long writing the cache entry took after the answer. */
  cacheWriteMs?: number;
}

/**
 * Bundles this file as the CLI and the server are bundled (esbuild, Node 20, CommonJS), for the
 * fresh processes: they run the engine as it ships. Loading the TypeScript through tsx instead
 * compiles it in the process being measured, which adds 10-15 MB to its peak RSS and time to its start.
 */
async function bundleForFreshProcesses(outfile: string): Promise<string> {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [__filename],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // Neither is loaded by a fresh process's run.
    external: ['@duckdb/node-api', 'esbuild'],
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

/** Runs one query in a fresh process of `bundle` with the cache folder `cacheDir` (empty for a first load). */
function runInFreshProcess(bundle: string, caseIndex: number, events: number, cacheDir: string): ProcessRun {
  const child = spawnSync(process.execPath, [bundle, '--cold-case', String(caseIndex), '--events', String(events)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, AQ_CACHE_DIR: cacheDir, AQ_LOCAL_CACHE_MB: '' },
  });
  if (child.status !== 0) throw new Error(`fresh-process run of query ${caseIndex} failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as ProcessRun;
}

/** What one fresh DuckDB process reports: its time and its answer. */
interface DuckProcessRun {
  ms: number;
  answer: Array<[string, number]>;
}

/**
 * Runs one query in a fresh process with a fresh DuckDB instance, as ours runs in a fresh process:
 * DuckDB's one-time costs in a process (its first query, its threads, its allocator) are in its figure
 * as ours are in ours. `database` absent: an in-memory instance reads and de-duplicates the NDJSON
 * into a table, then queries it (first load); given: the instance opens that database file and
 * queries it (next process).
 */
function runDuckInFreshProcess(bundle: string, caseIndex: number, events: number, database?: string): DuckProcessRun {
  // The bundle leaves DuckDB's package out and lives in a temporary folder: the child imports the
  // package from where this process found it.
  const args = [
    bundle,
    '--duck-case',
    String(caseIndex),
    '--duck-module',
    require.resolve('@duckdb/node-api'),
    '--events',
    String(events),
    ...(database ? ['--duck-db', database] : []),
  ];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (child.status !== 0) throw new Error(`fresh-process DuckDB run of query ${caseIndex} failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as DuckProcessRun;
}

/** Builds DuckDB's own database file from the NDJSON in a fresh process (the bench's own process stays small: see peakRssMb). */
function buildDuckFileInFreshProcess(bundle: string, events: number, database: string): void {
  const args = [bundle, '--duck-build', database, '--duck-module', require.resolve('@duckdb/node-api'), '--events', String(events)];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (child.status !== 0) throw new Error(`building DuckDB's database file failed: ${child.stderr}`);
}

type DuckModule = typeof import('@duckdb/node-api');

async function importDuck(duckModule: string): Promise<DuckModule> {
  return (await import(pathToFileURL(duckModule).href)) as DuckModule;
}

/**
 * A DuckDB instance on `database` (`:memory:` or a file) and a connection to it, with the bench's
 * two threads; with `path`, the export read and de-duplicated into its table `events` first.
 */
async function openDuck(
  duck: DuckModule,
  database: string,
  path?: string,
): Promise<{ instance: InstanceType<DuckModule['DuckDBInstance']>; connection: DuckDBConnection }> {
  const instance = await duck.DuckDBInstance.create(database);
  const connection = await instance.connect();
  await connection.run(`SET threads = 2`);
  if (path !== undefined) await connection.run(`CREATE TABLE events AS SELECT * FROM ${duckSource(path)}`);
  return { instance, connection };
}

/** The run of a fresh process that `--duck-case` asks for (see runDuckInFreshProcess). */
async function duckCaseInThisProcess(benchCase: BenchCase, path: string, duckModule: string, database: string | undefined): Promise<DuckProcessRun> {
  const duck = await importDuck(duckModule);
  const run = await timed(async () => {
    const { instance, connection } = await openDuck(duck, database ?? ':memory:', database ? undefined : path);
    const answer = benchCase.fromSql(await duckRows(connection, benchCase.sql('events')));
    connection.closeSync();
    instance.closeSync();
    return answer;
  });
  return { ms: run.ms, answer: [...run.value] };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

export async function runEngineBench(): Promise<void> {
  const events = Number(argValue('--events') ?? 1_000_000);
  // Fresh-process runs per query and engine: each figure is their median (one run moves by 10-20 % on a shared machine).
  const runs = Math.max(1, Number(argValue('--runs') ?? 3));
  const dir = join(tmpdir(), `aq-bench-${events}`);
  const path = join(dir, 'data', SAMPLE_DATA_FILE);
  const coldCase = argValue('--cold-case');
  if (coldCase !== undefined) {
    const run = await timed(() => cases()[Number(coldCase)].ours(path));
    const written = await timed(() => datasetCacheWritesSettled());
    process.stdout.write(JSON.stringify({ ms: run.ms, rssMb: peakRssMb(), cacheWriteMs: written.ms }));
    return;
  }
  const duckBuild = argValue('--duck-build');
  if (duckBuild !== undefined) {
    const { instance, connection } = await openDuck(await importDuck(argValue('--duck-module')!), duckBuild, path);
    connection.closeSync();
    instance.closeSync();
    return;
  }
  const duckCase = argValue('--duck-case');
  if (duckCase !== undefined) {
    process.stdout.write(JSON.stringify(await duckCaseInThisProcess(cases()[Number(duckCase)], path, argValue('--duck-module')!, argValue('--duck-db'))));
    return;
  }
  if (!existsSync(path)) {
    process.stderr.write(`generating ${events.toLocaleString('en-US')} sample events in ${dir}…\n`);
    await generateSample(dir, { events });
  }
  const benchCases = cases();
  // This bench's own cache folder (the dataset cache lives in `<AQ_CACHE_DIR>/datasets`).
  const cacheDir = join(tmpdir(), `aq-bench-cache-${process.pid}`);
  const bundleDir = `${cacheDir}-bundle`;
  const duckFile = join(tmpdir(), `aq-bench-duck-${process.pid}.duckdb`);
  const ourRuns = benchCases.map(() => ({ first: [] as ProcessRun[], next: [] as ProcessRun[] }));
  const duckRuns = benchCases.map(() => ({ first: [] as DuckProcessRun[], next: [] as DuckProcessRun[] }));
  const ourWarm: Array<{ ms: number; answer: Answer }> = [];
  const duckWarm: Array<{ ms: number; answer: Answer }> = [];
  let ourPeak = 0;
  let duckPeak = 0;
  try {
    const bundle = await bundleForFreshProcesses(join(bundleDir, 'benchEngine.js'));
    buildDuckFileInFreshProcess(bundle, events, duckFile);
    // First load and next process, both engines in fresh processes, interleaved run by run so that
    // a busier moment of the machine falls on both.
    for (let run = 0; run < runs; run++) {
      for (const [i] of benchCases.entries()) {
        rmSync(cacheDir, { recursive: true, force: true });
        ourRuns[i].first.push(runInFreshProcess(bundle, i, events, cacheDir));
        ourRuns[i].next.push(runInFreshProcess(bundle, i, events, cacheDir));
        duckRuns[i].first.push(runDuckInFreshProcess(bundle, i, events));
        duckRuns[i].next.push(runDuckInFreshProcess(bundle, i, events, duckFile));
      }
    }

    // Warm: a second run in the same process (the first one loads the data and its columns). The
    // warm runs load from the NDJSON and leave no cache entry behind.
    process.env.AQ_LOCAL_CACHE_MB = '0';
    for (const benchCase of benchCases) {
      await benchCase.ours(path);
      const warm = await timedWarm(() => benchCase.ours(path));
      ourWarm.push({ ms: warm.ms, answer: warm.value });
    }
    ourPeak = peakRssMb();
    // Loaded only now: DuckDB's library and table are not in this process's figure above.
    const { instance, connection } = await openDuck(await import('@duckdb/node-api'), ':memory:', path);
    for (const benchCase of benchCases) {
      await duckRows(connection, benchCase.sql('events'));
      const warm = await timedWarm(async () => benchCase.fromSql(await duckRows(connection, benchCase.sql('events'))));
      duckWarm.push({ ms: warm.ms, answer: warm.value });
    }
    connection.closeSync();
    instance.closeSync();
    duckPeak = peakRssMb();
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
    rmSync(bundleDir, { recursive: true, force: true });
    rmSync(duckFile, { force: true });
    rmSync(`${duckFile}.wal`, { force: true });
  }
  benchCases.forEach((benchCase, i) => {
    for (const duckRun of [...duckRuns[i].first, ...duckRuns[i].next]) {
      if (compare('', new Map(duckRun.answer), duckWarm[i].answer).length > 0)
        throw new Error(`DuckDB's fresh processes answer "${benchCase.spec.title}" differently`);
    }
  });

  const lines = [`local engine vs DuckDB on ${events.toLocaleString('en-US')} events (${path})`, ''];
  const ms = (value: number): string => `${Math.round(value)} ms`.padStart(9);
  const ratio = (ours: number, theirs: number): string => (ours / theirs).toFixed(2).padStart(6);
  const group = (label: string): string => label.padEnd(28);
  lines.push(
    `${''.padEnd(40)} ${group('first load (NDJSON)')}   ${group('next process (cache / db)')}   ${group('warm')}`,
    `${'query'.padEnd(40)} ${'aq'.padStart(9)} ${'duck'.padStart(9)} ${'ratio'.padStart(6)}   ${'aq'.padStart(9)} ${'duck'.padStart(9)} ${'ratio'.padStart(6)}   ${'aq'.padStart(9)} ${'duck'.padStart(9)} ${'ratio'.padStart(6)}`,
  );
  const problems: string[] = [];
  benchCases.forEach((benchCase, i) => {
    const ours = { first: median(ourRuns[i].first.map((r) => r.ms)), next: median(ourRuns[i].next.map((r) => r.ms)), warm: ourWarm[i].ms };
    const theirs = { first: median(duckRuns[i].first.map((r) => r.ms)), next: median(duckRuns[i].next.map((r) => r.ms)), warm: duckWarm[i].ms };
    lines.push(
      `${benchCase.spec.title.padEnd(40)} ${ms(ours.first)} ${ms(theirs.first)} ${ratio(ours.first, theirs.first)}   ${ms(ours.next)} ${ms(theirs.next)} ${ratio(ours.next, theirs.next)}   ${ms(ours.warm)} ${ms(theirs.warm)} ${ratio(ours.warm, theirs.warm)}`,
    );
    problems.push(...compare(benchCase.spec.title, ourWarm[i].answer, duckWarm[i].answer));
  });
  const perEvent = (mb: number): string => `${mb} MB (${Math.round((mb * (1 << 20)) / events)} bytes/event)`;
  // Per query, the median of its runs; printed: the query with the highest, and every run's range.
  const peakOf = (kind: 'first' | 'next'): string => {
    const all = ourRuns.flatMap((r) => r[kind].map((run) => run.rssMb));
    const highest = Math.max(...ourRuns.map((r) => median(r[kind].map((run) => run.rssMb))));
    return `${perEvent(highest)}${runs > 1 ? ` (all runs ${Math.min(...all)}-${Math.max(...all)} MB)` : ''}`;
  };
  lines.push(
    '',
    `first load and next process: the median of ${runs} fresh process${runs > 1 ? 'es' : ''} per query and engine; warm: the median of ${WARM_RUNS} runs`,
    `cache entry written after each first load's answer, in the background (median): ${ourRuns.map((r) => `${Math.round(median(r.first.map((run) => run.cacheWriteMs ?? 0)))} ms`).join(', ')}`,
    `peak RSS, the highest query's median: aq first load ${peakOf('first')}, next process ${peakOf('next')}`,
    `peak RSS of the warm process: aq ${perEvent(ourPeak)}, with DuckDB's table ${duckPeak} MB`,
    '',
  );
  if (problems.length === 0) {
    lines.push(`results agree: ${benchCases.length} queries, ${ourWarm.reduce((n, t) => n + t.answer.size, 0)} numbers`);
  } else {
    lines.push(`!!! ${problems.length} MISMATCHES between aq and DuckDB !!!`, ...problems.slice(0, 40).map((problem) => `!!! ${problem}`));
    process.exitCode = 1;
  }
  process.stdout.write(lines.join('\n') + '\n');
}

// Run directly (not when scripts/bench.mjs imports it and calls runEngineBench itself).
if (require.main === module) {
  runEngineBench().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}

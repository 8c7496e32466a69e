/**
 * `aq pull` as a user runs it, over real HTTP against the fake Raw Export API on 127.0.0.1: one
 * request per day with the documented parameters, files holding exactly the exported lines, the
 * manifest, skipping complete days, retries (429 + Retry-After, 5xx, a dropped connection, a
 * stream cut mid-body) that never leave a partial file, errors that stop with Mixpanel's message
 * and the fix, --add-source keeping aq.json's formatting, --profiles, and a local query over the
 * pulled folder giving the numbers of the events pulled.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { DIST_DIR, ensureBuilt } from '../../lsp/lspHarness';
import type { CliIo } from '../../../server/src/cli/cliIo';
import { runCli } from '../../../server/src/cli/cliMain';
import { exportLine, startFakeExport, type ExportEvent, type FakeExport } from '../../fake-apis/fakeMixpanelExport';

const PROJECT_ID = 4242;
const at = (day: number, hour: number, minute = 0): number => Date.UTC(2026, 9, day, hour, minute) / 1000;

/** Day 1 is large enough (over 1400 bytes) to come gzipped; day 2 holds an SDK retry (the same event twice). */
const EVENTS: ExportEvent[] = [
  ...Array.from({ length: 30 }, (_, i): ExportEvent => ({
    event: 'Page View',
    properties: {
      time: at(1, 8, i),
      distinct_id: `u${i % 4}`,
      $insert_id: `pv-${i}`,
      page: i % 2 ? '/home' : '/pricing',
      mp_processing_time_ms: at(1, 9) * 1000,
    },
  })),
  { event: 'Sign Up', properties: { time: at(1, 10), distinct_id: 'u1', $insert_id: 'su-1', plan: 'free' } },
  { event: 'Sign Up', properties: { time: at(2, 11), distinct_id: 'u2', $insert_id: 'su-2', plan: 'pro' } },
  { event: 'Purchase', properties: { time: at(2, 12), distinct_id: 'u1', $insert_id: 'pu-1', amount: 30 } },
  { event: 'Purchase', properties: { time: at(2, 12), distinct_id: 'u1', $insert_id: 'pu-1', amount: 30 } },
  { event: 'Purchase', properties: { time: at(3, 9), distinct_id: 'u2', $insert_id: 'pu-2', amount: 20 } },
];
const linesOfDay = (day: string, filter: (event: ExportEvent) => boolean = () => true): string =>
  EVENTS.filter((event) => new Date(event.properties.time * 1000).toISOString().startsWith(day) && filter(event))
    .map((event) => `${exportLine(event)}\n`)
    .join('');

const PROFILES = Array.from({ length: 5 }, (_, i) => ({ distinctId: `u${i}`, properties: { $email: `u${i}@example.com`, plan: i % 2 ? 'pro' : 'free' } }));

const AQ_JSON = `{
    "sources": {
        "prod": { "kind": "mixpanel", "projectId": ${PROJECT_ID}, "timezone": "UTC" },
        "site": { "kind": "piwik", "url": "https://example.piwik.pro" }
    },
    "default": "prod"
}
`;

let fake: FakeExport;
let dir: string;

before(async () => {
  fake = await startFakeExport({
    projectId: PROJECT_ID,
    username: 'sa.user',
    secret: 'sa-secret-123',
    events: EVENTS,
    profiles: PROFILES,
    pageSize: 2,
    largeDays: { '2026-10-04': { lines: 5_000_000 } },
  });
});
after(() => fake.close());

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aq-pull-'));
  writeFileSync(join(dir, 'aq.json'), AQ_JSON);
  fake.requests.length = 0;
  fake.clearFaults();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function io(env: Record<string, string> = {}): CliIo & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    cwd: dir,
    env: { AQ_CACHE_DIR: join(dir, '.aq-cache'), AQ_PROD_USERNAME: 'sa.user', AQ_PROD_SECRET: 'sa-secret-123', AQ_PROD_BASE_URL: fake.url, ...env },
    stdout: (text: string) => void (captured.out += text),
    stderr: (text: string) => void (captured.err += text),
  };
  return captured;
}

const dataDir = (): string => join(dir, 'data', 'prod');
const dayText = (day: string, folder = dataDir()): string => gunzipSync(readFileSync(join(folder, `${day}.ndjson.gz`))).toString('utf8');
const manifest = (
  folder = dataDir(),
): {
  days: Record<string, { events: number; bytes: number; fileBytes: number; sha256: string; request: Record<string, string> }>;
  profiles?: { profiles: number };
} => JSON.parse(readFileSync(join(folder, 'aq-pull.json'), 'utf8'));
const leftovers = (folder = dataDir()): string[] => readdirSync(folder).filter((name) => name.includes('partial') || name.startsWith('.'));

describe('aq pull', () => {
  it('makes one export request per day and writes the lines exactly as exported, with a manifest', async () => {
    const cli = io();
    assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-03'], cli), 0, cli.err);
    const requests = fake.exportRequests();
    assert.deepEqual(
      requests.map((request) => request.query),
      ['2026-10-01', '2026-10-02', '2026-10-03'].map((day) => ({ project_id: String(PROJECT_ID), from_date: day, to_date: day })),
    );
    for (const request of requests) {
      assert.equal(request.headers['accept-encoding'], 'gzip');
      assert.equal(request.headers.authorization, `Basic ${Buffer.from('sa.user:sa-secret-123').toString('base64')}`);
    }
    for (const day of ['2026-10-01', '2026-10-02', '2026-10-03']) assert.equal(dayText(day), linesOfDay(day), day);
    const days = manifest().days;
    assert.deepEqual(Object.keys(days), ['2026-10-01', '2026-10-02', '2026-10-03']);
    assert.equal(days['2026-10-01'].events, 31);
    assert.equal(days['2026-10-02'].events, 3, 'the duplicate line is kept as exported');
    assert.equal(days['2026-10-01'].bytes, Buffer.byteLength(linesOfDay('2026-10-01')));
    const file = readFileSync(join(dataDir(), '2026-10-02.ndjson.gz'));
    assert.equal(days['2026-10-02'].sha256, createHash('sha256').update(file).digest('hex'));
    assert.equal(days['2026-10-02'].fileBytes, file.length);
    assert.deepEqual(days['2026-10-03'].request, { project_id: String(PROJECT_ID), from_date: '2026-10-03', to_date: '2026-10-03' });
    assert.deepEqual(leftovers(), []);
    assert.match(cli.out, /pulled 3 days of "prod" \(35 events, 0\.\d+ MB\) in [\d.]+ s → data\/prod\//);
    assert.match(cli.err, /\[1\/3\] 2026-10-01: 31 events, 0\.\d+ MB in [\d.]+ s \(\d+ events\/s/);
    assert.doesNotMatch(cli.out + cli.err, /sa-secret-123/);
  });

  it('skips complete days without a request on a re-run, and --force pulls them again', async () => {
    assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-02'], io()), 0);
    fake.requests.length = 0;
    const again = io();
    assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-03'], again), 0, again.err);
    assert.deepEqual(
      fake.exportRequests().map((request) => request.query.from_date),
      ['2026-10-03'],
    );
    assert.match(again.out, /pulled 1 day .*skipped 2 complete days/);
    // A day file that disappeared (or changed size) is not complete any more.
    rmSync(join(dataDir(), '2026-10-02.ndjson.gz'));
    fake.requests.length = 0;
    assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-03'], io()), 0);
    assert.deepEqual(
      fake.exportRequests().map((request) => request.query.from_date),
      ['2026-10-02'],
    );
    fake.requests.length = 0;
    const forced = io();
    assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-03', '--force'], forced), 0, forced.err);
    assert.equal(fake.exportRequests().length, 3);
    assert.equal(dayText('2026-10-02'), linesOfDay('2026-10-02'));
  });

  it('sends --event as a JSON array and --where as given, records them, and pulls again when they change', async () => {
    const cli = io();
    assert.equal(
      await runCli(
        ['pull', 'prod', '--from', '2026-10-02', '--to', '2026-10-02', '--event', 'Purchase', '-e', 'Sign Up', '--where', 'properties["amount"] == 30'],
        cli,
      ),
      0,
      cli.err,
    );
    const [request] = fake.exportRequests();
    assert.equal(request.query.event, '["Purchase","Sign Up"]');
    assert.equal(request.query.where, 'properties["amount"] == 30');
    assert.equal(
      dayText('2026-10-02'),
      linesOfDay('2026-10-02', (event) => event.properties.amount === 30),
    );
    assert.equal(manifest().days['2026-10-02'].request.event, '["Purchase","Sign Up"]');
    fake.requests.length = 0;
    const wider = io();
    assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-02', '--to', '2026-10-02'], wider), 0, wider.err);
    assert.equal(fake.exportRequests().length, 1, 'a day pulled with another filter is not complete for this one');
    assert.match(wider.out, /1 day pulled again because --event\/--where changed/);
    assert.equal(dayText('2026-10-02'), linesOfDay('2026-10-02'));
  });

  it('waits for Retry-After on 429, retries 5xx, dropped connections and cut streams, and leaves no partial file', async () => {
    fake.setFault({ kind: 'rateLimited', retryAfterSeconds: 1 }, { day: '2026-10-01' });
    fake.setFault({ kind: 'cut', afterBytes: 200 }, { day: '2026-10-01' });
    fake.setFault({ kind: 'status', status: 503 }, { day: '2026-10-02' });
    fake.setFault({ kind: 'drop' }, { day: '2026-10-03' });
    const cli = io();
    assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-03'], cli), 0, cli.err);
    const day1 = fake.exportRequests().filter((request) => request.query.from_date === '2026-10-01');
    assert.equal(day1.length, 3, '429, cut, then complete');
    assert.ok(day1[1].receivedAt - day1[0].receivedAt >= 950, `waited ${day1[1].receivedAt - day1[0].receivedAt} ms for Retry-After: 1`);
    assert.equal(fake.exportRequests().length, 7);
    for (const day of ['2026-10-01', '2026-10-02', '2026-10-03']) assert.equal(dayText(day), linesOfDay(day), day);
    assert.deepEqual(leftovers(), []);
    assert.match(cli.err, /2026-10-01: Mixpanel's export limit .* Trying again in 1 s/);
    assert.match(cli.err, /2026-10-01: The export of 2026-10-01 was cut off/);
    assert.match(cli.err, /2026-10-02: Mixpanel's export answered HTTP 503/);
  });

  it("stops on 401 with Mixpanel's message and the fix, writing nothing for that day and keeping the days before", async () => {
    fake.setFault({ kind: 'status', status: 401, body: JSON.stringify({ error: 'Invalid credentials', status: 'error' }) }, { day: '2026-10-02' });
    const cli = io();
    assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-03'], cli), 1);
    assert.equal(fake.exportRequests().length, 2, 'no retry of a 401 and no request after it');
    assert.match(cli.err, /2026-10-02: Mixpanel rejected the credentials of source "prod" \(HTTP 401\)\..*Mixpanel said: "Invalid credentials"/);
    assert.match(cli.err, /hint: .*AQ_PROD_USERNAME and AQ_PROD_SECRET/);
    assert.match(cli.err, /nothing of 2026-10-02 was written; 1 complete day kept/);
    assert.deepEqual(readdirSync(dataDir()).sort(), ['2026-10-01.ndjson.gz', 'aq-pull.json']);
    assert.deepEqual(Object.keys(manifest().days), ['2026-10-01']);
  });

  it('never prints the secret, even when an error body echoes it back', async () => {
    const header = Buffer.from('sa.user:sa-secret-123').toString('base64');
    fake.setFault({
      kind: 'status',
      status: 400,
      body: JSON.stringify({ error: `bad request from sa-secret-123 (Authorization: Basic ${header})`, status: 'error' }),
    });
    const cli = io();
    assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-01'], cli), 1);
    assert.match(
      cli.err,
      /Mixpanel rejected the export request \(HTTP 400\)\. Check --event and --where.*Mixpanel said: "bad request from \*\*\*\* \(Authorization: Basic \*\*\*\*\)"/,
    );
    assert.doesNotMatch(cli.out + cli.err, new RegExp(`sa-secret-123|${header}`));
  });

  it('names the region and the project when Mixpanel says the project is elsewhere or not accessible', async () => {
    const euFake = await startFakeExport({ projectId: PROJECT_ID, region: 'EU', username: 'sa.user', secret: 'sa-secret-123', events: EVENTS });
    try {
      const cli = io({ AQ_PROD_BASE_URL: euFake.url });
      assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-01'], cli), 1);
      assert.match(cli.err, /US export servers do not hold project 4242: it may live in the EU or IN region\. Set "region" of source "prod" in aq\.json/);
      assert.equal(existsSync(join(dataDir(), '2026-10-01.ndjson.gz')), false);
    } finally {
      await euFake.close();
    }
    writeFileSync(join(dir, 'aq.json'), AQ_JSON.replace(String(PROJECT_ID), '777'));
    const other = io();
    assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-01'], other), 1);
    assert.match(other.err, /may not export project 777's events \(HTTP 403\).*check "projectId" in aq\.json/);
  });

  it("--add-source adds the folder as a local source keeping aq.json's formatting, and a query on it counts the events pulled", async () => {
    const cli = io();
    assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-03', '--add-source', 'offline'], cli), 0, cli.err);
    assert.equal(
      readFileSync(join(dir, 'aq.json'), 'utf8'),
      AQ_JSON.replace(
        '"url": "https://example.piwik.pro" }',
        '"url": "https://example.piwik.pro" },\n        "offline": { "kind": "local", "path": "data/prod", "timezone": "UTC" }',
      ),
    );
    assert.match(cli.out, /added local source "offline" to aq\.json/);
    // Adding it again is a no-op; another folder under the same name is refused before any request.
    assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-03', '--add-source', 'offline'], io()), 0);
    fake.requests.length = 0;
    const taken = io();
    assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-03', '--output', 'elsewhere', '--add-source', 'offline'], taken), 2);
    assert.match(taken.err, /aq\.json already has a source named "offline"/);
    assert.equal(fake.requests.length, 0);

    writeFileSync(
      join(dir, 'offline.aq'),
      `use local "offline"

### Events per day
segmentation "Purchase"
  from 2026-10-01 to 2026-10-03
  unit day

### Page views
segmentation "Page View"
  on properties["page"]
  from 2026-10-01 to 2026-10-03
  unit day
`,
    );
    const run = io();
    assert.equal(await runCli(['run', 'offline.aq', '--format', 'json'], run), 0, run.err);
    const [purchases, pageViews] = JSON.parse(run.out) as Array<{
      data: { dates: string[]; series: Array<{ label?: string; name?: string; values: number[] }> };
    }>;
    const countOf = (event: string, day: string, filter: (e: ExportEvent) => boolean = () => true): number =>
      new Set(
        EVENTS.filter((e) => e.event === event && new Date(e.properties.time * 1000).toISOString().startsWith(day) && filter(e)).map(
          (e) => e.properties.$insert_id,
        ),
      ).size;
    const days = ['2026-10-01', '2026-10-02', '2026-10-03'];
    assert.deepEqual(
      purchases.data.series[0].values,
      days.map((day) => countOf('Purchase', day)),
      'the duplicate export line counts once',
    );
    const total = pageViews.data.series.reduce((sum, series) => sum + series.values.reduce((a, b) => a + b, 0), 0);
    assert.equal(total, countOf('Page View', '2026-10-01'));
  });

  it('--profiles pulls every Engage page into profiles.people.ndjson.gz, which user["…"] reads', async () => {
    const cli = io();
    assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-02', '--profiles', '--add-source', 'offline'], cli), 0, cli.err);
    const pages = fake.requests.filter((request) => request.path === '/api/query/engage');
    assert.deepEqual(
      pages.map((request) => [request.form.page ?? '0', request.form.session_id]),
      [
        ['0', undefined],
        ['1', 'fake-session-1'],
        ['2', 'fake-session-1'],
      ],
    );
    const lines = gunzipSync(readFileSync(join(dataDir(), 'profiles.people.ndjson.gz')))
      .toString('utf8')
      .trim()
      .split('\n');
    assert.deepEqual(
      lines.map((line) => JSON.parse(line)),
      PROFILES.map((profile) => ({ $distinct_id: profile.distinctId, $properties: profile.properties })),
    );
    assert.equal(manifest().profiles?.profiles, 5);
    assert.match(cli.out, /5 profiles/);
    writeFileSync(
      join(dir, 'pro.aq'),
      `use local "offline"

### Pro page views
segmentation "Page View"
  where user["plan"] == "pro"
  from 2026-10-01 to 2026-10-01
  unit day
`,
    );
    const run = io();
    assert.equal(await runCli(['run', 'pro.aq', '--format', 'json'], run), 0, run.err);
    const [result] = JSON.parse(run.out) as Array<{ data: { series: Array<{ values: number[] }> } }>;
    const proUsers = new Set(PROFILES.filter((profile) => profile.properties.plan === 'pro').map((profile) => profile.distinctId));
    assert.equal(result.data.series[0].values[0], EVENTS.filter((event) => event.event === 'Page View' && proUsers.has(event.properties.distinct_id)).length);
  });

  it('exits 2 without a request for usage and configuration errors', async () => {
    const cases: Array<[string[], RegExp, Record<string, string>?]> = [
      [['pull'], /aq pull: missing SOURCE\nusage: aq pull SOURCE --from/],
      [['pull', 'prod', '--to', '2026-10-01'], /missing --from YYYY-MM-DD/],
      [['pull', 'prod', '--from', '2026-10-01'], /missing --to YYYY-MM-DD/],
      [['pull', 'prod', '--from', '2026-02-30', '--to', '2026-03-01'], /--from must be a date as YYYY-MM-DD \(got "2026-02-30"\)/],
      [['pull', 'prod', '--from', '2026-10-03', '--to', '2026-10-01'], /--from 2026-10-03 is after --to 2026-10-01/],
      [['pull', 'prod', '--from', '2026-10-01', '--to', '2999-01-01'], /--to 2999-01-01 is in the future/],
      [['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-01', '--add-source', 'bad name'], /--add-source "bad name": use letters/],
      [['pull', 'nope', '--from', '2026-10-01', '--to', '2026-10-01'], /no source named "nope" in aq\.json \(known: prod, site\)/],
      [['pull', 'site', '--from', '2026-10-01', '--to', '2026-10-01'], /"site" is a piwik source; events are pulled from Mixpanel sources only/],
      [
        ['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-01'],
        /needs AQ_PROD_USERNAME and AQ_PROD_SECRET/,
        { AQ_PROD_USERNAME: '', AQ_PROD_SECRET: '' },
      ],
    ];
    for (const [args, message, env] of cases) {
      const cli = io(env);
      assert.equal(await runCli(args, cli), 2, `${args.join(' ')}: ${cli.err}`);
      assert.match(cli.err, message);
    }
    assert.equal(fake.requests.length, 0);
  });

  it('Ctrl+C (SIGINT) keeps the complete days, leaves no partial file and exits 1; the same command continues', async () => {
    ensureBuilt();
    const env = { ...process.env, ...io().env };
    const child = spawn(process.execPath, [join(DIST_DIR, 'cli.js'), 'pull', 'prod', '--from', '2026-10-03', '--to', '2026-10-04'], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => {
      const before = stderr;
      stderr += chunk.toString('utf8');
      // Interrupt once the large day is flowing.
      if (!/2026-10-03: 1 event/.test(before) && /2026-10-03: 1 event/.test(stderr)) setTimeout(() => child.kill('SIGINT'), 200);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 1, stderr);
    assert.match(stderr, /aq pull: interrupted; 1 complete day kept, no partial file left\. Run the same command again to pull the rest\./);
    assert.match(stdout, /pulled 1 day of "prod"/);
    assert.deepEqual(readdirSync(dataDir()).sort(), ['2026-10-03.ndjson.gz', 'aq-pull.json']);
    assert.ok(
      fake.exportRequests().some((request) => request.query.from_date === '2026-10-04'),
      'the large day had started',
    );
    fake.requests.length = 0;
    const again = io();
    assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-03', '--to', '2026-10-03'], again), 0, again.err);
    assert.equal(fake.exportRequests().length, 0, 'the complete day is not asked for again');
  });

  it("refuses a folder holding another project's pull", async () => {
    assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-01'], io()), 0);
    const text = readFileSync(join(dataDir(), 'aq-pull.json'), 'utf8').replace(`"projectId": ${PROJECT_ID}`, '"projectId": 99');
    writeFileSync(join(dataDir(), 'aq-pull.json'), text);
    fake.requests.length = 0;
    const cli = io();
    assert.equal(await runCli(['pull', 'prod', '--from', '2026-10-01', '--to', '2026-10-02'], cli), 2);
    assert.match(cli.err, /holds events of Mixpanel project 99 .* choose another --output folder/);
    assert.equal(fake.requests.length, 0);
  });
});

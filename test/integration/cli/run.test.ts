/**
 * `aq run` as a user runs it on exported events: a workspace with aq.json and a local NDJSON file,
 * each output format, query selection, and the usage and file errors with their exit codes. The
 * `--format json` contract: a JQL query's `raw` is the value main() returned, locally and from
 * Mixpanel (the fake on 127.0.0.1), and a query that failed is an element with an `error`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CliIo } from '../../../server/src/cli/cliIo';
import { runCommand } from '../../../server/src/cli/runCommand';
import { disposeJqlWorkers } from '../../../server/src/queryEngine/backends/local/jql/jqlRuntime';
import { MIXPANEL_FIXTURE_EVENTS, startFakeMixpanel, type FakeMixpanel } from '../../fake-apis/fakeMixpanel';

let dir: string;

const QUERIES = `use local "events"

### Sign-ups by plan
segmentation "Sign Up"
  on properties["plan"]
  from 2026-10-01 to 2026-10-02
  unit day

### Purchases
segmentation "Purchase"
  from 2026-10-01 to 2026-10-02
  unit day
`;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'aq-run-'));
  const at = (day: number, hour: number): number => Date.UTC(2026, 9, day, hour) / 1000;
  const events = [
    { event: 'Sign Up', properties: { time: at(1, 9), distinct_id: 'u1', plan: 'free', $insert_id: 'a1' } },
    { event: 'Sign Up', properties: { time: at(1, 10), distinct_id: 'u2', plan: 'team', $insert_id: 'a2' } },
    { event: 'Sign Up', properties: { time: at(2, 11), distinct_id: 'u3', plan: 'free', $insert_id: 'a3' } },
    { event: 'Purchase', properties: { time: at(2, 12), distinct_id: 'u1', $insert_id: 'a4' } },
    // An SDK retry: the same event twice, which the engine drops (and says so).
    { event: 'Purchase', properties: { time: at(2, 12), distinct_id: 'u1', $insert_id: 'a4' } },
  ];
  writeFileSync(join(dir, 'events.ndjson'), `${events.map((event) => JSON.stringify(event)).join('\n')}\n`);
  writeFileSync(join(dir, 'aq.json'), JSON.stringify({ sources: { events: { kind: 'local', path: 'events.ndjson' } } }));
  writeFileSync(join(dir, 'shop.aq'), QUERIES);
});

after(() => rmSync(dir, { recursive: true, force: true }));

function io(env: Record<string, string> = {}, cwd = dir): CliIo & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    cwd,
    env: { AQ_CACHE_DIR: join(cwd, '.aq-cache'), ...env },
    stdout: (text: string) => void (captured.out += text),
    stderr: (text: string) => void (captured.err += text),
  };
  return captured;
}

describe('aq run', () => {
  it('runs one query by title as CSV with the counts of the data', async () => {
    const cli = io();
    assert.equal(await runCommand(['shop.aq', '--query', 'sign-ups by plan', '--format', 'csv'], cli), 0, cli.err);
    // One row per day, one column per plan (CSV lines end in CRLF, RFC 4180).
    assert.equal(cli.out, 'Date,free,team\r\n2026-10-01,1,1\r\n2026-10-02,1,0\r\n');
    assert.match(cli.err, /✓ Sign-ups by plan: \d+ rows/);
  });

  it('runs every query by default, saying a warning about the data once, and picks one by number', async () => {
    const all = io();
    assert.equal(await runCommand(['shop.aq'], all), 0, all.err);
    assert.match(all.err, /✓ Sign-ups by plan/);
    assert.match(all.err, /✓ Purchases/);
    assert.equal(all.out.match(/warning: dropped 1 duplicate event/g)?.length, 1, all.out);
    assert.match(all.out, /Purchases · local:events/);
    const second = io();
    assert.equal(await runCommand(['shop.aq', '-q', '2', '--format', 'json'], second), 0, second.err);
    const result = JSON.parse(second.out) as { title: string };
    assert.equal(result.title, 'Purchases');
  });

  it('exits 2 with one clear line for usage and file errors', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /aq run: missing FILE\nusage: aq run FILE/],
      [['shop.aq', '--format', 'xml'], /--format must be one of table, csv, json/],
      [['shop.aq', '--query'], /--query needs a title or a number/],
      [['shop.aq', '--verbose'], /unknown option --verbose/],
      [['shop.aq', 'other.aq'], /one FILE only \(got "shop.aq" and "other.aq"\)/],
      [['nope.aq'], /aq run: nope.aq: no such file/],
      [['shop.aq', '--query', 'Refunds'], /no query titled "Refunds" \(titles: "Sign-ups by plan", "Purchases"\)/],
      [['shop.aq', '--source', 'prod'], /no source named "prod" in aq.json \(known: events\)/],
    ];
    for (const [args, message] of cases) {
      const cli = io();
      assert.equal(await runCommand(args, cli), 2, `${args.join(' ')}: ${cli.err}`);
      assert.match(cli.err, message);
      assert.equal(cli.out, '');
    }
  });
});

describe('aq run --format json on JQL queries', () => {
  // The fake Mixpanel's events, also written as a raw export for a local source: the same script
  // must give the same answer on both.
  const PURCHASES_BY_BROWSER = `function main() {
  return Events({from_date: params.from_date, to_date: params.to_date, event_selectors: [{event: "Purchase"}]})
    .groupBy(["properties.browser"], [mixpanel.reducer.count(), mixpanel.reducer.sum("properties.amount")]);
}
`;
  const IMPOSSIBLE_DATE = 'function main() { return Events({from_date: "2026-08-32", to_date: "2026-09-01"}).reduce(mixpanel.reducer.count()); }\n';
  const JQL_QUERIES = `### Purchases by browser
jql "purchases.jql"
  from 2026-10-01 to 2026-10-03

### Impossible date
jql "impossible.jql"
  from 2026-10-01 to 2026-10-03

### Purchases again
jql "purchases.jql"
  from 2026-10-01 to 2026-10-03
`;
  let workspace: string;
  let fake: FakeMixpanel;
  let env: Record<string, string>;

  before(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'aq-run-jql-'));
    fake = await startFakeMixpanel({ projects: { 77: { region: 'US', serviceAccounts: [{ username: 'sa.user', secret: 'sa-secret-4242' }] } } });
    env = { AQ_PROD_USERNAME: 'sa.user', AQ_PROD_SECRET: 'sa-secret-4242', AQ_PROD_BASE_URL: fake.url };
    const lines = MIXPANEL_FIXTURE_EVENTS.map((event) =>
      JSON.stringify({ event: event.event, properties: { time: Date.parse(event.time) / 1000, distinct_id: event.distinctId, ...event.properties } }),
    );
    writeFileSync(join(workspace, 'events.ndjson'), `${lines.join('\n')}\n`);
    writeFileSync(
      join(workspace, 'aq.json'),
      JSON.stringify({ sources: { events: { kind: 'local', path: 'events.ndjson' }, prod: { kind: 'mixpanel', projectId: 77, region: 'US' } } }),
    );
    writeFileSync(join(workspace, 'purchases.jql'), PURCHASES_BY_BROWSER);
    writeFileSync(join(workspace, 'impossible.jql'), IMPOSSIBLE_DATE);
    writeFileSync(join(workspace, 'shop.aq'), JQL_QUERIES);
  });

  after(async () => {
    await disposeJqlWorkers();
    await fake.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  interface JsonElement {
    title: string;
    raw?: unknown;
    data?: { columns: Array<{ name: string }>; rows: unknown[][] };
    query?: number;
    error?: { kind: string; message: string };
  }

  for (const source of ['events', 'prod']) {
    it(`on the ${source === 'events' ? 'local' : 'Mixpanel'} source: raw is main()'s value, each reducer of a list is a column, a failed query is an error element`, async () => {
      const cli = io(env, workspace);
      // A query failed: exit 1, as documented, and the other queries still print.
      assert.equal(await runCommand(['shop.aq', '--source', source, '--format', 'json'], cli), 1, cli.err);
      const elements = JSON.parse(cli.out) as JsonElement[];
      assert.deepEqual(
        elements.map((element) => element.title),
        ['Purchases by browser', 'Impossible date', 'Purchases again'],
      );
      const [purchases, impossible, again] = elements;
      // Chrome bought 30 + 20 + 50; a list of reducers gives a list of values per group.
      assert.deepEqual(purchases.raw, [{ key: ['Chrome'], value: [3, 100] }]);
      assert.deepEqual(again.raw, purchases.raw);
      assert.deepEqual(
        purchases.data?.columns.map((column) => column.name),
        ['key', 'value 1', 'value 2'],
      );
      assert.deepEqual(purchases.data?.rows, [['Chrome', 3, 100]]);
      assert.equal(impossible.query, 2);
      assert.equal(impossible.raw, undefined);
      assert.match(impossible.error?.message ?? '', /from_date "2026-08-32" is not a date in the calendar/);
      assert.match(cli.err, /✗ Impossible date: /);
    });
  }

  it('a query that cannot be built is an error element too, with the line of the problem', async () => {
    writeFileSync(
      join(workspace, 'broken.aq'),
      'use local "events"\n\n### Unfinished\njql "purchases.jql"\n  from 2026-10-01 to\n\n### Fine\njql "purchases.jql"\n  from 2026-10-01 to 2026-10-03\n',
    );
    const cli = io(env, workspace);
    assert.equal(await runCommand(['broken.aq', '--format', 'json'], cli), 1, cli.err);
    const [unfinished, fine] = JSON.parse(cli.out) as JsonElement[];
    assert.equal(unfinished.title, 'Unfinished');
    assert.equal(unfinished.query, 1);
    assert.equal(unfinished.error?.kind, 'syntax');
    assert.match(unfinished.error?.message ?? '', /^line 5: /);
    assert.deepEqual(fine.raw, [{ key: ['Chrome'], value: [3, 100] }]);
  });

  it('prints the failed query alone when --query picks it', async () => {
    const cli = io(env, workspace);
    assert.equal(await runCommand(['shop.aq', '--query', 'Impossible date', '--source', 'events', '--format', 'json'], cli), 1, cli.err);
    const element = JSON.parse(cli.out) as JsonElement;
    assert.equal(element.title, 'Impossible date');
    assert.equal(element.query, 2);
    assert.equal(element.error?.kind, 'script');
  });
});

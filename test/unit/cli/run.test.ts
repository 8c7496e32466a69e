/**
 * `aq run` as a user runs it on exported events: a workspace with aq.json and a local NDJSON file,
 * each output format, query selection, and the usage and file errors with their exit codes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CliIo } from '../../../server/src/cli/cliIo';
import { runCommand } from '../../../server/src/cli/runCommand';

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

function io(): CliIo & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    cwd: dir,
    env: { AQ_CACHE_DIR: join(dir, '.aq-cache') },
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

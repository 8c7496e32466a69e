/**
 * What `aq run` adds for reading a result at a glance: the headline on the ✓ line, the notice when
 * `limit` left segments out (with how many there were), and the Markdown and Cyfe formats.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CliIo } from '../../../server/src/cli/cliIo';
import { runCommand } from '../../../server/src/cli/runCommand';
import { startFakeMixpanel, type FakeMixpanel } from '../../fake-apis/fakeMixpanel';

let dir: string;

const QUERIES = `use local "events"

### Sign-ups by country
segmentation "Sign Up"
  on properties["country"]
  from 2026-10-01 to 2026-10-02
  limit 3

### Sign-ups per day
segmentation "Sign Up"
  from 2026-10-01 to 2026-10-02
  unit day

### Checkout
funnel "Sign Up" -> "Purchase"
  from 2026-10-01 to 2026-10-02
`;

/** 5 countries: 5, 4, 3, 2 and 1 sign-ups; a purchase by 3 of the 15 users. */
const COUNTRIES = ['FR', 'DE', 'US', 'GB', 'IT'];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'aq-run-aids-'));
  const events: object[] = [];
  let user = 0;
  COUNTRIES.forEach((country, rank) => {
    for (let index = 0; index < 5 - rank; index++) {
      user++;
      const day = user <= 6 ? 1 : 2;
      events.push({
        event: 'Sign Up',
        properties: { time: Date.UTC(2026, 9, day, 9) / 1000 + user, distinct_id: `u${user}`, country, $insert_id: `s${user}` },
      });
      if (user % 5 === 0)
        events.push({ event: 'Purchase', properties: { time: Date.UTC(2026, 9, day, 10) / 1000 + user, distinct_id: `u${user}`, $insert_id: `p${user}` } });
    }
  });
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

describe('aq run reading aids', () => {
  it('says how many segments `limit` left out, and shows only the top ones', async () => {
    const cli = io();
    assert.equal(await runCommand(['shop.aq', '--query', '1', '--format', 'csv'], cli), 0, cli.err);
    assert.match(cli.err, /showing 3 of 5 segments — raise limit/);
    assert.equal(cli.out.split('\r\n')[0], 'Date,FR,DE,US');
  });

  it('puts the headline on the ✓ line: the total, the last bucket with its change, a funnel conversion', async () => {
    const cli = io();
    assert.equal(await runCommand(['shop.aq', '--format', 'csv'], cli), 0, cli.err);
    assert.match(cli.err, /✓ Sign-ups by country: .* · 12 events\n/, 'the top 3 countries add up to 5 + 4 + 3');
    // 6 sign-ups on the 1st, 9 on the 2nd: +50 %.
    assert.match(cli.err, /✓ Sign-ups per day: .* · 2026-10-02: 9 events \(\+50\.0 % vs the day before\)\n/);
    assert.match(cli.err, /✓ Checkout: .* · 15 → 3 · 20\.0 %\n/);
    assert.doesNotMatch(cli.err, /Sign-ups per day.*\n\s+showing/, 'no limit notice where nothing was cut');
  });

  it('--format markdown prints a table to paste into a pull request', async () => {
    const cli = io();
    assert.equal(await runCommand(['shop.aq', '--query', '1', '--format', 'markdown'], cli), 0, cli.err);
    const lines = cli.out.trim().split('\n');
    assert.match(lines[0], /^\*\*Sign\\-ups by country\*\* · 2026\\-10\\-01 → 2026\\-10\\-02 · 12 events · showing 3 of 5 segments$/);
    assert.equal(lines[2], '| Date | FR | DE | US |');
    assert.equal(lines[3], '| --- | ---: | ---: | ---: |');
    assert.equal(lines.length, 6);
  });

  it('--format cyfe prints the Cyfe CSV: dates as YYYYMMDD', async () => {
    const cli = io();
    assert.equal(await runCommand(['shop.aq', '--query', '2', '--format', 'cyfe'], cli), 0, cli.err);
    const [header, first] = cli.out.split('\r\n');
    assert.match(header, /^Date,/);
    assert.match(first, /^20261001,6$/);
  });

  it('an unknown format names the new ones', async () => {
    const cli = io();
    assert.equal(await runCommand(['shop.aq', '--format', 'html'], cli), 2);
    assert.match(cli.err, /table, csv, json, markdown, cyfe/);
  });
});

describe('aq run when limit keeps every segment', () => {
  it('says nothing about the limit when the segments number exactly the limit', async () => {
    writeFileSync(
      join(dir, 'exact.aq'),
      'use local "events"\n\nsegmentation "Sign Up"\n  on properties["country"]\n  from 2026-10-01 to 2026-10-02\n  limit 5\n',
    );
    const cli = io();
    assert.equal(await runCommand(['exact.aq', '--format', 'csv'], cli), 0, cli.err);
    assert.doesNotMatch(cli.err, /showing/);
  });
});

describe('aq run with compare previous', () => {
  it('runs the preceding range of the same length and prints the change columns and the change in the headline', async () => {
    writeFileSync(
      join(dir, 'compare.aq'),
      'use local "events"\n\n### Sign-ups vs the day before\nsegmentation "Sign Up"\n  from 2026-10-02 to 2026-10-02\n  compare previous\n',
    );
    const cli = io();
    assert.equal(await runCommand(['compare.aq', '--format', 'csv'], cli), 0, cli.err);
    // 9 sign-ups on the 2nd against 6 on the 1st.
    assert.equal(cli.out, 'Date,Previous date,Count,Count previous,Count change,Count change %\r\n2026-10-02,2026-10-01,9,6,3,50\r\n');
    assert.match(cli.err, /· 9 events \(\+50\.0 % vs the previous period\)\n/);
  });

  it('a misspelt compare value is a lint error that names the one it takes', async () => {
    writeFileSync(join(dir, 'bad-compare.aq'), 'use local "events"\n\nsegmentation "Sign Up"\n  from 2026-10-02 to 2026-10-02\n  compare last\n');
    const cli = io();
    assert.equal(await runCommand(['bad-compare.aq'], cli), 1);
    assert.match(cli.err, /previous/);
  });
});

describe('aq run on Mixpanel, which never says how many segments `limit` left out', () => {
  let workspace: string;
  let fake: FakeMixpanel;
  let env: Record<string, string>;

  before(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'aq-run-mixpanel-limit-'));
    fake = await startFakeMixpanel({ projects: { 77: { region: 'US', serviceAccounts: [{ username: 'sa.user', secret: 'sa-secret-4242' }] } } });
    env = { AQ_PROD_USERNAME: 'sa.user', AQ_PROD_SECRET: 'sa-secret-4242', AQ_PROD_BASE_URL: fake.url, AQ_CACHE_DIR: join(workspace, '.aq-cache') };
    writeFileSync(join(workspace, 'aq.json'), JSON.stringify({ sources: { prod: { kind: 'mixpanel', projectId: 77, region: 'US' } } }));
    // The fixture's events come from two browsers, Chrome and Firefox.
    const query = (limit: number) =>
      `### Events by browser, limit ${limit}\nsegmentation "Page View"\n  on properties["browser"]\n  from 2026-10-01 to 2026-10-03\n  limit ${limit}\n`;
    writeFileSync(join(workspace, 'browsers.aq'), `use mixpanel "prod"\n\n${query(1)}\n${query(5)}`);
  });

  after(async () => {
    await fake.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('a full page of segments reads "there may be more"; a page with room to spare says nothing', async () => {
    let err = '';
    const cli: CliIo = { cwd: workspace, env, stdout: () => undefined, stderr: (text) => void (err += text) };
    assert.equal(await runCommand(['browsers.aq', '--format', 'csv'], cli), 0, err);
    const [first, second] = err.split('▸ ').slice(1);
    assert.match(first, /showing the first 1 segment \(limit 1\), there may be more — raise limit/);
    assert.doesNotMatch(second, /showing/);
  });
});

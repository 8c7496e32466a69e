/**
 * `aq send` and `aq watch` as a user runs them: a workspace with aq.json, secrets in AQ_*
 * variables, base URLs pointing at the fake APIs, output and exit codes checked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CliIo } from '../../../server/src/cli/cliIo';
import { sendCommand } from '../../../server/src/cli/sendCommand';
import { parseInterval, watchCommand } from '../../../server/src/cli/watchCommand';
import { startFakeMixpanelImport, type FakeMixpanelImport } from '../../fake-apis/fakeMixpanelImport';
import { startFakeMparticle, type FakeMparticle } from '../../fake-apis/fakeMparticle';
import { startFakePiwikWatch, WATCH_APP_ID, type FakePiwikWatch } from '../../fake-apis/fakePiwikWatch';
import { startFakeSlack, type FakeSlack } from '../../fake-apis/fakeSlack';

let dir: string;
let mixpanel: FakeMixpanelImport;
let mparticle: FakeMparticle;
let piwik: FakePiwikWatch;
let slack: FakeSlack;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aq-workflows-'));
  mixpanel = await startFakeMixpanelImport({ projectId: 77, username: 'sa.user', secret: 'sa-secret-4242' });
  mparticle = await startFakeMparticle({ apiKey: 'key-1', apiSecret: 'secret-1' });
  piwik = await startFakePiwikWatch({ clientId: 'cid', clientSecret: 'csecret-77', now: Date.now });
  slack = await startFakeSlack();
  writeFileSync(
    join(dir, 'aq.json'),
    JSON.stringify({
      sources: {
        prod: { kind: 'mixpanel', projectId: 77, region: 'US' },
        site: { kind: 'piwik', url: 'https://shop.piwik.pro', appId: WATCH_APP_ID },
        mp: { kind: 'mparticle', pod: 'EU1' },
      },
    }),
  );
});

after(async () => {
  await Promise.all([mixpanel.close(), mparticle.close(), piwik.close(), slack.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** A command's io; each gets its own cache folder (aq watch remembers there) unless `env` names one. */
function io(env: Record<string, string> = {}): CliIo & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    cwd: dir,
    env: { AQ_CACHE_DIR: mkdtempSync(join(dir, 'cache-')), ...env },
    stdout: (text: string) => void (captured.out += text),
    stderr: (text: string) => void (captured.err += text),
  };
  return captured;
}

const MIXPANEL_ENV = () => ({ AQ_PROD_USERNAME: 'sa.user', AQ_PROD_SECRET: 'sa-secret-4242', AQ_PROD_BASE_URL: mixpanel.url });

describe('aq send', () => {
  it('sends a Mixpanel file, prints rejected records with their lines, and exits 1', async () => {
    const now = Math.floor(Date.now() / 1000) - 60;
    writeFileSync(
      join(dir, 'day.events.ndjson'),
      [
        JSON.stringify({ event: 'Sign Up', properties: { time: now, distinct_id: 'u1' } }),
        JSON.stringify({ event: 'Sign Up', properties: { distinct_id: 'u2' } }),
        JSON.stringify({ event: 'Purchase', properties: { time: now, distinct_id: 'u3' } }),
      ].join('\n'),
    );
    const cli = io(MIXPANEL_ENV());
    const code = await sendCommand(['day.events.ndjson', '--source', 'prod'], cli);
    assert.equal(code, 1, cli.err);
    assert.match(cli.out, /day\.events\.ndjson:2: rejected: .*seconds since epoch \(properties\.time\)/);
    assert.match(cli.out, /sent 1 request \(2 accepted events\), skipped 0 already sent, 1 rejected event, 0 failed requests/);
    assert.equal(mixpanel.store.size, 2);
    assert.ok(!(cli.out + cli.err).includes('sa-secret-4242'));
  });

  it('plans without sending on --dry-run', async () => {
    const requests = mixpanel.requests();
    const cli = io(MIXPANEL_ENV());
    assert.equal(await sendCommand(['day.events.ndjson', '--source', 'prod', '--dry-run'], cli), 0);
    assert.match(cli.out, /3 events in 1 request to mixpanel source "prod" \(dry run/);
    assert.equal(mixpanel.requests(), requests);
  });

  it('sends an mParticle batch file with the key and secret from the environment', async () => {
    writeFileSync(
      join(dir, 'users.mparticle.json'),
      JSON.stringify({ environment: 'development', user_identities: { customer_id: '1' }, events: [{ event_type: 'session_start', data: {} }] }),
    );
    const cli = io({ AQ_MP_API_KEY: 'key-1', AQ_MP_API_SECRET: 'secret-1', AQ_MP_BASE_URL: mparticle.url });
    assert.equal(await sendCommand(['users.mparticle.json', '--source', 'mp'], cli), 0, cli.err);
    assert.equal(mparticle.batches.length, 1);
    assert.match(cli.out, /sent 1 request \(1 accepted batch\)/);
  });

  it('exits 2 with a clear message for missing credentials or an unknown source', async () => {
    const missing = io();
    assert.equal(await sendCommand(['day.events.ndjson', '--source', 'prod'], missing), 2);
    assert.match(missing.err, /AQ_PROD_USERNAME and AQ_PROD_SECRET/);
    const unknown = io();
    assert.equal(await sendCommand(['day.events.ndjson', '--source', 'nope'], unknown), 2);
    assert.match(unknown.err, /no source named "nope" in aq\.json \(known: prod, site, mp\)/);
  });

  it('explains a source aq.json names but cannot use instead of calling it unknown', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'aq-badpod-'));
    writeFileSync(join(workspace, 'aq.json'), JSON.stringify({ sources: { eu: { kind: 'mparticle', pod: 'EU9' } } }));
    writeFileSync(join(workspace, 'users.mparticle.json'), JSON.stringify({ environment: 'development', events: [] }));
    const cli = io({ AQ_EU_API_KEY: 'key-1', AQ_EU_API_SECRET: 'secret-1' });
    cli.cwd = workspace;
    try {
      assert.equal(await sendCommand(['users.mparticle.json', '--source', 'eu'], cli), 2);
      assert.match(cli.err, /source "eu": "pod" must be one of US1, US2, EU1, AU1/);
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });
});

describe('aq watch', () => {
  it('polls once, prints the broken event and posts it to Slack', async () => {
    const recent = new Date(Date.now() - 5 * 60_000).toISOString().slice(0, 19);
    piwik.putSession({
      id: '5632530715433106129',
      entryUrl: 'https://shop.example/',
      events: [
        {
          id: '6719694023305478883',
          type: [17, 'Broken event'],
          time: recent,
          errorMessage: 'Invalid <idsite>',
          log: { idsite: WATCH_APP_ID, url: 'https://shop.example/' },
        },
      ],
    });
    writeFileSync(join(dir, 'watch.aq'), `use piwik "site"\n### Broken events\ndebugger "${WATCH_APP_ID}"\n  event_type broken\n  lookup_window 60\n`);
    const cli = io({ AQ_SITE_CLIENT_ID: 'cid', AQ_SITE_CLIENT_SECRET: 'csecret-77', AQ_SITE_BASE_URL: piwik.url, AQ_SLACK_WEBHOOK_URL: slack.webhookUrl });
    const code = await watchCommand(['watch.aq', '--query', 'Broken events', '--once', '--slack'], cli);
    assert.equal(code, 1, cli.err);
    assert.match(cli.out, /Broken event 6719694023305478883 at .*: Invalid <idsite>/);
    assert.equal(piwik.debuggerRequests().at(-1)?.query.lookup_window, '60');
    assert.equal(slack.messages.length, 1);
    assert.match(slack.messages[0], /Invalid &lt;idsite&gt;/);
  });

  it('refuses a query that is not a debugger query, and --slack without a webhook', async () => {
    writeFileSync(join(dir, 'seg.aq'), 'use mixpanel "prod"\n### Sign ups\nsegmentation "Sign Up"\n  last 7 days\n');
    const notDebugger = io();
    assert.equal(await watchCommand(['seg.aq', '--query', '1', '--once'], notDebugger), 2);
    assert.match(notDebugger.err, /no debugger query|only debugger queries/);
    const noHook = io();
    assert.equal(await watchCommand(['watch.aq', '--slack', '--once'], noHook), 2);
    assert.match(noHook.err, /AQ_SLACK_WEBHOOK_URL/);
  });

  it('remembers across --once runs what it reported, until --fresh', async () => {
    const recent = new Date(Date.now() - 3 * 60_000).toISOString().slice(0, 19);
    piwik.putSession({
      id: '5632530715433106777',
      entryUrl: 'https://shop.example/cron',
      events: [
        {
          id: '6719694023305470777',
          type: [17, 'Broken event'],
          time: recent,
          errorMessage: 'Cron-found',
          log: { idsite: WATCH_APP_ID, url: 'https://shop.example/cron' },
        },
      ],
    });
    writeFileSync(join(dir, 'cron.aq'), `use piwik "site"\n### Broken events\ndebugger "${WATCH_APP_ID}"\n  event_type broken\n  lookup_window 60\n`);
    const cacheDir = mkdtempSync(join(dir, 'cron-cache-'));
    const env = { AQ_SITE_CLIENT_ID: 'cid', AQ_SITE_CLIENT_SECRET: 'csecret-77', AQ_SITE_BASE_URL: piwik.url, AQ_CACHE_DIR: cacheDir };
    const run = async (...extra: string[]) => {
      const cli = io(env);
      const code = await watchCommand(['cron.aq', '--query', 'Broken events', '--once', ...extra], cli);
      return { code, cli, window: Number(piwik.debuggerRequests().at(-1)?.query.lookup_window) };
    };

    const first = await run();
    assert.equal(first.code, 1, first.cli.err);
    assert.match(first.cli.out, /Broken event 6719694023305470777 at .*: Cron-found/);
    assert.equal(first.window, 60);
    assert.equal(readdirSync(join(cacheDir, 'watch')).filter((name) => name.endsWith('.json')).length, 1);

    // The next cron run: same event still in the debugger, not reported; the window starts at the last run.
    const second = await run();
    assert.equal(second.code, 0, second.cli.err);
    assert.doesNotMatch(second.cli.out, /6719694023305470777/);
    assert.match(second.cli.err, /0 new events/);
    assert.ok(second.window <= 3, `asked for ${second.window} minutes`);

    const fresh = await run('--fresh');
    assert.equal(fresh.code, 1, fresh.cli.err);
    assert.match(fresh.cli.out, /Broken event 6719694023305470777/);
    assert.equal(fresh.window, 60);
    assert.equal(fresh.cli.err.includes('could not save'), false);
  });

  it('warns, and still reports, when the memory cannot be saved', async () => {
    writeFileSync(join(dir, 'cron.aq'), `use piwik "site"\n### Broken events\ndebugger "${WATCH_APP_ID}"\n  event_type broken\n  lookup_window 60\n`);
    const recent = new Date(Date.now() - 60_000).toISOString().slice(0, 19);
    piwik.putSession({ id: '5632530715433106888', events: [{ id: '6719694023305470888', type: [17, 'Broken event'], time: recent, errorMessage: 'Unsaved' }] });
    const blocker = join(dir, 'cache-is-a-file');
    writeFileSync(blocker, '');
    const cli = io({ AQ_SITE_CLIENT_ID: 'cid', AQ_SITE_CLIENT_SECRET: 'csecret-77', AQ_SITE_BASE_URL: piwik.url, AQ_CACHE_DIR: blocker });
    const code = await watchCommand(['cron.aq', '--query', 'Broken events', '--once'], cli);
    assert.equal(code, 1, cli.err);
    assert.match(cli.out, /Broken event 6719694023305470888 at .*: Unsaved/);
    assert.equal(cli.err.match(/could not save what was reported/g)?.length, 1, cli.err);
  });

  it('reads intervals like 30s, 5m and 1h', () => {
    assert.equal(parseInterval('30s'), 30_000);
    assert.equal(parseInterval('5m'), 300_000);
    assert.equal(parseInterval('1h'), 3_600_000);
    assert.equal(parseInterval('5'), 300_000);
    assert.equal(parseInterval('five'), undefined);
  });
});

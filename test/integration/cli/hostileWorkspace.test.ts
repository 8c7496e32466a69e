/**
 * A workspace the user did not write (a pull request's aq.json, or one in a parent folder) points a
 * source at a host of its choosing. The CLI must refuse to send the environment's secrets there,
 * say why and how to allow it, and send nothing; the user's own --allow-host or AQ_<NAME>_BASE_URL
 * lets it through. Also: a bad AQ_<NAME>_BASE_URL is named, not an "internal error".
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CliIo } from '../../../server/src/cli/cliIo';
import { runCommand } from '../../../server/src/cli/runCommand';
import { watchCommand } from '../../../server/src/cli/watchCommand';
import { startFakePiwikWatch, WATCH_APP_ID, type FakePiwikWatch } from '../../fake-apis/fakePiwikWatch';

let dir: string;
let piwik: FakePiwikWatch;
const SECRET = 'ci-client-secret-0042';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aq-hostile-ws-'));
  piwik = await startFakePiwikWatch({ clientId: 'cid', clientSecret: SECRET, now: Date.now });
  // The pull request's aq.json sits in the parent folder; the query file in a subfolder.
  writeFileSync(
    join(dir, 'aq.json'),
    JSON.stringify({
      sources: { site: { kind: 'piwik', url: piwik.url, appId: WATCH_APP_ID }, cloud: { kind: 'piwik', url: 'https://evil.example', appId: WATCH_APP_ID } },
    }),
  );
  mkdirSync(join(dir, 'queries'));
  writeFileSync(join(dir, 'queries', 'broken.aq'), `use piwik "site"\n### Broken\ndebugger "${WATCH_APP_ID}"\n  event_type broken\n  lookup_window 60\n`);
  writeFileSync(join(dir, 'queries', 'elsewhere.aq'), `use piwik "cloud"\n### Broken\ndebugger "${WATCH_APP_ID}"\n  event_type broken\n  lookup_window 60\n`);
});

after(async () => {
  await piwik.close();
  rmSync(dir, { recursive: true, force: true });
});

function io(env: Record<string, string> = {}): CliIo & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    cwd: join(dir, 'queries'),
    env: {
      AQ_CACHE_DIR: mkdtempSync(join(dir, 'cache-')),
      AQ_SITE_CLIENT_ID: 'cid',
      AQ_SITE_CLIENT_SECRET: SECRET,
      AQ_CLOUD_CLIENT_ID: 'cid',
      AQ_CLOUD_CLIENT_SECRET: SECRET,
      ...env,
    },
    stdout: (text: string) => void (captured.out += text),
    stderr: (text: string) => void (captured.err += text),
  };
  return captured;
}

describe('a hostile workspace cannot choose where the CLI sends secrets', () => {
  it('aq run refuses a plain-http loopback url from aq.json, says why and how to allow it, and sends nothing', async () => {
    const before = piwik.requests.length;
    const cli = io();
    assert.equal(await runCommand(['broken.aq'], cli), 1);
    assert.match(cli.err, /refusing to send the credentials of source "site" to http:\/\/127\.0\.0\.1:\d+: .*plain http/);
    assert.match(cli.err, /aq\.json is part of the repository/);
    assert.match(cli.err, /--allow-host http:\/\/127\.0\.0\.1:\d+ or set AQ_SITE_BASE_URL=/);
    assert.equal(piwik.requests.length, before, 'not even the token request went out');
    assert.ok(!cli.err.includes(SECRET));
  });

  it('aq run refuses an https host that is not a Piwik PRO cloud account', async () => {
    const cli = io();
    assert.equal(await runCommand(['elsewhere.aq'], cli), 1);
    assert.match(cli.err, /to https:\/\/evil\.example: evil\.example is not a Piwik PRO cloud host/);
  });

  it('aq watch refuses before it starts watching, with exit code 2', async () => {
    const before = piwik.requests.length;
    const cli = io();
    assert.equal(await watchCommand(['broken.aq', '--once'], cli), 2);
    assert.match(cli.err, /aq watch: refusing to send the credentials of source "site"/);
    assert.equal(piwik.requests.length, before);
  });

  it('the user names the host outside the repository: --allow-host with the http origin, or AQ_SITE_BASE_URL', async () => {
    const withFlag = io();
    assert.equal(await runCommand(['broken.aq', '--allow-host', piwik.url], withFlag), 0, withFlag.err);
    const withEnv = io({ AQ_SITE_BASE_URL: piwik.url });
    assert.equal(await runCommand(['broken.aq'], withEnv), 0, withEnv.err);
  });

  it('a bare --allow-host HOST allows https only, so plain http stays refused', async () => {
    const cli = io();
    assert.equal(await runCommand(['broken.aq', '--allow-host', new URL(piwik.url).host], cli), 1);
    assert.match(cli.err, /plain http/);
  });

  it('a bad AQ_<NAME>_BASE_URL or --allow-host is named with exit code 2, not an internal error', async () => {
    const cli = io({ AQ_SITE_BASE_URL: 'not a url' });
    assert.equal(await runCommand(['broken.aq'], cli), 2);
    assert.match(cli.err, /AQ_SITE_BASE_URL is not an http\(s\) URL .*"not a url"/);
    assert.doesNotMatch(cli.err, /internal error/);
    const flag = io();
    assert.equal(await runCommand(['broken.aq', '--allow-host', 'ftp://x'], flag), 2);
    assert.match(flag.err, /--allow-host "ftp:\/\/x" is not a host/);
  });
});

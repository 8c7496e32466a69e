/**
 * `aq run` on a Piwik PRO `report` against the fake Analytics Query API: a table and CSV with enum
 * names, the clause an API error concerns on stderr with its line, and exit code 1.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CliIo } from '../../../server/src/cli/cliIo';
import { runCommand } from '../../../server/src/cli/runCommand';
import { PIWIK_WEBSITE_ID } from '../../fake-apis/fakePiwikAnalytics';
import { startFakePiwikPro, type FakePiwikPro } from '../../fake-apis/fakePiwikPro';

const QUERIES = `use piwik "site"

### Sessions by device
report "${PIWIK_WEBSITE_ID}"
  dimensions device_type
  metrics sessions
  order sessions desc
  from 2026-11-01 to 2026-11-30

### A column the website does not have
report "${PIWIK_WEBSITE_ID}"
  dimensions device_type
  metrics sesions
  from 2026-11-01 to 2026-11-30
`;

let dir: string;
let fake: FakePiwikPro;
let env: Record<string, string>;

before(async () => {
  fake = await startFakePiwikPro({ clients: [{ clientId: 'cli-cid', clientSecret: 'cli-secret-93' }] });
  dir = mkdtempSync(join(tmpdir(), 'aq-run-report-'));
  writeFileSync(join(dir, 'aq.json'), JSON.stringify({ sources: { site: { kind: 'piwik', url: 'https://shop.piwik.pro' } } }));
  writeFileSync(join(dir, 'site.aq'), QUERIES);
  env = { AQ_SITE_CLIENT_ID: 'cli-cid', AQ_SITE_CLIENT_SECRET: 'cli-secret-93', AQ_SITE_BASE_URL: fake.url };
});

after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await fake.close();
});

function io(): CliIo & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    cwd: dir,
    env: { AQ_CACHE_DIR: join(dir, '.aq-cache'), ...env },
    stdout: (text: string) => void (captured.out += text),
    stderr: (text: string) => void (captured.err += text),
  };
  return captured;
}

describe('aq run: report', () => {
  it('writes the report as CSV with the names of enumerated values', async () => {
    const cli = io();
    assert.equal(await runCommand(['site.aq', '--query', '1', '--format', 'csv'], cli), 0, cli.err);
    const lines = cli.out.trim().split(/\r?\n/);
    assert.equal(lines[0], 'device_type,sessions');
    assert.deepEqual(
      lines
        .slice(1)
        .map((line) => line.split(',')[0])
        .sort(),
      ['Desktop', 'Smartphone', 'Tablet'],
    );
    assert.equal(
      lines.slice(1).reduce((sum, line) => sum + Number(line.split(',')[1]), 0),
      120,
    );
  });

  it('names the clause of an API error with its line and exits 1', async () => {
    const cli = io();
    assert.equal(await runCommand(['site.aq', '--query', '2'], cli), 1);
    assert.match(cli.err, /site\.aq:13: error: Piwik PRO rejected the report: Dimension "sesions" does not exist\. \(in 'metrics'\) \[metrics\]/);
    assert.ok(!cli.err.includes('cli-secret-93'));
  });
});

/**
 * `aq lint` with a schemaFile in aq.json that cannot be used: it is a file error (exit 2) with the
 * reason, not a missing schema under which lint would pass without checking any name.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIST_DIR, ensureBuilt, shopLexicon, writeWorkspace } from '../../lsp/lspHarness';

const TYPO = 'use mixpanel "shop"\n\n### Typo\nsegmentation "Sign Upp"\n  last 7 days\n';
let dir: string;

before(() => {
  ensureBuilt();
  dir = writeWorkspace({
    'aq.json': JSON.stringify({ sources: { shop: { kind: 'mixpanel', projectId: 1, region: 'US', schemaFile: 'lexicon.json' } } }),
    'typo.aq': TYPO,
  });
});

after(() => rmSync(dir, { recursive: true, force: true }));

function lint(): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(DIST_DIR, 'cli.js'), 'lint', 'typo.aq'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, AQ_CACHE_DIR: join(dir, '.aq-cache') },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('aq lint with an unusable schemaFile', () => {
  it('a schemaFile that is a folder is a file error with the reason', () => {
    mkdirSync(join(dir, 'lexicon.json'));
    try {
      const result = lint();
      assert.equal(result.status, 2, result.stdout + result.stderr);
      assert.match(result.stderr, /aq lint: the schema of source "shop" could not be read \(check "schemaFile" in aq\.json\): EISDIR/);
      assert.doesNotMatch(result.stderr, /no schema for source/);
    } finally {
      rmSync(join(dir, 'lexicon.json'), { recursive: true });
    }
  });

  it('a schemaFile that is not JSON, or missing, is a file error too', () => {
    writeFileSync(join(dir, 'lexicon.json'), '{"events": [');
    assert.equal(lint().status, 2);
    rmSync(join(dir, 'lexicon.json'));
    const missing = lint();
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /could not be read .*ENOENT/);
  });

  it('a readable schemaFile checks the names (the typo is found, exit 1)', () => {
    writeFileSync(join(dir, 'lexicon.json'), JSON.stringify(shopLexicon()));
    const result = lint();
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stdout, /"Sign Upp"/);
  });
});

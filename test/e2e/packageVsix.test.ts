// The VSIX content check that guards packaging: what must be in the package and what must not.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { MAX_VSIX_BYTES, REPO_ROOT, filesNamedByManifest, findVsixProblems, listZipEntries } from './packageVsix';

const COMPLETE = [
  'package.json',
  'LICENSE',
  'dist/server.js',
  'dist/client.js',
  'dist/jqlWorker.js',
  'dist/mcp.js',
  'dist/webview/resultsApp.js',
  'dist/webview/resultsApp.css',
  'docs/language.md',
  'docs/diagnostics.md',
  'syntaxes/aq.tmLanguage.json',
  'examples/shop.aq',
];
const MANIFEST = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, any>;

test('a complete VSIX has no problems', () => {
  assert.deepEqual(findVsixProblems(COMPLETE), []);
});

test('missing bundles, webview or grammar are each reported', () => {
  const problems = findVsixProblems([
    'package.json',
    'dist/server.js',
    'dist/jqlWorker.js',
    'dist/webview/resultsApp.css',
    'docs/language.md',
    'docs/diagnostics.md',
  ]);
  assert.deepEqual(problems, ['missing dist/client.js', 'missing dist/mcp.js', 'missing dist/webview/resultsApp.js', 'missing syntaxes/*']);
});

test('sources, tests and node_modules leaking into the VSIX are reported', () => {
  const problems = findVsixProblems([...COMPLETE, 'node_modules/undici/index.js', 'server/src/serverMain.ts', 'test/e2e/driver.ts']);
  assert.equal(problems.length, 3);
  assert.match(problems[0], /node_modules\/undici\/index\.js/);
  assert.match(problems[1], /server\/src\/serverMain\.ts/);
  assert.match(problems[2], /test\/e2e\/driver\.ts/);
});

test('the CLI bundle, which the extension never runs, is reported', () => {
  assert.deepEqual(findVsixProblems([...COMPLETE, 'dist/cli.js']), ['must not contain dist/cli.js (the extension never runs it)']);
});

test('the manifest names the JSON schema, grammars, language configurations, icon and walkthrough media', () => {
  const named = filesNamedByManifest(MANIFEST);
  for (const file of [
    'dist/client.js',
    'client/media/icon.png',
    'language-configuration.json',
    'syntaxes/jql.language-configuration.json',
    'syntaxes/aq.tmLanguage.json',
    'syntaxes/jql.tmLanguage.json',
    'schemas/mparticle-batch.schema.json',
    'client/media/walkthrough/welcome.md',
  ]) {
    assert.ok(named.includes(file), `${file} is among the manifest's files: ${named.join(', ')}`);
  }
});

test('a VSIX without the mParticle JSON schema the manifest names is reported', () => {
  const everythingNamed = [...COMPLETE, ...filesNamedByManifest(MANIFEST)];
  assert.deepEqual(findVsixProblems(everythingNamed, MANIFEST), []);
  const withoutSchema = everythingNamed.filter((file) => !file.startsWith('schemas/'));
  assert.deepEqual(findVsixProblems(withoutSchema, MANIFEST), ['missing schemas/mparticle-batch.schema.json']);
});

test('a VSIX over the size limit is reported', () => {
  assert.deepEqual(findVsixProblems(COMPLETE, undefined, MAX_VSIX_BYTES), []);
  const [problem] = findVsixProblems(COMPLETE, undefined, MAX_VSIX_BYTES + 200_000);
  assert.match(problem ?? '', /over the 1\.5 MB limit/);
});

test('`npm run package` writes aq.vsix where it is run from, complete and within the size limit', { timeout: 180_000 }, () => {
  const workDir = mkdtempSync(join(tmpdir(), 'aq-package-'));
  try {
    // The script is given a relative output folder, as `npm run package` gives it `.`.
    const tsxLoader = pathToFileURL(require.resolve('tsx')).href;
    const result = spawnSync(process.execPath, ['--import', tsxLoader, join(REPO_ROOT, 'test', 'e2e', 'packageVsix.ts'), 'out'], {
      cwd: workDir,
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
    const vsixPath = join(workDir, 'out', 'aq.vsix');
    assert.ok(existsSync(vsixPath), `${vsixPath} exists`);
    const vsix = readFileSync(vsixPath);
    const files = listZipEntries(vsix)
      .filter((name) => name.startsWith('extension/'))
      .map((name) => name.slice('extension/'.length));
    assert.ok(files.includes('schemas/mparticle-batch.schema.json'), 'the mParticle JSON schema is packaged');
    assert.ok(!files.includes('dist/cli.js'), 'the CLI bundle is not packaged');
    assert.deepEqual(findVsixProblems(files, MANIFEST, vsix.length), []);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
});

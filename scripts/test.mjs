// Runs every test file under test/ with Node's built-in runner (TypeScript through tsx).
// Node 20's `--test` takes no globs, so the file list is collected here.
// `npm test -- --only unit` (or integration, conformance, lsp, fake-apis, webview, e2e) narrows to one folder. A full run
// first lints (ESLint, any warning fails) and checks the formatting (Prettier); `--checks-only`
// stops after those, `--only` skips them.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] : undefined;

function collect(dir) {
  const files = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'fixtures') continue;
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) files.push(...collect(full));
    else if (entry.endsWith('.test.ts')) files.push(full);
  }
  return files;
}

/** The files Prettier checks (and `prettier --write` with the same list formats). */
const FORMATTED_FILES = ['client/src/**/*.{ts,css}', 'server/src/**/*.ts', 'test/**/*.ts', 'scripts/**/*.{ts,mjs}', '*.mjs'];

function runTool(label, bin, args) {
  const result = spawnSync(process.execPath, [join(root, 'node_modules', bin), ...args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`${label} failed`);
    process.exit(result.status ?? 1);
  }
  console.log(`${label}: ok`);
}

if (only === undefined) {
  runTool('eslint', 'eslint/bin/eslint.js', ['--max-warnings=0', '.']);
  runTool('prettier --check', 'prettier/bin/prettier.cjs', ['--check', '--log-level=warn', ...FORMATTED_FILES]);
  if (process.argv.includes('--checks-only')) process.exit(0);
}

const build = spawnSync(process.execPath, [join(root, 'esbuild.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const testRoot = join(root, 'test', only ?? '');
const files = collect(testRoot)
  .map((f) => relative(root, f))
  .sort();
if (files.length === 0) {
  console.error(`no test files under ${relative(root, testRoot) || '.'}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);

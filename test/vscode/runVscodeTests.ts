// `npm run test:vscode`: the same language scenarios as the code-server suite, run inside a desktop
// VS Code downloaded by @vscode/test-electron, through the extension API. For machines that can
// download VS Code; CI here runs test/e2e (code-server) instead, because downloads are blocked.
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import * as esbuild from 'esbuild';

interface TestElectron {
  runTests(options: {
    extensionDevelopmentPath: string;
    extensionTestsPath: string;
    launchArgs?: string[];
    extensionTestsEnv?: Record<string, string>;
  }): Promise<number>;
}

const root = resolve(__dirname, '..', '..');

async function loadTestElectron(): Promise<TestElectron | undefined> {
  try {
    return (await import('@vscode/test-electron')) as TestElectron;
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const testElectron = await loadTestElectron();
  if (!testElectron) {
    process.stderr.write(
      'npm run test:vscode needs @vscode/test-electron (a devDependency): run npm install first.\n' +
        'The end-to-end suite that runs everywhere is `npm run test:e2e` (code-server + Chromium).\n',
    );
    return 1;
  }
  const build = spawnSync(process.execPath, [join(root, 'esbuild.mjs')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) return build.status ?? 1;
  const outDir = mkdtempSync(join(tmpdir(), 'aq-vscode-tests-'));
  const suitePath = join(outDir, 'suite.js');
  await esbuild.build({
    entryPoints: [join(__dirname, 'suite', 'extensionSuite.ts')],
    outfile: suitePath,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  });
  const workspace = join(outDir, 'offline');
  cpSync(join(root, 'test', 'e2e', 'fixtures', 'offline'), workspace, { recursive: true });
  return testElectron.runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: suitePath,
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);

// Runs one scenario in a fresh editor: copies its fixture workspace to a temporary folder, starts
// code-server with the VSIX installed, opens the workbench in a new browser context, and always
// stops everything it started. On failure it keeps a screenshot and the editor's logs in
// test-results/e2e/<scenario>/ for CI to publish.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startCodeServer, type RunningCodeServer } from './codeServer';
import { SCREENSHOT_DIR, Workbench } from './driver';
import type { EditorToolchain } from './provision';
import type { PreparedScenario, Scenario } from './scenarios/scenario';

export const FIXTURES_DIR = join(__dirname, 'fixtures');

export interface SuiteResources {
  toolchain: EditorToolchain;
  vsixPath: string;
  browser: Browser;
}

export async function runScenario(scenario: Scenario, resources: SuiteResources): Promise<void> {
  const workspaceParent = mkdtempSync(join(tmpdir(), `aq-e2e-${scenario.id}-`));
  // The folder name shows in the Explorer; a fixed name keeps screenshots comparable.
  const workspaceDir = join(workspaceParent, scenario.fixture);
  cpSync(join(FIXTURES_DIR, scenario.fixture), workspaceDir, { recursive: true });
  let prepared: PreparedScenario = {};
  let server: RunningCodeServer | undefined;
  let workbench: Workbench | undefined;
  try {
    if (scenario.prepare) prepared = await scenario.prepare(workspaceDir);
    server = await startCodeServer({
      toolchain: resources.toolchain,
      folder: workspaceDir,
      vsixPath: resources.vsixPath,
      trusted: scenario.trusted ?? true,
      userSettings: prepared.userSettings,
    });
    workbench = await Workbench.open(resources.browser, server.url);
    await scenario.run({ workbench, workspaceDir, server, prepared });
  } catch (error) {
    await keepEvidence(scenario, workbench, server);
    throw error;
  } finally {
    await workbench?.close().catch(() => undefined);
    await server?.stop();
    await prepared.dispose?.();
    rmSync(workspaceParent, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Screenshot plus code-server's and the extension host's logs, for a failure nobody can rerun. */
async function keepEvidence(scenario: Scenario, workbench: Workbench | undefined, server: RunningCodeServer | undefined): Promise<void> {
  const evidenceDir = join(SCREENSHOT_DIR, scenario.id);
  rmSync(evidenceDir, { recursive: true, force: true });
  mkdirSync(evidenceDir, { recursive: true });
  if (workbench) {
    const shot = await workbench.screenshot(`${scenario.id}/failure`).catch(() => undefined);
    if (shot) process.stderr.write(`[e2e] screenshot of the failure: ${shot}\n`);
  }
  if (server) {
    if (existsSync(server.logFile)) cpSync(server.logFile, join(evidenceDir, 'code-server.log'));
    const logs = join(server.userDataDir, 'logs');
    if (existsSync(logs)) cpSync(logs, join(evidenceDir, 'logs'), { recursive: true });
  }
}

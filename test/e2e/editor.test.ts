// End-to-end tests in a real VS Code: the packaged VSIX installed into code-server, driven through
// Debian's Chromium. One test per scenario (scenarios/allScenarios.ts); each prints how long it took. Provisioning
// (first run: apt packages, Node 24, code-server and its native modules) is cached outside the repo.
// `AQ_E2E_ONLY=<id>[,<id>]` runs some scenarios only.
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';
import { launchBrowser } from './driver';
import { runScenario, type SuiteResources } from './editorSession';
import { packageVsix } from './packageVsix';
import { provisionEditor } from './provision';
import { ALL_SCENARIOS } from './scenarios/allScenarios';

const only = process.env.AQ_E2E_ONLY?.split(',').map((id) => id.trim());
const scenarios = ALL_SCENARIOS.filter((scenario) => !only || only.includes(scenario.id));
const timings: Array<{ name: string; seconds: number; passed: boolean }> = [];
let resources: SuiteResources | undefined;

function report(line: string): void {
  process.stderr.write(`[e2e] ${line}\n`);
}

async function timed<T>(name: string, body: () => Promise<T> | T): Promise<T> {
  const started = Date.now();
  let passed = false;
  try {
    const value = await body();
    passed = true;
    return value;
  } finally {
    const seconds = (Date.now() - started) / 1000;
    timings.push({ name, seconds, passed });
    report(`${name}: ${passed ? 'ok' : 'FAILED'} in ${seconds.toFixed(1)} s`);
  }
}

before(
  async () => {
    const toolchain = await timed('provision', () => provisionEditor((line) => report(line)));
    const { vsixPath } = await timed('package VSIX', () => packageVsix());
    const browser = await timed('launch Chromium', () => launchBrowser());
    resources = { toolchain, vsixPath, browser };
  },
  { timeout: 30 * 60_000 },
);

after(async () => {
  await resources?.browser.close();
  if (resources) rmSync(dirname(resources.vsixPath), { recursive: true, force: true });
  const total = timings.reduce((sum, timing) => sum + timing.seconds, 0);
  report(
    `timings:\n${timings.map((t) => `  ${t.passed ? '✓' : '✗'} ${t.seconds.toFixed(1).padStart(6)} s  ${t.name}`).join('\n')}\n  total ${total.toFixed(1)} s`,
  );
});

for (const [index, scenario] of scenarios.entries()) {
  test(`e2e ${index + 1}: ${scenario.title}`, { timeout: 4 * 60_000 }, async () => {
    if (!resources) throw new Error('the editor was not provisioned (see the before hook failure)');
    const suite = resources;
    await timed(`scenario ${scenario.id}`, () => runScenario(scenario, suite));
  });
}

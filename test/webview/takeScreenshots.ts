// Photographs the results panel for the README: the real webview bundle and HTML (the Chromium
// harness the webview tests use), under VS Code's light and dark theme colours, showing real results
// of examples/shop.aq computed by the local engine. Run: npm run screenshots (writes docs/images/).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { runCommand } from '../../server/src/cli/runCommand';
import type { QueryResult } from '../../server/src/protocol/resultModel';
import { disposeJqlWorkers } from '../../server/src/queryEngine/backends/local/jql/jqlRuntime';
import { THEMES, applyTheme } from './vscodeThemes';
import { showResult, startWebviewHarness } from './webviewHarness';

const ROOT = resolve(__dirname, '..', '..');
const OUT_DIR = join(ROOT, 'docs', 'images');

interface Shot {
  file: string;
  title: string;
  /** What the user clicks before the picture, if anything. */
  prepare?: (page: Page) => Promise<void>;
}

const SHOTS: Shot[] = [
  { file: 'segmentation-chart', title: 'Purchases by browser' },
  { file: 'segmentation-table', title: 'Purchases by browser', prepare: (page) => page.getByRole('tab', { name: 'Table' }).click() },
  { file: 'compare-previous', title: 'Weekly revenue' },
  { file: 'funnel', title: 'Checkout funnel by plan' },
  { file: 'retention-heatmap', title: 'Shoppers come back' },
  { file: 'retention-curve', title: 'Shoppers come back', prepare: (page) => page.getByRole('button', { name: 'Retention curve' }).click() },
];

async function sampleResults(): Promise<QueryResult[]> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'aq-shots-cache-'));
  let out = '';
  let err = '';
  try {
    const code = await runCommand([join('examples', 'shop.aq'), '--format', 'json'], {
      cwd: ROOT,
      env: { ...process.env, AQ_CACHE_DIR: cacheDir },
      stdout: (text) => void (out += text),
      stderr: (text) => void (err += text),
    });
    if (code !== 0) throw new Error(`aq run examples/shop.aq failed (exit ${code}):\n${err}`);
    return JSON.parse(out) as QueryResult[];
  } finally {
    await disposeJqlWorkers();
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  // The engine's JQL worker and file reads hold no reference on the event loop; without this, Node
  // would find nothing left to wait for and exit before the results arrive.
  const keepAlive = setInterval(() => undefined, 1000);
  const results = await sampleResults().finally(() => clearInterval(keepAlive));
  const byTitle = new Map(results.map((result) => [result.title, result]));
  const harness = await startWebviewHarness();
  mkdirSync(OUT_DIR, { recursive: true });
  try {
    for (const [themeName, theme] of Object.entries(THEMES)) {
      if (themeName === 'high contrast') continue;
      for (const shot of SHOTS) {
        const result = byTitle.get(shot.title);
        if (!result) throw new Error(`examples/shop.aq has no query titled "${shot.title}"`);
        const page = await harness.openPage();
        await page.setViewportSize({ width: 960, height: 600 });
        await applyTheme(page, theme);
        await showResult(page, result);
        await shot.prepare?.(page);
        await page.waitForTimeout(300);
        const path = join(OUT_DIR, `${shot.file}-${themeName}.png`);
        await page.screenshot({ path });
        process.stdout.write(`${path}\n`);
        await page.close();
      }
    }
  } finally {
    await harness.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

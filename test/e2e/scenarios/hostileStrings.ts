// Scenario 6: event names, property names and values containing markup reach the results panel as
// text. No script runs (a tripwire global stays unset in every frame) and the text shows literally.
import assert from 'node:assert/strict';
import type { Scenario } from './scenario';
import { cellOf, paintedChartPixels, readTable, resultsFrameShowing, runFromCodeLens, shownNumber } from './resultsPanel';

// Callbacks passed to evaluate run in the browser; the Node-side typecheck has no DOM lib.
declare const document: any;
declare const window: any;

const IMG_LABEL = '<img src=x onerror="window.__pwned=1">';
const SCRIPT_LABEL = '</script><script>window.__pwned=2</script>';
const TITLE = 'Hostile labels </script><script>window.__pwned=7</script>';

export const hostileStrings: Scenario = {
  id: 'hostile-strings',
  title: 'hostile strings in results: no script runs, the text is shown literally',
  fixture: 'offline',
  async run({ workbench }) {
    await workbench.openFile('hostile.aq');
    await runFromCodeLens(workbench);
    const frame = await resultsFrameShowing(workbench, '2026-10-02');
    const table = await readTable(frame);
    assert.equal(shownNumber(cellOf(table, () => true, IMG_LABEL)), 1, `column ${IMG_LABEL}; table: ${JSON.stringify(table)}`);
    assert.equal(shownNumber(cellOf(table, () => true, SCRIPT_LABEL)), 2, `column ${SCRIPT_LABEL}`);
    const panelText = await frame.evaluate(() => document.body.innerText);
    assert.ok(panelText.includes(TITLE), `the title shows literally; panel text:\n${panelText}`);
    // The chart's legend and tooltips are another path for the same strings.
    await paintedChartPixels(frame);
    await frame.locator('[data-tab="raw"]').click();

    assert.equal(await frame.evaluate(() => typeof window.__pwned), 'undefined', 'no script ran in the results panel');
    // Every other frame too (the workbench itself shows titles and notifications); a frame that
    // went away meanwhile has nothing left to check.
    for (const candidate of workbench.page.frames()) {
      if (candidate.isDetached()) continue;
      const tripped = await candidate.evaluate(() => typeof window.__pwned).catch(() => 'undefined');
      assert.equal(tripped, 'undefined', `a script ran in frame ${candidate.url()}`);
    }
    // Markup from the data would have become elements; the panel must hold none of them. (VS Code
    // injects one inline script of its own into every webview, so scripts are told apart by content.)
    const injected = await frame.evaluate(() => ({
      images: document.querySelectorAll('img').length,
      scripts: Array.from<{ textContent: string | null }>(document.querySelectorAll('script')).filter((script) =>
        (script.textContent ?? '').includes('__pwned'),
      ).length,
    }));
    assert.deepEqual(injected, { images: 0, scripts: 0 });
  },
};

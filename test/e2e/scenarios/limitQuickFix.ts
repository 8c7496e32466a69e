// A query that says `chart bar` and `limit 2` over three browsers: the panel opens on the chart and
// says "showing 2 of 3 segments", the outcome line carries the headline and the same notice, and the
// quick fix writes `limit 3` into the query, which runs again with nothing left out.
import assert from 'node:assert/strict';
import { waitUntil } from '../driver';
import { runFromCodeLens, waitForCodeLens } from './resultsPanel';
import type { Scenario } from './scenario';

export const limitQuickFix: Scenario = {
  id: 'limit-quick-fix',
  title: '`chart bar` opens on the chart; `limit` cutting segments is said in the panel and the outcome line, and the quick fix raises it',
  fixture: 'offline',
  async run({ workbench }) {
    await workbench.openFile('limited.aq');
    await runFromCodeLens(workbench);
    const frame = await workbench.webviewFrame('.limit-notice:not([hidden])');
    assert.equal(await frame.locator('[data-tab="chart"]').getAttribute('aria-selected'), 'true', 'chart bar opens on the Chart tab');
    assert.equal(await frame.locator('.limit-notice span').textContent(), 'showing 2 of 3 segments');
    // Chrome 8 + Firefox 4 purchases (Safari's 4 is the segment left out).
    assert.equal(await frame.locator('.headline').textContent(), '12 events');
    const outcome = await waitForCodeLens(workbench, /✓/);
    assert.match(outcome, /✓ 12 events · .*showing 2 of 3 segments — raise limit/, `outcome lens: ${outcome}`);

    await workbench.placeCursorAfter('segmentation "Pur');
    await workbench.applyQuickFix(/Raise limit to 3/);
    await waitUntil('limit 3 in the query', async () => ((await workbench.editorText()).includes('limit 3') ? true : undefined));
    const rerun = await waitUntil('the outcome of the re-run without a limit notice', async () => {
      const lens = (await workbench.codeLensTexts()).find((text) => /✓ 16 events/.test(text));
      return lens;
    });
    assert.doesNotMatch(rerun, /showing/);
  },
};

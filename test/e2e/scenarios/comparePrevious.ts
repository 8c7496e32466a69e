// `compare previous` on the offline source: the outcome line gives the change of the total, the
// panel opens on the chart (the query says `chart line`) with both periods drawn, and the table
// sets each day beside the same day of the previous period with the change. Then the query is
// edited, and Query History still shows the text that ran.
import assert from 'node:assert/strict';
import { waitUntil } from '../driver';
import { cellOf, paintedChartPixels, readTable, resultsFrameShowing, runFromCodeLens, waitForCodeLens } from './resultsPanel';
import type { Scenario } from './scenario';

export const comparePrevious: Scenario = {
  id: 'compare-previous',
  title: '`compare previous`: the change in the outcome line, both periods on the chart, the change columns in the table; history keeps the text that ran',
  fixture: 'offline',
  async run({ workbench }) {
    await workbench.openFile('compare.aq');
    await runFromCodeLens(workbench);
    // 6 purchases on 2026-10-03 against 4 on 2026-10-02.
    const outcome = await waitForCodeLens(workbench, /✓/);
    assert.match(outcome, /✓ 6 events \(\+50\.0 % vs the previous period\)/, `outcome lens: ${outcome}`);
    const frame = await resultsFrameShowing(workbench, 'Count previous');
    assert.equal(await frame.locator('[data-tab="chart"]').getAttribute('aria-selected'), 'true', 'chart line opens on the Chart tab');
    assert.ok((await paintedChartPixels(frame)) > 0);
    const table = await readTable(frame);
    const today = (cell: string) => cell.includes('2026-10-03') || cell.includes('10/3/2026') || /Oct\w* 3\b/.test(cell);
    assert.equal(cellOf(table, today, 'Count'), '6');
    assert.equal(cellOf(table, today, 'Count previous'), '4');
    assert.equal(cellOf(table, today, 'Count change'), '2');
    assert.equal(cellOf(table, today, 'Count change %'), '50');

    // Edit the query and run it again: the panel shows the new text; the older history entry, the old one.
    // Back to the editor: the results panel took the focus (and the active editor group).
    await workbench.focusEditor('compare.aq');
    await workbench.placeCursorAfter('chart line');
    await workbench.page.keyboard.type('\n  clean');
    await waitUntil('the edit in the editor', async () => ((await workbench.editorText()).includes('clean') ? true : undefined));
    await workbench.page.keyboard.press('Control+Enter');
    const queryText = () => frame.locator('.query-text').textContent();
    await waitUntil('the re-run query text in the panel', async () => ((await queryText())?.includes('clean') ? true : undefined));
    await workbench.runCommand('aq: Open Query History');
    const input = workbench.page.locator('.quick-input-widget input.input');
    await input.fill('Purchases vs the day before');
    await workbench.page.keyboard.press('ArrowDown');
    await workbench.page.keyboard.press('Enter');
    const ran = await waitUntil("the first run's query text from history", async () => {
      const text = await queryText();
      return text && !text.includes('clean') ? text : undefined;
    });
    assert.match(ran, /compare previous/);
  },
};

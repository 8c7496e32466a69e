// Scenario 4: running a query from its CodeLens on the offline source opens the results panel with
// the right numbers and a drawn chart, and the CodeLens then shows the outcome.
import assert from 'node:assert/strict';
import type { Scenario } from './scenario';
import { cellOf, isOctoberDay, paintedChartPixels, readTable, resultsFrameShowing, runFromCodeLens, shownNumber, waitForCodeLens } from './resultsPanel';

/** Purchases per day and browser in fixtures/offline/data/events.ndjson, counted by hand. */
export const EXPECTED_PURCHASES: Record<number, Record<string, number>> = {
  1: { Chrome: 3, Firefox: 1, Safari: 2 },
  2: { Chrome: 1, Firefox: 2, Safari: 1 },
  3: { Chrome: 4, Firefox: 1, Safari: 1 },
};

export const runQueryFromCodeLens: Scenario = {
  id: 'run-from-codelens',
  title: 'Run from the CodeLens on the offline source: right numbers, a drawn chart, the outcome lens',
  fixture: 'offline',
  async run({ workbench }) {
    await workbench.openFile('purchases.aq');
    await runFromCodeLens(workbench);
    const frame = await resultsFrameShowing(workbench, 'Chrome');
    const table = await readTable(frame);
    for (const [day, counts] of Object.entries(EXPECTED_PURCHASES)) {
      for (const [browser, count] of Object.entries(counts)) {
        const shown = shownNumber(cellOf(table, (cell) => isOctoberDay(cell, Number(day)), browser));
        assert.equal(shown, count, `${browser} on 2026-10-0${day}; table: ${JSON.stringify(table)}`);
      }
    }
    assert.equal(table.rows.length, 3, 'one row per day');
    assert.ok((await paintedChartPixels(frame)) > 0);
    const outcome = await waitForCodeLens(workbench, /✓/);
    assert.match(outcome, /3 series/, `outcome lens: ${outcome}`);
  },
};

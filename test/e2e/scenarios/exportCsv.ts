// Scenario 8: "Export CSV" in the results panel asks where to save and writes that file.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntil } from '../driver';
import type { Scenario } from './scenario';
import { resultsFrameShowing, runFromCodeLens } from './resultsPanel';
import { EXPECTED_PURCHASES } from './runFromCodeLens';

export const exportCsv: Scenario = {
  id: 'export-csv',
  title: 'Export CSV from the panel writes the file the user chose',
  fixture: 'offline',
  async run({ workbench, workspaceDir }) {
    await workbench.openFile('purchases.aq');
    await runFromCodeLens(workbench);
    const frame = await resultsFrameShowing(workbench, 'Chrome');
    await frame.getByRole('button', { name: 'Export CSV', exact: true }).click();

    // code-server's save dialog is VS Code's own path input.
    const target = join(workspaceDir, 'purchases-by-browser.csv');
    const input = workbench.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible' });
    // The dialog fills in its suggested path after it opens; typing before that gets merged into it.
    await waitUntil("the save dialog's suggested path", async () => (await input.inputValue()).startsWith('/'), 15_000);
    await waitUntil(
      'the chosen path in the save dialog',
      async () => {
        await input.fill(target);
        return (await input.inputValue()) === target;
      },
      15_000,
    );
    await workbench.page.keyboard.press('Enter');

    const lineFor = (lines: string[], day: string): string | undefined =>
      lines.find((candidate) => candidate.startsWith(`2026-10-0${day}`) || candidate.startsWith(`"2026-10-0${day}`));
    const linesOf = (text: string): string[] => text.trim().split(/\r?\n/);
    // The file can exist before its content is written (the editor creates it, then writes it):
    // wait for a row for every day; past the wait, the checks below show what the file holds.
    const read = (): string => (existsSync(target) ? readFileSync(target, 'utf8') : '');
    const csv = await waitUntil(`the exported file ${target} with a row for every day`, async () => {
      const text = read();
      return Object.keys(EXPECTED_PURCHASES).every((day) => lineFor(linesOf(text), day)) ? text : undefined;
    }).catch(read);
    const lines = linesOf(csv);
    const header = lines[0].split(',').map((cell) => cell.replace(/^"|"$/g, ''));
    for (const [day, counts] of Object.entries(EXPECTED_PURCHASES)) {
      const line = lineFor(lines, day);
      assert.ok(line, `a line for 2026-10-0${day} in:\n${csv}`);
      const cells = line.split(',');
      for (const [browser, count] of Object.entries(counts)) {
        assert.equal(Number(cells[header.indexOf(browser)]), count, `${browser} on day ${day} in:\n${csv}`);
      }
    }
  },
};

// Reading the aq results panel (a webview) the way a user reads it: the table's cells as shown, the
// chart as drawn pixels, the CodeLens above the query.
import type { Frame } from 'playwright-core';
import { DEFAULT_TIMEOUT_MS, waitUntil, type Workbench } from '../driver';

// Callbacks passed to evaluate run in the browser; the Node-side typecheck has no DOM lib.
declare const document: any;

export interface ShownTable {
  header: string[];
  rows: string[][];
}

/** Clicks the "Run" CodeLens above the query whose head line contains `headText` (the first one otherwise). */
export async function runFromCodeLens(workbench: Workbench): Promise<void> {
  await workbench.clickCodeLens(/Run/);
}

/** Waits for a results webview whose table shows `text` in its header or a cell. */
export async function resultsFrameShowing(workbench: Workbench, text: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Frame> {
  return waitUntil(
    `the results table to show "${text}"`,
    async () => {
      const frame = await workbench.webviewFrame('table.data-table', 5_000).catch(() => undefined);
      if (!frame) return undefined;
      const table = await readTable(frame);
      return [table.header, ...table.rows].some((row) => row.some((cell) => cell.includes(text))) ? frame : undefined;
    },
    timeoutMs,
  );
}

export async function readTable(frame: Frame): Promise<ShownTable> {
  // No named functions inside: tsx would wrap them in a `__name` helper the page does not have.
  return frame.evaluate(() => {
    const table = document.querySelector('table.data-table');
    if (!table) return { header: [], rows: [] };
    const header = Array.from<{ textContent: string | null }>(table.querySelectorAll('thead th')).map((cell) =>
      (cell.textContent ?? '').replace(/\u00a0/g, ' ').trim(),
    );
    const rows = Array.from<any>(table.querySelectorAll('tbody tr'))
      .filter((row) => !row.classList.contains('spacer'))
      .map((row) =>
        Array.from<{ textContent: string | null }>(row.querySelectorAll('td')).map((cell) => (cell.textContent ?? '').replace(/\u00a0/g, ' ').trim()),
      );
    return { header, rows };
  });
}

/** The cell of `column` in the first row whose first cell satisfies `rowMatches`. */
export function cellOf(table: ShownTable, rowMatches: (firstCell: string) => boolean, column: string): string | undefined {
  const columnIndex = table.header.findIndex((name) => name.replace(/\s*[▲▼↑↓]\s*$/, '').trim() === column);
  const row = table.rows.find((cells) => rowMatches(cells[0] ?? ''));
  return columnIndex >= 0 && row ? row[columnIndex] : undefined;
}

/** A number as the table shows it in the user's locale ("1,204" → 1204). */
export function shownNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const cleaned = text.replace(/[\s,\u202f]/g, '');
  return cleaned === '' || Number.isNaN(Number(cleaned)) ? undefined : Number(cleaned);
}

/** True for a date cell showing 2026-10-DD in any of the ways a table may print a day. */
export function isOctoberDay(cell: string, day: number): boolean {
  const dd = String(day).padStart(2, '0');
  return cell.includes(`2026-10-${dd}`) || cell.includes(`10/${day}/2026`) || cell.includes(`${dd}.10.2026`) || new RegExp(`\\bOct\\w* ${day}\\b`).test(cell);
}

/** Opens the Chart tab and returns how many pixels of its canvas are painted. */
export async function paintedChartPixels(frame: Frame): Promise<number> {
  await frame.locator('[data-tab="chart"]').click();
  return waitUntil('a drawn chart', async () => {
    const painted = await frame.evaluate(() => {
      let count = 0;
      for (const canvas of Array.from<any>(document.querySelectorAll('[data-pane="chart"] canvas'))) {
        if (canvas.width === 0 || canvas.height === 0) continue;
        const pixels = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
        if (!pixels) continue;
        for (let index = 3; index < pixels.length; index += 4) if (pixels[index] !== 0) count++;
      }
      return count;
    });
    // A few hundred pixels is an axis at most; a drawn series is thousands.
    return painted > 2000 ? painted : undefined;
  });
}

/** Waits for a CodeLens line matching `pattern` above the query (the outcome lens after a run). */
export async function waitForCodeLens(workbench: Workbench, pattern: RegExp): Promise<string> {
  return waitUntil(`a CodeLens matching ${pattern}`, async () => (await workbench.codeLensTexts()).find((text) => pattern.test(text)));
}

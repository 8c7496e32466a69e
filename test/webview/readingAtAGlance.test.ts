/**
 * The panel as a user reads it at a glance, in headless Chromium with the real bundle: the view a
 * result opens on, the headline, the limit notice and its button, the data notes folded away, the
 * retention heatmap's colours and the text on them, funnel labels that never overlap, and the
 * contrast of the selected view in light, dark and high-contrast themes.
 */
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { FunnelData, ResultData } from '../../server/src/protocol/resultModel';
import { funnelData, makeResult, retentionData, seriesData } from '../unit/results/resultFixtures';
import { THEMES, applyTheme } from './vscodeThemes';
import { pageErrors, posted, showResult, startWebviewHarness, type WebviewHarness } from './webviewHarness';

// Callbacks passed to page.evaluate run in the browser; the Node-side typecheck has no DOM lib.
declare const document: any;
declare const getComputedStyle: any;
declare const window: any;

let harness: WebviewHarness;
before(async () => {
  harness = await startWebviewHarness();
});
after(async () => {
  await harness?.close();
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the webview');
});

/**
 * WCAG contrast of each matching element's text against the first opaque background behind it.
 * Plain JavaScript in a string: tsx would wrap named functions in a `__name` helper the page lacks.
 */
const TEXT_CONTRAST = `(selector) => {
  const parse = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = (rgb) => {
    const [r, g, b] = rgb.slice(0, 3).map((value) => {
      const scaled = value / 255;
      return scaled <= 0.03928 ? scaled / 12.92 : ((scaled + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  return Array.from(document.querySelectorAll(selector)).map((node) => {
    let behind = node;
    let background = parse(getComputedStyle(behind).backgroundColor);
    while (background.length === 0 || (background.length === 4 && background[3] === 0)) {
      behind = behind.parentElement;
      if (!behind) { background = [255, 255, 255]; break; }
      background = parse(getComputedStyle(behind).backgroundColor);
    }
    const [light, dark] = [luminance(parse(getComputedStyle(node).color)), luminance(background)].sort((a, b) => b - a);
    return (light + 0.05) / (dark + 0.05);
  });
}`;

function textContrast(page: Page, selector: string): Promise<number[]> {
  return page.evaluate(`(${TEXT_CONTRAST})(${JSON.stringify(selector)})`) as Promise<number[]>;
}

async function selectedTab(page: Page): Promise<string> {
  return (await page.locator('[role="tab"][aria-selected="true"]').textContent()) ?? '';
}

test('a result opens on the view its query asks for: chart names it, funnels and retention open on their chart', async () => {
  const page = await harness.openPage();
  await showResult(page, makeResult(seriesData, { title: 'By browser', chart: 'bar' }));
  assert.equal(await selectedTab(page), 'Chart');
  await showResult(page, makeResult(seriesData, { title: 'Plain segmentation' }));
  assert.equal(await selectedTab(page), 'Table');
  await showResult(page, makeResult(funnelData, { title: 'Checkout', queryKind: 'funnel' }));
  assert.equal(await selectedTab(page), 'Chart');
  assert.equal(await page.locator('.funnel-bar').count(), 6, 'two steps × three segments');
  await showResult(page, makeResult(retentionData, { title: 'Come back', queryKind: 'retention' }));
  assert.equal(await selectedTab(page), 'Chart');
  assert.equal(await page.locator('.retention-heatmap td.cell').count(), 5);
  await showResult(page, makeResult(funnelData, { title: 'Funnel as table', chart: 'table' }));
  assert.equal(await selectedTab(page), 'Table');
  // The user's choice holds while the same query re-runs.
  await page.getByRole('tab', { name: 'Chart' }).click();
  await showResult(page, makeResult(funnelData, { title: 'Funnel as table', chart: 'table', meta: { ...makeResult(funnelData).meta, durationMs: 5 } }));
  assert.equal(await selectedTab(page), 'Chart');
  await page.close();
});

test('the headline, the limit notice with its button, and data notes folded into a count', async () => {
  const page = await harness.openPage();
  const base = makeResult(seriesData);
  const result = makeResult(seriesData, {
    title: 'By country',
    meta: {
      ...base.meta,
      headline: '1,243 events',
      limited: { noun: 'segments', shown: 4, total: 312, limit: 4 },
      warnings: [
        { code: 'duplicates', message: 'dropped 758 duplicate events (same $insert_id, event, distinct_id and time)' },
        { code: 'skippedLines', message: 'skipped 2 malformed lines (3, 9)' },
      ],
    },
  });
  await showResult(page, result);
  assert.equal(await page.locator('.headline').textContent(), '1,243 events');
  const notice = page.getByRole('status').filter({ hasText: 'segments' });
  assert.equal(await notice.locator('span').textContent(), 'showing 4 of 312 segments');
  await page.getByRole('button', { name: 'Raise limit to 312' }).click();
  assert.ok((await posted(page)).some((message) => message.type === 'raiseLimit'));
  assert.equal(await page.locator('.notes summary').textContent(), '2 notes about the data');
  assert.equal(await page.locator('.notes li').first().isVisible(), false, 'folded until opened');
  await page.locator('.notes summary').click();
  assert.equal(await page.locator('.notes li').first().isVisible(), true);

  await showResult(page, makeResult(seriesData, { title: 'Uncut' }));
  assert.equal(await page.locator('.limit-notice').isVisible(), false);
  assert.equal(await page.locator('.notes').isVisible(), false);
  await page.close();
});

for (const themeName of Object.keys(THEMES)) {
  test(`${themeName} theme: heatmap cells of different values differ in colour, every cell and the selected view read at ≥ 4.5:1`, async () => {
    const page = await harness.openPage();
    await applyTheme(page, THEMES[themeName]);
    const retention: ResultData = {
      kind: 'retention',
      unit: 'week',
      retentionType: 'birth',
      cohorts: [
        { date: '2024-03-04', size: 100, retained: [100, 63, 30, 12, 0], segment: null },
        { date: '2024-03-11', size: 100, retained: [100, 50, 21, 5], segment: null },
      ],
    };
    await showResult(page, makeResult(retention, { title: `Retention ${themeName}`, queryKind: 'retention' }));
    const cells: Array<{ text: string; background: string }> = await page.evaluate(() =>
      Array.from<any>(document.querySelectorAll('.retention-heatmap td.cell')).map((cell) => ({
        text: cell.textContent,
        background: getComputedStyle(cell).backgroundColor,
      })),
    );
    const colourByValue = new Map<string, string>();
    for (const cell of cells) colourByValue.set(cell.text, cell.background);
    assert.equal(new Set(colourByValue.values()).size, colourByValue.size, `one colour per value: ${JSON.stringify([...colourByValue])}`);
    for (const ratio of await textContrast(page, '.retention-heatmap td.cell')) assert.ok(ratio >= 4.5, `cell text contrast ${ratio.toFixed(2)}`);
    const [selected] = await textContrast(page, '[role="tab"][aria-selected="true"]');
    assert.ok(selected >= 4.5, `selected tab contrast ${selected.toFixed(2)}`);
    const [selectedView] = await textContrast(page, '.view-choice[aria-pressed="true"]');
    assert.ok(selectedView >= 4.5, `selected retention view contrast ${selectedView.toFixed(2)}`);
    // The selected view is marked by more than colour: an underline the others do not have.
    const underlines = await page.evaluate(() =>
      Array.from<any>(document.querySelectorAll('[role="tab"]')).map((tab) => getComputedStyle(tab).borderBottomColor),
    );
    const selectedIndex = await page.evaluate(() =>
      Array.from<any>(document.querySelectorAll('[role="tab"]')).findIndex((tab) => tab.getAttribute('aria-selected') === 'true'),
    );
    assert.ok(underlines.filter((_colour, index) => index !== selectedIndex).every((colour) => colour !== underlines[selectedIndex]));
    await page.close();
  });
}

test('funnel bars: counts, conversions and time to convert, segments side by side, no label overlapping another', async () => {
  const page = await harness.openPage();
  await page.setViewportSize({ width: 700, height: 500 });
  const long = 'A very long plan name that goes on and on without a break';
  const funnel: FunnelData = {
    ...(funnelData as FunnelData),
    steps: ['Landed on Homepage', 'Added To Cart', 'Purchase'],
    segments: [
      {
        segment: null,
        counts: [1729, 900, 647],
        overallConversion: [1, 900 / 1729, 647 / 1729],
        stepConversion: [1, 900 / 1729, 647 / 900],
        avgTimeSeconds: [null, 3900, 120],
      },
      { segment: long, counts: [1000, 600, 400], overallConversion: [1, 0.6, 0.4], stepConversion: [1, 0.6, 400 / 600], avgTimeSeconds: [null, 60, 30] },
      {
        segment: 'free',
        counts: [729, 300, 247],
        overallConversion: [1, 300 / 729, 247 / 729],
        stepConversion: [1, 300 / 729, 247 / 300],
        avgTimeSeconds: [null, null, 90],
      },
    ],
  };
  await showResult(page, makeResult(funnel, { title: 'Checkout', queryKind: 'funnel' }));
  const firstBar = page.locator('.funnel-bar').nth(6);
  assert.deepEqual(await firstBar.locator('.bar-label span').allTextContents(), ['647', '71.89 % of previous', '37.42 % overall', 'avg 2 min']);
  assert.equal(await page.locator('.funnel-bar').nth(3).locator('.time').textContent(), 'avg 1 h 5 min');
  assert.equal(await page.locator('.funnel-legend li').count(), 3);
  const boxes = await page.evaluate(() =>
    Array.from<any>(document.querySelectorAll('.bar-label, .step-name, .funnel-legend li')).map((node) => {
      const box = node.getBoundingClientRect();
      return { text: node.textContent, left: box.left, right: box.right, top: box.top, bottom: box.bottom };
    }),
  );
  for (let first = 0; first < boxes.length; first++) {
    for (let second = first + 1; second < boxes.length; second++) {
      const a = boxes[first];
      const b = boxes[second];
      const overlap = a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
      assert.ok(!overlap, `"${a.text}" overlaps "${b.text}"`);
    }
  }
  // Bars are as tall as their counts: the first step's overall bar is the tallest.
  const heights = await page.locator('.funnel-bar .bar').evaluateAll((bars) => bars.map((bar) => (bar as any).getBoundingClientRect().height));
  assert.equal(Math.max(...heights), heights[0]);
  assert.ok(heights[6] < heights[0] * 0.45 && heights[6] > heights[0] * 0.3, 'the last step is 37 % of the first');
  await page.close();
});

test('the table from the keyboard: a header sorts with Enter, arrows move the selected cell and a screen reader hears where it is', async () => {
  const page = await harness.openPage();
  await showResult(page, makeResult(seriesData, { title: 'Keyboard' }));
  assert.equal(await page.locator('table.data-table').getAttribute('aria-rowcount'), '4', 'three rows and the header');
  await page.locator('thead th').nth(1).focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('thead th').nth(1).getAttribute('aria-sort'), 'descending');
  await page.locator('.table-scroller').focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  // Sorted by France, largest first: 1,200 (03-01), 30 (03-02), 4 (03-03).
  assert.equal(await page.getByRole('status').filter({ hasText: 'Row' }).textContent(), 'Row 2 of 3, France: 30');
  const selected = page.locator('td[aria-selected="true"]');
  assert.equal(await selected.textContent(), '30');
  assert.equal(await selected.getAttribute('aria-colindex'), '2');
  assert.equal(await page.locator('tr:has(td[aria-selected="true"])').getAttribute('aria-rowindex'), '3');
  await page.keyboard.press('End');
  assert.match((await page.getByRole('status').filter({ hasText: 'Row' }).textContent()) ?? '', /^Row 2 of 3, \(empty\): 1$/);
  await page.close();
});

test('Copy as Markdown posts the table as Markdown; the query as it ran is shown folded', async () => {
  const page = await harness.openPage();
  await page.evaluate(
    (result) => window.postMessage({ type: 'showResult', result, queryText: 'segmentation "Sign Up"\n  last 7 days' }, '*'),
    makeResult(seriesData, { title: 'Markdown me' }),
  );
  await page.waitForFunction(() => document.querySelector('h1.title')?.textContent === 'Markdown me');
  await page.getByRole('button', { name: 'Copy as Markdown' }).click();
  const copied = (await posted(page)).filter((message) => message.type === 'copy').map((message) => String(message.text));
  assert.equal(copied.length, 1);
  assert.match(copied[0], /^\*\*Markdown me\*\*/);
  assert.match(copied[0], /\n\| Date \| France \| undefined \|/);
  assert.match(copied[0], /\n\| 2024\\-03\\-01 \| 1,200 \| 5 \|/);
  assert.equal(await page.locator('.query-text').isVisible(), false);
  await page.getByText('Query as it ran').click();
  assert.equal(await page.locator('.query-text').textContent(), 'segmentation "Sign Up"\n  last 7 days');
  await page.close();
});

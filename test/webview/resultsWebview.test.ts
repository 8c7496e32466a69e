import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import type { DebuggerData, QueryResult, RowsData } from '../../server/src/protocol/resultModel';
import { datedFunnelData, debuggerData, makeResult, retentionData, rowsData, seriesData } from '../unit/results/resultFixtures';
import { pageErrors, posted, showResult, startWebviewHarness, type WebviewHarness } from './webviewHarness';

// Callbacks passed to page.evaluate run in the browser; the Node-side typecheck has no DOM lib.
declare const window: any;
declare const document: any;

const IMG_ATTACK = '<img src=x onerror="window.__pwned=1">';
const SCRIPT_ATTACK = '</script><script>window.__pwned=2</script>';

let harness: WebviewHarness;
before(async () => {
  harness = await startWebviewHarness();
});
after(async () => {
  await harness?.close();
  assert.deepEqual(pageErrors, [], 'no uncaught errors in the webview');
});

function hostileResult(): QueryResult {
  return makeResult(
    {
      kind: 'series',
      unit: 'day',
      measure: 'general',
      dates: ['2024-03-01', '2024-03-02'],
      series: [
        { segment: IMG_ATTACK, values: [3, 4], total: 7 },
        { segment: SCRIPT_ATTACK, values: [1, 2], total: 3 },
      ],
    },
    {
      title: `Signups ${IMG_ATTACK}`,
      raw: `{"event":"${SCRIPT_ATTACK}"}`,
      meta: { computedAt: '2024-03-04T10:00:00Z', durationMs: 800, rowCount: 2, seriesCount: 2, warnings: [{ code: 'x', message: IMG_ATTACK }] },
    },
  );
}

test('hostile event names, segments and raw text render as literal text and run nothing', async () => {
  const page = await harness.openPage();
  const result = hostileResult();
  await showResult(page, result);
  const headers = await page.locator('thead th').allTextContents();
  assert.deepEqual(headers, ['Date', IMG_ATTACK, SCRIPT_ATTACK]);
  assert.equal(await page.locator('h1.title').textContent(), `Signups ${IMG_ATTACK}`);
  assert.equal(await page.locator('.warnings li').textContent(), IMG_ATTACK);
  await page.getByRole('tab', { name: 'Raw' }).click();
  assert.equal(await page.locator('.raw-view').textContent(), `{"event":"${SCRIPT_ATTACK}"}`);
  await page.getByRole('tab', { name: 'Chart' }).click();
  await page.waitForSelector('.chart-host canvas');
  const box = await page.locator('.chart-host').boundingBox();
  assert.ok(box);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForSelector('.chart-tooltip');
  const tooltip = await page.locator('.chart-tooltip').textContent();
  assert.ok(tooltip?.includes(IMG_ATTACK) && tooltip.includes(SCRIPT_ATTACK), `tooltip: ${tooltip}`);

  const debuggerResult = makeResult(
    {
      kind: 'debugger',
      sessions: [{ ...(debuggerData as DebuggerData).sessions[0], visitorId: IMG_ATTACK, entryUrl: SCRIPT_ATTACK }],
    } as QueryResult['data'],
    { title: 'Broken events' },
  );
  await showResult(page, debuggerResult);
  await page.getByRole('tab', { name: 'Table' }).click();
  await page.getByRole('button', { name: /Events of session/ }).click();
  assert.ok((await page.locator('.session-row').textContent())?.includes(IMG_ATTACK));

  const state = await page.evaluate(() => ({
    pwned: (window as unknown as { __pwned?: number }).__pwned,
    images: document.querySelectorAll('img').length,
    scripts: document.querySelectorAll('script').length,
    violations: (window as unknown as { __cspViolations: string[] }).__cspViolations,
  }));
  assert.deepEqual(state, { pwned: undefined, images: 0, scripts: 1, violations: [] });
  await page.close();
});

test('the table sorts by a column and filters rows', async () => {
  const page = await harness.openPage();
  await showResult(page, makeResult(rowsData, { title: 'Rows' }));
  const firstColumn = () => page.locator('tbody tr:not(.spacer) td:first-child').allTextContents();
  assert.deepEqual(await firstColumn(), ['Sign, up', 'Say "hi"', '']);
  await page.locator('thead th', { hasText: 'count' }).click();
  assert.deepEqual(await firstColumn(), ['Sign, up', '', 'Say "hi"'], 'numbers sort descending first: 1500, 0.5, -3');
  await page.locator('thead th', { hasText: 'count' }).click();
  assert.deepEqual(await firstColumn(), ['Say "hi"', '', 'Sign, up']);
  await page.locator('thead th', { hasText: 'event' }).click();
  assert.deepEqual(await firstColumn(), ['Say "hi"', 'Sign, up', ''], 'text sorts A→Z with empty cells last');
  await page.getByPlaceholder('Filter rows').fill('hi');
  await page.waitForFunction(() => document.querySelector('.row-count')?.textContent === '1 of 3 rows');
  assert.deepEqual(await firstColumn(), ['Say "hi"']);
  await page.close();
});

test('copy posts TSV of the selected cell, row and the whole table', async () => {
  const page = await harness.openPage();
  await showResult(page, makeResult(rowsData, { title: 'Rows' }));
  await page.locator('tbody tr:not(.spacer)').first().locator('td').nth(1).click();
  await page.getByRole('button', { name: 'Copy cell' }).click();
  await page.getByRole('button', { name: 'Copy row' }).click();
  await page.getByRole('button', { name: 'Copy all' }).click();
  const copies = (await posted(page)).filter((message) => message.type === 'copy').map((message) => message.text);
  assert.deepEqual(copies, ['1500', 'Sign, up\t1500\ttrue', 'event\tcount\tpaid\nSign, up\t1500\ttrue\nSay "hi"\t-3\tfalse\n\t0.5\t']);
  await page.close();
});

test('lines, pies and the retention curve draw on the canvas', async () => {
  const page = await harness.openPage();
  const results = [
    makeResult(seriesData, { title: 'Line', chart: 'line' }),
    makeResult(seriesData, { title: 'Pie', chart: 'pie' }),
    makeResult(retentionData, { title: 'Retention' }),
  ];
  for (const result of results) {
    await showResult(page, result);
    if (result.data.kind === 'retention') await page.getByRole('button', { name: 'Retention curve' }).click();
    await page.waitForSelector('.chart-host canvas');
    const painted = await page.evaluate(() => {
      const canvas = document.querySelector('.chart-host canvas');
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let index = 3; index < pixels.length; index += 4) if (pixels[index] > 0) count++;
      return count;
    });
    assert.ok(painted > 1000, `${result.title}: ${painted} painted pixels`);
  }
  await page.close();
});

test('export buttons post the format and the clean toggle; Save as PNG posts a PNG data URL', async () => {
  const page = await harness.openPage();
  await showResult(page, makeResult(seriesData, { title: 'Export me' }));
  await page.getByRole('button', { name: 'Export Cyfe CSV' }).click();
  await page.getByLabel('clean').check();
  assert.deepEqual(await page.locator('thead th').allTextContents(), ['Date', 'France', '=HYPERLINK("http://evil")']);
  await page.getByRole('button', { name: 'Export CSV' }).click();
  await page.getByRole('button', { name: 'Export JSON' }).click();
  await page.getByRole('tab', { name: 'Chart' }).click();
  await page.waitForSelector('.chart-host canvas');
  await page.getByRole('button', { name: 'Save as PNG' }).click();
  const messages = (await posted(page)).filter((message) => message.type !== 'ready');
  assert.deepEqual(messages.slice(0, 3), [
    { type: 'export', format: 'cyfe-csv', clean: false },
    { type: 'export', format: 'csv', clean: true },
    { type: 'export', format: 'json', clean: true },
  ]);
  assert.equal(messages[3].type, 'savePng');
  assert.match(String(messages[3].dataUrl), /^data:image\/png;base64,[A-Za-z0-9+/]{1000,}/);
  await page.close();
});

test('50,000 rows render without 50,000 DOM rows and scroll to the end', async () => {
  const page = await harness.openPage();
  const rows: RowsData = {
    kind: 'rows',
    columns: [
      { name: 'name', type: 'string' },
      { name: 'n', type: 'number' },
    ],
    rows: Array.from({ length: 50_000 }, (_unused, index) => [`row ${index}`, index]),
  };
  await showResult(page, makeResult(rows, { title: 'Big' }));
  assert.equal(await page.locator('.row-count').textContent(), '50,000 rows');
  const domRows = await page.locator('tbody tr').count();
  assert.ok(domRows < 200, `${domRows} rows in the DOM`);
  await page.locator('.table-scroller').evaluate((scroller) => {
    scroller.scrollTop = scroller.scrollHeight;
  });
  await page.waitForFunction(() => [...document.querySelectorAll('tbody td:first-child')].some((cell) => cell.textContent === 'row 49999'));
  assert.ok((await page.locator('tbody tr').count()) < 200);
  await page.close();
});

test('debugger sessions expand to their events; broken ones show the error and the raw log', async () => {
  const page = await harness.openPage();
  await showResult(page, makeResult(debuggerData, { title: 'Broken events', queryKind: 'debugger' }));
  assert.equal(await page.locator('.row-count').textContent(), '1 session · 1 broken event');
  assert.equal(await page.locator('.event').count(), 0, 'collapsed at first');
  await page.getByRole('button', { name: /Events of session 9007199254740993/ }).click();
  assert.equal(await page.locator('.event').count(), 2);
  const broken = page.locator('.event.broken');
  assert.equal(await broken.count(), 1);
  assert.equal(await broken.locator('.error-message').textContent(), 'Missing parameter: idsite');
  assert.deepEqual(JSON.parse((await broken.locator('.raw-log').textContent()) ?? ''), [{ request: '/ppms.php?rec=1' }]);
  await page.getByPlaceholder('Filter sessions').fill('no such visitor');
  assert.equal(await page.locator('.session').count(), 0);
  await page.close();
});

test('running and failure banners; Cancel posts cancel', async () => {
  const page = await harness.openPage();
  await page.evaluate(() => window.postMessage({ type: 'running', title: 'Signups' }, '*'));
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.evaluate(() => window.postMessage({ type: 'runFailed', message: '<b>401</b> Unauthorized' }, '*'));
  await page.waitForFunction(() => document.querySelector('.banner.error')?.textContent === '<b>401</b> Unauthorized');
  assert.ok((await posted(page)).some((message) => message.type === 'cancel'));
  await page.close();
});

test('a funnel with `unit` shows one row per entry date and a line of conversion over time in %', async () => {
  const page = await harness.openPage();
  await showResult(page, makeResult(datedFunnelData, { title: 'Signup funnel by day' }));
  await page.getByRole('tab', { name: 'Table' }).click();
  assert.deepEqual(await page.locator('thead th').allTextContents(), ['Date', 'Signup', 'Purchase', 'Overall %']);
  const cells = await page
    .locator('tbody tr:not(.spacer)')
    .evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((cell) => cell.textContent)));
  assert.deepEqual(cells, [
    ['2024-03-01', '4', '1', '25'],
    ['2024-03-02', '8', '6', '75'],
  ]);
  await page.getByRole('tab', { name: 'Chart' }).click();
  await page.waitForSelector('.chart-host canvas');
  const box = await page.locator('.chart-host').boundingBox();
  assert.ok(box);
  // The second date sits right of the middle; the axis tooltip shows that date's conversion.
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2);
  await page.waitForSelector('.chart-tooltip');
  const tooltip = await page.locator('.chart-tooltip').textContent();
  assert.ok(tooltip?.includes('2024-03-02') && tooltip.includes('All users · Signup → Purchase 75%'), `tooltip: ${tooltip}`);
  await page.close();
});

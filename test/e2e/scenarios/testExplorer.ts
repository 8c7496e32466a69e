// Scenario: an `expect` clause is a test in VS Code's Test Explorer. Running all tests marks the
// failing expectation failed (16 purchases in fixtures/offline, not more than 100); after the value
// in the editor is changed, running again marks it passed, and the query's outcome lens reads
// "✓ 1/1 expectations".
import type { Scenario } from './scenario';
import { waitUntil } from '../driver';
import { runFromCodeLens, waitForCodeLens } from './resultsPanel';

/** The Test Explorer row of the expectation labelled `label`, with its state in the aria-label. */
async function expectationState(workbench: Parameters<Scenario['run']>[0]['workbench'], label: string): Promise<string | undefined> {
  const rows = workbench.page.locator('.test-explorer .monaco-list-row');
  for (const row of await rows.all()) {
    const aria = (await row.getAttribute('aria-label')) ?? '';
    // "expect total > 10" must not match the row of "expect total > 100".
    if (aria !== label && !aria.startsWith(`${label} (`) && !aria.startsWith(`${label},`)) continue;
    const html = await row.innerHTML();
    if (/\bFailed\b/.test(aria) || html.includes('testing-failed-icon')) return 'failed';
    if (/\bPassed\b/.test(aria) || html.includes('testing-passed-icon')) return 'passed';
    if (/\bErrored\b/.test(aria) || html.includes('testing-error-icon')) return 'errored';
    return 'unset';
  }
  return undefined;
}

/** Expands every collapsed row of the Test Explorer (file, then query) until `label` shows. */
async function revealExpectation(workbench: Parameters<Scenario['run']>[0]['workbench'], label: string): Promise<void> {
  await waitUntil(`the expectation "${label}" in the Test Explorer`, async () => {
    const collapsed = workbench.page.locator('.test-explorer .monaco-list-row[aria-expanded="false"]');
    if ((await collapsed.count()) > 0) await collapsed.first().click();
    return (await expectationState(workbench, label)) !== undefined;
  });
}

export const testExplorer: Scenario = {
  id: 'test-explorer',
  title: 'expect in the Test Explorer: a failing expectation shows failed; fixed in the editor, it passes',
  fixture: 'offline',
  async run({ workbench }) {
    await workbench.openFile('checks.aq');
    await workbench.runCommand('View: Show Testing');
    await revealExpectation(workbench, 'expect total > 100');

    await workbench.runCommand('Test: Run All Tests');
    await waitUntil('the expectation to fail', async () => (await expectationState(workbench, 'expect total > 100')) === 'failed');

    // The user lowers the expected value: "> 100" becomes "> 10".
    await workbench.placeCursorAfter('expect total > 10');
    await workbench.page.keyboard.press('Backspace');
    await waitUntil('the edited expectation in the editor', async () =>
      (await workbench.editorText()).includes('expect total > 10\n') || (await workbench.editorText()).endsWith('expect total > 10') ? true : undefined,
    );
    await revealExpectation(workbench, 'expect total > 10');

    await workbench.runCommand('Test: Run All Tests');
    await waitUntil('the fixed expectation to pass', async () => (await expectationState(workbench, 'expect total > 10')) === 'passed');

    // Run from its CodeLens, the query's outcome line reads its expectations first.
    await runFromCodeLens(workbench);
    await waitForCodeLens(workbench, /✓ 1\/1 expectations · 16 events/);
  },
};

// Agent mode finds aq's MCP server with no configuration: "MCP: List Servers" lists it under the
// extension's provider, starting it runs the installed extension's dist/mcp.js, and the server
// comes up and reports aq's tools in its output.
import assert from 'node:assert/strict';
import { waitUntil } from '../driver';
import type { Scenario } from './scenario';

export const mcpServer: Scenario = {
  id: 'mcp-server',
  title: 'agent mode: MCP: List Servers shows aq, which starts and offers its six tools',
  fixture: 'offline',
  async prepare() {
    // The harness turns AI features off to keep the workbench quiet; MCP lives under them.
    return { userSettings: { 'chat.disableAIFeatures': false } };
  },
  async run({ workbench }) {
    const page = workbench.page;
    // Opening a query activates the extension, which registers the provider.
    await workbench.openFile('purchases.aq');
    const serverRow = page.locator('.quick-input-widget .monaco-list-row', { hasText: /^aq/ }).filter({ hasText: /Stopped|Starting|Running|Error/ });

    await workbench.runCommand('MCP: List Servers');
    await serverRow.first().waitFor({ state: 'visible' });
    await serverRow.first().click();

    // The server's actions; starting it may first ask whether to trust the server.
    const start = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Start Server' }).first();
    await start.waitFor({ state: 'visible' });
    await start.click();
    const trust = page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Trust/ }).first();
    await trust.click({ timeout: 10_000 }).catch(() => undefined);

    const state = await waitUntil('aq to be running in "MCP: List Servers"', async () => {
      await workbench.runCommand('MCP: List Servers');
      const row = serverRow.first();
      await row.waitFor({ state: 'visible', timeout: 5_000 });
      const text = await row.innerText();
      return /Running|Error/.test(text) ? text : undefined;
    });
    assert.match(state, /Running/, `aq's server state: ${state}`);

    await serverRow.first().click();
    const showOutput = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Show Output' }).first();
    await showOutput.waitFor({ state: 'visible' });
    await showOutput.click();
    const output = await waitUntil('the server output to list its tools', async () => {
      const text = (await page.locator('.part.panel .monaco-editor .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
      return /Discovered 6 tools/i.test(text) ? text : undefined;
    });
    assert.match(output, /Discovered 6 tools/i);
  },
};

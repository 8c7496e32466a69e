// Schema drift: a workspace whose committed schemaFile no longer matches its data (the data has a
// Refund event, the file still lists a coupon property) shows the drift in the status bar; "aq: Show
// Schema Drift" shows the changed event; "aq: Update Schema Snapshot", once confirmed, rewrites the
// file and the status bar item goes away.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntil } from '../driver';
import type { Scenario } from './scenario';

export const schemaDrift: Scenario = {
  id: 'schema-drift',
  title: 'schema drift: the status bar warns, Show Schema Drift lists it, Update Schema Snapshot clears it',
  fixture: 'drift',
  async run({ workbench, workspaceDir }) {
    await workbench.openFile('purchases.aq');
    const drift = workbench.page.locator('.statusbar-item', { hasText: 'schema drift' });
    await drift.waitFor({ state: 'visible', timeout: 60_000 });
    assert.match(await drift.innerText(), /schema drift: 1 event, 1 property/);

    await workbench.runCommand('aq: Show Schema Drift');
    const shown = await waitUntil('the drift document', async () => {
      const text = await workbench.editorText();
      return text.includes('Schema drift of "shop"') ? text : undefined;
    });
    assert.match(shown, /\+ "Refund"/, 'the new event is listed as arrived');
    assert.match(shown, /~ "Purchase"\n\s+- "coupon"/, 'the property the data no longer has is listed under its event');

    await workbench.runCommand('aq: Update Schema Snapshot');
    const dialog = workbench.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible' });
    assert.match(await dialog.innerText(), /Rewrite schema\/shop\.lexicon\.json with the live schema of 'shop'\?/);
    await dialog
      .locator('.monaco-button', { hasText: /^Update$/ })
      .first()
      .click();
    // The item also hides while the drift document is the active editor, so its hiding does not
    // show that the file was written: wait for the file, then for the item.
    const snapshotFile = join(workspaceDir, 'schema', 'shop.lexicon.json');
    const written = await waitUntil('the snapshot to be rewritten', async () => {
      const text = readFileSync(snapshotFile, 'utf8');
      return text.includes('"Refund"') ? (JSON.parse(text) as { results: Array<{ name: string }> }) : undefined;
    });
    assert.deepEqual(
      written.results.map((entry) => entry.name),
      ['Purchase', 'Refund'],
    );
    await drift.waitFor({ state: 'hidden', timeout: 30_000 });
  },
};

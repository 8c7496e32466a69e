// Scenario 2: typing `properties["` inside a clause opens the suggest widget with the event's
// properties from the schema file.
import assert from 'node:assert/strict';
import { waitUntil } from '../driver';
import type { Scenario } from './scenario';

const EXPECTED = ['$browser', 'plan', 'revenue'];

export const propertyCompletion: Scenario = {
  id: 'property-completion',
  title: 'typing properties[" lists the event\'s properties',
  fixture: 'offline',
  async run({ workbench }) {
    await workbench.openFile('complete.aq');
    await workbench.placeCursorAfter('  where ');
    await workbench.page.keyboard.type('properties["', { delay: 30 });
    // The `"` trigger character opens the widget; before the server has the schema it may list
    // nothing useful, and a user asks again with Ctrl+Space.
    let labels = await workbench.suggestions(10_000).catch(() => [] as string[]);
    if (!EXPECTED.every((name) => labels.join('\n').includes(name))) {
      labels = await waitUntil("the event's properties in the suggest widget", async () => {
        await workbench.page.keyboard.press('Escape');
        const shown = await workbench.triggerSuggest().catch(() => [] as string[]);
        return EXPECTED.every((name) => shown.join('\n').includes(name)) ? shown : undefined;
      });
    }
    const text = await workbench.editorText();
    assert.match(text, /where properties\["/, 'the typed text is in the editor');
    for (const property of EXPECTED)
      assert.ok(
        labels.some((label) => label.includes(property)),
        `suggestions list ${property}`,
      );
  },
};

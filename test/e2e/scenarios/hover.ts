// Scenario 3: hovering an event name shows its description from the schema.
import assert from 'node:assert/strict';
import { waitUntil } from '../driver';
import type { Scenario } from './scenario';

const DESCRIPTION = /A completed checkout, sent once per paid order\./;

export const eventHover: Scenario = {
  id: 'event-hover',
  title: 'hovering an event shows its description',
  fixture: 'offline',
  async run({ workbench }) {
    await workbench.openFile('hover.aq');
    await workbench.placeCursorAfter('segmentation "Purch');
    // Until the language server has the schema the hover may be empty; a user would hover again.
    const hover = await waitUntil('the event description in the hover', async () => {
      await workbench.page.keyboard.press('Escape');
      const text = await workbench.hoverAtCursor().catch(() => '');
      return DESCRIPTION.test(text) ? text : undefined;
    });
    assert.match(hover, /Purchase/);
  },
};

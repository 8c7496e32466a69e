// Scenario 1: a misspelt event name is reported in the Problems panel with a "did you mean", and the
// quick fix puts the right name into the text.
import assert from 'node:assert/strict';
import { waitUntil } from '../driver';
import type { Scenario } from './scenario';

export const lintQuickFix: Scenario = {
  id: 'lint-quick-fix',
  title: 'misspelt event: Problems says "did you mean", the quick fix corrects the text',
  fixture: 'offline',
  async run({ workbench }) {
    await workbench.openFile('misspelt.aq');
    const problems = await workbench.waitForProblem(/did you mean/i);
    assert.match(problems, /Purchse/, 'the problem names the misspelt event');
    assert.match(problems, /"?Purchase"?/, 'the problem suggests the event from the schema');

    // Inside the misspelt name, as a user would put the cursor before pressing Ctrl+.
    await workbench.placeCursorAfter('segmentation "Pur');
    await workbench.applyQuickFix(/Purchase/);
    const text = await waitUntil('the corrected event name in the editor', async () => {
      const current = await workbench.editorText();
      return current.includes('segmentation "Purchase"') ? current : undefined;
    });
    assert.doesNotMatch(text, /Purchse/);
    await waitUntil('the problem to go away', async () => !/did you mean/i.test(await workbench.problemsText()));
  },
};

// Answers the prompts of "Set Credentials" the way a user does: picks the source, types the service
// account name (Piwik PRO client id, mParticle input key) and secret, and confirms sending the secret to the (test) host if asked.
import type { Workbench } from '../driver';
import { waitUntil } from '../driver';

// Callbacks passed to evaluate run in the browser; the Node-side typecheck has no DOM lib.
interface BrowserElement {
  textContent: string | null;
  placeholder?: string;
  type?: string;
  getAttribute(name: string): string | null;
  querySelector(selector: string): BrowserElement | null;
}

export interface CredentialAnswers {
  sourceName: string;
  username: string;
  secret: string;
}

async function promptText(workbench: Workbench): Promise<string> {
  const widget = workbench.page.locator('.quick-input-widget');
  const parts = await widget.evaluate((element: BrowserElement) => {
    const input = element.querySelector('input.input');
    return [
      element.querySelector('.quick-input-title')?.textContent ?? '',
      element.querySelector('.quick-input-message')?.textContent ?? '',
      input?.placeholder ?? '',
      input?.getAttribute('aria-label') ?? '',
      input?.type ?? '',
    ].join(' | ');
  });
  return parts;
}

/** Answers every credential prompt until none is left; returns what was asked, for messages. */
export async function answerCredentialPrompts(workbench: Workbench, answers: CredentialAnswers): Promise<string[]> {
  const page = workbench.page;
  const widget = page.locator('.quick-input-widget');
  const dialog = page.locator('.monaco-dialog-box');
  const asked: string[] = [];
  for (let step = 0; step < 6; step++) {
    const appeared = await waitUntil(
      'a credential prompt',
      async () => ((await dialog.isVisible()) ? 'dialog' : (await widget.isVisible()) ? 'input' : undefined),
      asked.length === 0 ? 30_000 : 4_000,
    ).catch(() => undefined);
    if (!appeared) break;
    if (appeared === 'dialog') {
      const text = (await dialog.innerText()).replace(/\s+/g, ' ');
      asked.push(`dialog: ${text}`);
      if (!/send|credential|secret/i.test(text)) throw new Error(`unexpected dialog while setting credentials: ${text}`);
      await dialog
        .locator('.monaco-button', { hasText: /^(Send|Yes|Allow|Continue|OK)/ })
        .first()
        .click();
      await dialog.waitFor({ state: 'hidden' });
      continue;
    }
    const text = await promptText(workbench);
    asked.push(`input: ${text}`);
    const input = widget.locator('input.input');
    if (/\| password$/.test(text) || /secret|password|api key/i.test(text.replace(/\| \w+$/, ''))) {
      await input.fill(answers.secret);
    } else if (/user|account|client id|\bkey\b/i.test(text)) {
      await input.fill(answers.username);
    } else if (await widget.locator('.monaco-list-row', { hasText: answers.sourceName }).first().isVisible()) {
      await widget.locator('.monaco-list-row', { hasText: answers.sourceName }).first().click();
      await waitUntil('the source pick to close', async () => (await promptText(workbench).catch(() => '')) !== text || !(await widget.isVisible()), 10_000);
      continue;
    } else {
      throw new Error(`unexpected prompt while setting credentials: ${text}`);
    }
    await page.keyboard.press('Enter');
    await waitUntil('the prompt to move on', async () => !(await widget.isVisible()) || (await promptText(workbench).catch(() => '')) !== text, 10_000);
  }
  if (asked.length === 0) throw new Error('no credential prompt appeared');
  return asked;
}

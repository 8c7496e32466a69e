// Drives the VS Code workbench in Chromium the way a user does: clicks in the Explorer, the command
// palette, the keyboard. Every wait is on a condition (a selector or some text), bounded by a timeout,
// so a slow machine only makes tests slower, never flaky.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium';
import { REPO_ROOT } from './packageVsix';

// Callbacks passed to evaluate run in the browser; the Node-side typecheck has no DOM lib.
interface BrowserElement {
  textContent: string | null;
  style: { top: string };
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): ArrayLike<BrowserElement>;
}

export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-results', 'e2e');
/** Long enough for a cold language server on a busy 2-core machine; short enough to fail a hung run. */
export const DEFAULT_TIMEOUT_MS = 45_000;

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** Polls `probe` until it returns a value other than undefined/false, or fails with `what`. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message.split('\n')[0]})` : '';
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** One browser tab showing the workbench. */
export class Workbench {
  constructor(readonly page: Page) {}

  static async open(browser: Browser, url: string): Promise<Workbench> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(DEFAULT_TIMEOUT_MS);
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 90_000 });
    const workbench = new Workbench(page);
    await workbench.explorerItem(/.*/).first().waitFor({ state: 'visible', timeout: 90_000 });
    return workbench;
  }

  async close(): Promise<void> {
    await this.page.context().close();
  }

  async screenshot(name: string): Promise<string> {
    const path = join(SCREENSHOT_DIR, `${name.replace(/[^a-z0-9/-]+/gi, '-')}.png`);
    mkdirSync(dirname(path), { recursive: true });
    await this.page.screenshot({ path, fullPage: true });
    return path;
  }

  explorerItem(name: string | RegExp) {
    return this.page.locator('.explorer-folders-view').getByRole('treeitem', { name, exact: typeof name === 'string' });
  }

  /** Opens a file by clicking through the Explorer; `path` uses `/` between folders. */
  async openFile(path: string): Promise<void> {
    const parts = path.split('/');
    for (const [index, part] of parts.entries()) {
      const item = this.explorerItem(part).first();
      await item.waitFor({ state: 'visible' });
      const isFolder = index < parts.length - 1;
      if (isFolder) {
        if ((await item.getAttribute('aria-expanded')) !== 'true') await item.click();
      } else {
        await item.click();
      }
    }
    const fileName = parts[parts.length - 1];
    await this.page.locator('.tabs-container .tab.active', { hasText: fileName }).waitFor({ state: 'visible' });
    await this.activeEditor().locator('.view-lines').waitFor({ state: 'visible' });
  }

  /**
   * Brings the editor of an open file back to the front by clicking its tab, as a user would (a
   * keyboard shortcut pressed while a webview has the focus may never reach the workbench).
   */
  async focusEditor(fileName: string): Promise<void> {
    await this.page.locator('.tabs-container .tab', { hasText: fileName }).first().click();
    await this.page.locator('.editor-group-container.active .tabs-container .tab.active', { hasText: fileName }).waitFor({ state: 'visible' });
    await this.activeEditor().locator('.view-lines').waitFor({ state: 'visible' });
  }

  activeEditor() {
    return this.page.locator('.editor-group-container.active .monaco-editor').first();
  }

  /** Runs a command through the palette by its full title, e.g. "aq: Run Query at Cursor". */
  async runCommand(title: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget input.input');
    const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    // Right after start the palette may not list an extension's commands yet; reopen until it does.
    await waitUntil(`the command "${title}" in the palette`, async () => {
      await this.page.keyboard.press('Escape');
      await this.page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      await input.fill(`>${title}`);
      return row.waitFor({ state: 'visible', timeout: 3_000 }).then(
        () => true,
        () => false,
      );
    });
    await row.click();
    // The palette closes, or turns into the command's own prompt; either way it stops showing the title.
    await waitUntil('the command palette to close', async () => !(await input.isVisible()) || (await input.inputValue()) !== `>${title}`, 10_000);
  }

  /** The text of the active editor, as the user sees it (lines in order). */
  async editorText(): Promise<string> {
    return this.activeEditor()
      .locator('.view-lines')
      .evaluate((element: BrowserElement) =>
        Array.from(element.querySelectorAll('.view-line'))
          .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
          .map((line) => (line.textContent ?? '').replace(/\u00a0/g, ' '))
          .join('\n'),
      );
  }

  /** Moves the cursor with "Go to Line/Column" (1-based line and column). */
  async goTo(line: number, column: number): Promise<void> {
    await this.activeEditor().locator('.view-lines').click();
    await this.page.keyboard.press('Control+G');
    const input = this.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`:${line}:${column}`);
    await this.page.keyboard.press('Enter');
    await input.waitFor({ state: 'hidden' });
  }

  /** Places the cursor right after the first occurrence of `text` in the active editor (plus `offset`). */
  async placeCursorAfter(text: string, offset = 0): Promise<void> {
    const lines = (await this.editorText()).split('\n');
    const index = lines.findIndex((line) => line.includes(text));
    if (index < 0) throw new Error(`"${text}" is not in the editor`);
    await this.goTo(index + 1, lines[index].indexOf(text) + text.length + 1 + offset);
  }

  /** Opens the Problems panel and returns its text. */
  async problemsText(): Promise<string> {
    const panel = this.page.locator('.markers-panel');
    if (!(await panel.isVisible())) await this.page.keyboard.press('Control+Shift+M');
    await panel.waitFor({ state: 'visible' });
    return (await panel.innerText()).replace(/\u00a0/g, ' ');
  }

  async waitForProblem(pattern: RegExp): Promise<string> {
    return waitUntil(`a problem matching ${pattern}`, async () => {
      const text = await this.problemsText();
      return pattern.test(text) ? text : undefined;
    });
  }

  /** Labels of the rows of the visible suggest widget. */
  async suggestions(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string[]> {
    const widget = this.page.locator('.suggest-widget.visible');
    await widget.waitFor({ state: 'visible', timeout: timeoutMs });
    return widget
      .locator('.monaco-list-row')
      .evaluateAll((rows: BrowserElement[]) => rows.map((row) => row.getAttribute('aria-label') ?? row.textContent ?? ''));
  }

  /** Shows the hover at the cursor (the keyboard route of mouse-hovering) and returns its text. */
  async hoverAtCursor(timeoutMs = 10_000): Promise<string> {
    await this.runCommand('Show or Focus Hover');
    const hover = this.page.locator('.monaco-hover:not(.hidden) .monaco-hover-content, .monaco-hover:not(.hidden) .hover-contents').first();
    await hover.waitFor({ state: 'visible', timeout: timeoutMs });
    return waitUntil(
      'hover text',
      async () => {
        const text = (await hover.innerText()).trim();
        return text.length > 0 && !/^loading/i.test(text) ? text : undefined;
      },
      timeoutMs,
    );
  }

  /** Opens the suggest widget with Ctrl+Space and returns its labels. */
  async triggerSuggest(timeoutMs = 10_000): Promise<string[]> {
    await this.page.keyboard.press('Control+Space');
    return this.suggestions(timeoutMs);
  }

  /**
   * Opens the quick-fix menu at the cursor and applies the action whose title matches. Right after a
   * file opens, the editor may ask for code actions before the diagnostics reach it and show an empty
   * menu; like a person, the test closes it and presses Ctrl+. again.
   */
  async applyQuickFix(title: RegExp, timeoutMs = 45_000): Promise<void> {
    const item = this.page.locator('.action-widget .monaco-list-row', { hasText: title }).first();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.page.keyboard.press('Control+.');
      try {
        await item.waitFor({ state: 'visible', timeout: Math.min(5_000, Math.max(1, deadline - Date.now())) });
        break;
      } catch (error) {
        if (Date.now() >= deadline) throw error;
        await this.page.keyboard.press('Escape');
      }
    }
    await item.click();
  }

  /** A notification toast whose text matches. */
  notification(text: RegExp) {
    return this.page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
  }

  /**
   * Clicks the action `label` of a notification toast. VS Code closes a toast once its action runs;
   * a click that lands while the toast is still sliding in does nothing, so it is repeated until
   * the toast goes, as a person would click again.
   */
  async clickNotificationAction(toast: Locator, label: string, attempts = 5): Promise<void> {
    const button = toast.locator('.monaco-button', { hasText: label });
    for (let attempt = 1; ; attempt++) {
      await button.click();
      try {
        await toast.waitFor({ state: 'hidden', timeout: 3_000 });
        return;
      } catch (error) {
        if (attempt >= attempts) throw error;
      }
    }
  }

  /** A notification toast offering the action button `label`. */
  notificationWithAction(label: string) {
    return this.page
      .locator('.notifications-toasts .notification-toast')
      .filter({ has: this.page.locator('.monaco-button', { hasText: label }) })
      .first();
  }

  /** Answers the visible quick input (input box or quick pick) with `value`. */
  async answerInput(value: string, options: { password?: boolean } = {}): Promise<void> {
    const input = this.page.locator(`.quick-input-widget input${options.password ? '[type="password"]' : ''}`).first();
    await input.waitFor({ state: 'visible' });
    await input.fill(value);
    await this.page.keyboard.press('Enter');
  }

  /** Clicks the first CodeLens of the active editor whose text matches. */
  async clickCodeLens(text: RegExp): Promise<void> {
    const lens = this.activeEditor().locator('.codelens-decoration a', { hasText: text }).first();
    await lens.waitFor({ state: 'visible' });
    await lens.click();
  }

  /** Text currently shown by code lenses in the visible editors. */
  async codeLensTexts(): Promise<string[]> {
    // Not only the active group: the results panel usually takes focus beside the editor.
    return this.page
      .locator('.monaco-editor .codelens-decoration')
      .evaluateAll((lenses: BrowserElement[]) => lenses.map((lens) => (lens.textContent ?? '').replace(/\u00a0/g, ' ').trim()));
  }

  /** Finds the webview frame whose document matches `selector` (webviews live in nested iframes). */
  async webviewFrame(selector: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Frame> {
    return waitUntil(
      `a webview frame containing ${selector}`,
      async () => {
        for (const frame of this.page.frames()) {
          if (frame === this.page.mainFrame() || frame.isDetached()) continue;
          if (await frame.$(selector).catch(() => null)) return frame;
        }
        return undefined;
      },
      timeoutMs,
    );
  }
}

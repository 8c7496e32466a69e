// Serves the results webview the way VS Code does — the real HTML and CSP from resultsHtml.ts,
// the bundle built by esbuild — on 127.0.0.1, and opens it in headless Chromium with a fake
// acquireVsCodeApi that records what the page posts.
import * as esbuild from 'esbuild';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { QueryResult } from '../../server/src/protocol/resultModel';
import { buildResultsHtml, createNonce } from '../../client/src/results/resultsHtml';
import { CHROMIUM_ARGS, ensureChromium } from '../chromium';

// Callbacks passed to page.evaluate run in the browser; the Node-side typecheck has no DOM lib.
declare const window: any;
declare const document: any;

const root = join(__dirname, '..', '..');

const FAKE_VSCODE_API = `
  window.__posted = [];
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI));
  window.acquireVsCodeApi = () => ({
    postMessage: (message) => window.__posted.push(message),
    getState: () => window.__state,
    setState: (state) => { window.__state = state; },
  });
`;

/** Uncaught errors of every page opened, for tests to assert there were none. */
export const pageErrors: string[] = [];

export interface WebviewHarness {
  openPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function startWebviewHarness(): Promise<WebviewHarness> {
  const executablePath = ensureChromium();
  const bundleDir = mkdtempSync(join(tmpdir(), 'aq-webview-bundle-'));
  // Same options as esbuild.mjs' webview entry, into a private folder so parallel builds of dist/ do not race.
  await esbuild.build({
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    logLevel: 'error',
    entryPoints: [join(root, 'client/src/results/webview/resultsApp.ts')],
    outdir: bundleDir,
  });
  const server = await listen(bundleDir);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const userDataDir = mkdtempSync(join(tmpdir(), 'aq-webview-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args: CHROMIUM_ARGS });
  return {
    async openPage() {
      const page = await context.newPage();
      // A string, not a function: tsx would wrap a function's inner closures in its `__name` helper,
      // which does not exist in the page.
      await page.addInitScript(FAKE_VSCODE_API);
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.some((message) => message.type === 'ready'));
      return page;
    },
    async close() {
      await context.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(userDataDir, { recursive: true, force: true });
      rmSync(bundleDir, { recursive: true, force: true });
    },
  };

  function listen(dir: string): Promise<Server> {
    return new Promise((resolve) => {
      const httpServer = createServer((request, response) => {
        const origin = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
        if (request.url === '/') {
          const html = buildResultsHtml({
            cspSource: origin,
            scriptUri: `${origin}/resultsApp.js`,
            styleUri: `${origin}/resultsApp.css`,
            nonce: createNonce(),
            title: 'aq results',
          });
          response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
        } else if (request.url === '/resultsApp.js' || request.url === '/resultsApp.css') {
          const type = request.url.endsWith('.js') ? 'text/javascript' : 'text/css';
          response.writeHead(200, { 'content-type': type }).end(readFileSync(join(dir, request.url.slice(1))));
        } else {
          response.writeHead(404).end();
        }
      });
      httpServer.listen(0, '127.0.0.1', () => resolve(httpServer));
    });
  }
}

/** Delivers a result the way the extension does (a message event on the window). */
export async function showResult(page: Page, result: QueryResult): Promise<void> {
  await page.evaluate((value) => window.postMessage({ type: 'showResult', result: value }, '*'), result);
  await page.waitForFunction((title) => document.querySelector('h1.title')?.textContent === title, result.title);
}

export function posted(page: Page): Promise<Array<Record<string, unknown>>> {
  return page.evaluate(() => (window as unknown as { __posted: Array<Record<string, unknown>> }).__posted);
}

// Debian's Chromium for the browser tests (webview and in-editor): where it is, the flags both
// suites launch it with, and installing it when missing (we run as root on CI and dev machines of
// this kind). playwright-core drives it; it never downloads a browser of its own.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Headless by playwright's own option; these keep it quiet, offline and within a container's /dev/shm. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function ensureChromium(): string {
  if (!existsSync(CHROMIUM_PATH)) {
    // The lock timeout lets this wait for another apt run instead of failing at once.
    execSync('apt-get update && apt-get install -y -o DPkg::Lock::Timeout=600 chromium', { stdio: 'inherit' });
  }
  return CHROMIUM_PATH;
}

// Makes sure Debian's Chromium is installed for the browser tests (we run as root on CI and dev
// machines of this kind). playwright-core drives it; it never downloads a browser of its own.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function ensureChromium(): string {
  if (!existsSync(CHROMIUM_PATH)) {
    // The lock timeout lets this wait for another apt run instead of failing at once.
    execSync('apt-get update && apt-get install -y -o DPkg::Lock::Timeout=600 chromium', { stdio: 'inherit' });
  }
  return CHROMIUM_PATH;
}

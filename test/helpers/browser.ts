import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { childEnvironment, executableSearchPath } from '../../src/config.js';
import { isExecutable } from '../../src/db/localMariadb.js';

/** Debian's Chromium: the browser the page is tested in (playwright-core brings no browser of its own). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Installs Debian's chromium package with apt-get when it is missing, as the test hooks install
 * MariaDB (src/db/localMariadb.ts): only as root and where apt-get exists; otherwise says how.
 */
export function ensureChromium(): string {
  if (isExecutable(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const howTo = 'Install Chromium (Debian/Ubuntu: `sudo apt-get install chromium`) to run the browser tests of the history page.';
  const aptGet = executableSearchPath()
    .map((dir) => join(dir, 'apt-get'))
    .find(isExecutable);
  if (process.getuid?.() !== 0 || !aptGet) throw new Error(`${CHROMIUM_PATH} was not found. ${howTo}`);
  const env = childEnvironment({ DEBIAN_FRONTEND: 'noninteractive' });
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    const result = spawnSync(aptGet, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (${result.status}): ${result.stderr.slice(-2000)}\n${howTo}`);
  }
  if (!isExecutable(CHROMIUM_PATH)) throw new Error(`chromium was installed but ${CHROMIUM_PATH} is not there. ${howTo}`);
  return CHROMIUM_PATH;
}

/**
 * One headless Chromium for a test file; each test opens its own context (its own sessionStorage).
 * playwright-core gives the browser a fresh temporary profile (--user-data-dir) and removes it on close.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: ensureChromium(), args: FLAGS, headless: true });
}

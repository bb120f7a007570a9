import { chromium, type Browser } from 'playwright-core';
import { onTestFinished } from 'vitest';

/** Debian's Chromium (`.ci/run` installs it); playwright never downloads a browser here. */
export const chromiumPath = '/usr/bin/chromium';
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Starts headless Chromium, closed when the test finishes. */
export async function launchChromium(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
  onTestFinished(() => browser.close());
  return browser;
}

/** Where screenshots go: CROSSTALK_TEST_OUTPUT when set (kept), else the test's temp folder (removed after it). */
export const shotsDir = (cwd: string) => process.env.CROSSTALK_TEST_OUTPUT ?? cwd;

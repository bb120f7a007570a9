// What the viewer's API tests (src/serve) and browser tests (test/web) share: a run recorded by the CLI, a viewer over
// its store, the run page's data, a page in Debian's Chromium, and server-sent events read back.
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect, onTestFinished } from 'vitest';
import { expandDetail } from '../../src/serve/detail-wire.js';
import { startViewer, type Viewer, type ViewerOptions } from '../../src/serve/index.js';
import type { RunDetail, RunDetailWire } from '../../src/serve/view-types.js';
import { runInProcess } from './run-cli.js';

/** Debian's Chromium (`.ci/run` installs it); playwright never downloads a browser here. */
export const chromiumPath = '/usr/bin/chromium';
/** Headless flags (see DEVELOPERS.md). */
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

/**
 * A new page (1400×900 unless told) in a Chromium started for the test, and the errors its scripts throw (a test
 * ends with `expect(pageErrors).toEqual([])`).
 */
export async function openPage(
  viewport = { width: 1400, height: 900 },
): Promise<{ browser: Browser; page: Page; pageErrors: string[] }> {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return { browser, page, pageErrors };
}

/** Where screenshots go: CROSSTALK_TEST_OUTPUT when set (kept), else the test's temp folder (removed after it). */
export const shotsDir = (cwd: string) => process.env.CROSSTALK_TEST_OUTPUT ?? cwd;

/** The run store the CLI writes in `cwd` by default. */
export const storeIn = (cwd: string) => join(cwd, '.crosstalk/runs.db');

/** Runs the CLI in this process with `--json` added; the run's id (the command must exit with one of `codes`). */
export async function recordRun(args: string[], cwd: string, codes: readonly number[] = [0]): Promise<string> {
  const result = await runInProcess([...args, '--json'], { cwd });
  expect(codes, result.stderr).toContain(result.code);
  return (JSON.parse(result.stdout) as { runId: string }).runId;
}

/** A 4-agent sim chain stopped by its token budget (exit code 3) in `cwd`'s store, for resume tests; its id. */
export function recordBudgetStoppedRun(cwd: string): Promise<string> {
  const args = ['net', 'Write a haiku.', '--topology', 'chain', '--agents', '4', '--model', 'sim'];
  return recordRun([...args, '--max-tokens', '2500', '--out', 'n'], cwd, [3]);
}

/** A viewer over the store in `cwd`, closed when the test finishes. */
export async function serveStore(cwd: string, options: Omit<ViewerOptions, 'storePath'> = {}): Promise<Viewer> {
  const viewer = await startViewer({ storePath: storeIn(cwd), ...options });
  onTestFinished(() => viewer.close());
  return viewer;
}

/** The run page's data as a viewer at `base` sends it (columns), and expanded to rows. */
export async function runPageData(base: string, runId: string): Promise<{ wire: RunDetailWire; detail: RunDetail }> {
  const response = await fetch(new URL(`/api/runs/${encodeURIComponent(runId)}`, base));
  expect(response.status).toBe(200);
  const wire = (await response.json()) as RunDetailWire;
  return { wire, detail: expandDetail(wire) };
}

/** The `data:` payloads of a finished server-sent-events body, and its named events. */
export function parseSse(text: string): { data: unknown[]; names: string[] } {
  const data: unknown[] = [];
  const names: string[] = [];
  for (const block of text.split('\n\n')) {
    const name = /^event: (.*)$/m.exec(block)?.[1];
    if (name) names.push(name);
    const line = /^data: (.*)$/m.exec(block)?.[1];
    if (line !== undefined && !name) data.push(JSON.parse(line));
  }
  return { data, names };
}

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/run-cli.js';
import { chromiumPath, openPage, recordBudgetStoppedRun, recordRun, serveStore, shotsDir } from '../support/viewer.js';

interface Event {
  type: string;
  step?: { id: string };
}

describe.skipIf(!existsSync(chromiumPath))('replaying a finished run in Chromium', () => {
  it('scrubs through the events with node states following, pauses, and diffs a node’s code versions', async () => {
    const cwd = tempDir('crosstalk-viewer-');
    // a chain of code-writing nodes; the simulated model's latency spaces the recorded events so a 1× replay lasts
    // long enough to be paused
    const runId = await recordRun(
      [
        'net',
        'Write a Python todo list program; give its files in a code block.',
        '--topology',
        'chain',
        '--agents',
        '4',
        '--model',
        'sim?latency=300ms',
        '--out',
        'n',
      ],
      cwd,
    );
    const viewer = await serveStore(cwd);
    const { events } = (await (await fetch(`${viewer.url}api/runs/${runId}/events?limit=100000`)).json()) as {
      events: Event[];
    };

    const { page, pageErrors } = await openPage();
    await page.goto(`${viewer.url}#/runs/${runId}`);
    const nodes = page.locator('[data-testid=graph-node]');
    await expect.poll(() => nodes.count(), { timeout: 30_000 }).toBe(4);
    const states = () => nodes.evaluateAll((ns) => ns.map((n) => n.getAttribute('data-state')));
    expect(await states()).toEqual(['done', 'done', 'done', 'done']);

    await page.getByTestId('replay-1x').click();
    const slider = page.getByTestId('replay-slider');
    const position = page.getByTestId('replay-position');
    // scrubbing (which pauses) to the end, then to the start: every node waiting again
    await slider.fill(String(events.length));
    await page.getByTestId('replay-play').waitFor();
    await slider.fill('0');
    await expect.poll(() => position.textContent()).toMatch(new RegExp(`^0 / ${events.length} events`));
    expect(await states()).toEqual(['waiting', 'waiting', 'waiting', 'waiting']);
    // to just before the second node's finish: it is running, the first done, the last two not begun
    const second = nodes.nth(1);
    const secondId = (await second.getAttribute('data-node'))!;
    const finish = events.findIndex((e) => e.type === 'step-finished' && e.step?.id === secondId);
    expect(finish).toBeGreaterThan(0);
    await slider.fill(String(finish));
    await expect.poll(() => second.getAttribute('data-state')).toBe('running');
    expect((await states())[0]).toBe('done');
    expect((await states()).slice(2)).toEqual(['waiting', 'waiting']);
    // one event further: it is done
    await slider.fill(String(finish + 1));
    await expect.poll(() => second.getAttribute('data-state')).toBe('done');
    await page.screenshot({ path: join(shotsDir(cwd), 'viewer-replay-scrubbed.png') });
    // to the end: as the run ended
    await slider.fill(String(events.length));
    await expect.poll(states).toEqual(['done', 'done', 'done', 'done']);

    // play from the start, then pause: the position stops where it was
    await slider.fill('0');
    await page.getByTestId('replay-play').click();
    await expect.poll(async () => Number((await position.textContent())!.split(' ')[0])).toBeGreaterThan(0);
    await page.getByTestId('replay-pause').click();
    await page.getByTestId('replay-play').waitFor();
    const paused = await position.textContent();
    expect(Number(paused!.split(' ')[0])).toBeLessThan(events.length);
    // several ticks of the replay clock later, nothing has moved
    await page.waitForTimeout(500);
    expect(await position.textContent()).toBe(paused);
    await page.getByTestId('replay-exit').click();
    await expect.poll(states).toEqual(['done', 'done', 'done', 'done']);

    // the last node: its code coloured, and a diff between the input it revised and its revision
    await nodes.last().click();
    const panel = page.getByTestId('node-panel');
    await panel.locator('[data-testid=code] .tok-keyword', { hasText: 'import' }).first().waitFor({ timeout: 30_000 });
    await panel.getByTestId('versions').locator('summary').click();
    const diff = panel.getByTestId('diff');
    await diff.waitFor();
    await panel.getByTestId('diff-from').selectOption({ index: 0 });
    expect(await panel.getByTestId('diff-from').locator('option').first().textContent()).toMatch(/'s artifact$/);
    await expect.poll(() => diff.locator('.diff-add').count()).toBeGreaterThan(0);
    expect(await diff.locator('.diff-del').count()).toBeGreaterThan(0);
    expect((await diff.locator('.diff-add').allTextContents()).some((l) => /^\+ # revision \d+$/.test(l))).toBe(true);
    expect(await panel.getByTestId('diff-count').textContent()).toMatch(/^\+\d+ −\d+$/);
    // a version against itself: no change
    await panel.getByTestId('diff-to').selectOption({ index: 0 });
    await expect.poll(() => panel.getByTestId('diff-count').textContent()).toBe('+0 −0');
    await page.screenshot({ path: join(shotsDir(cwd), 'viewer-diff.png') });
    expect(pageErrors).toEqual([]);
  }, 120_000);
});

describe.skipIf(!existsSync(chromiumPath))('resuming a stopped run from the page in Chromium', () => {
  it('offers a new budget under --allow-control and follows the resumed run to completion', async () => {
    const cwd = tempDir('crosstalk-viewer-');
    const runId = await recordBudgetStoppedRun(cwd);
    const viewer = await serveStore(cwd, { allowControl: true });
    const { page, pageErrors } = await openPage();
    await page.goto(`${viewer.url}#/runs/${runId}`);
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 30_000 }).toBe('stopped-budget');
    const nodes = page.locator('[data-testid=graph-node]');
    const states = () => nodes.evaluateAll((ns) => ns.map((n) => n.getAttribute('data-state')));
    expect((await states()).filter((s) => s === 'done').length).toBeLessThan(4);
    await page.getByTestId('resume-tokens').fill('100000');
    await page.getByTestId('resume-button').click();
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 30_000 }).toBe('completed');
    await expect.poll(states, { timeout: 30_000 }).toEqual(['done', 'done', 'done', 'done']);
    expect(pageErrors).toEqual([]);
  }, 90_000);
});

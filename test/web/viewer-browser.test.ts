import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cleanEnv, cliPath, runInProcess, storedNetRun, tempDir } from '../support/run-cli.js';
import { simulateReply, startFakeOpenAIServer } from '../support/index.js';
import { chromiumPath, openPage, recordRun, runPageData, serveStore, shotsDir } from '../support/viewer.js';

/** Runs the built CLI in the background; resolves with the first match of `ready` on its standard error. */
function startCli(
  args: string[],
  cwd: string,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray; stderr: () => string }> {
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  onTestFinished(async () => {
    if (child.exitCode === null) child.kill('SIGINT');
    await exited;
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      stderr += String(d);
      const match = ready.exec(stderr);
      if (match) resolve({ child, match, stderr: () => stderr });
    });
    child.once('close', (code) => reject(new Error(`crosstalk exited (${code}) before it was ready:\n${stderr}`)));
  });
}

describe.skipIf(!existsSync(chromiumPath))('the web viewer in Chromium', () => {
  it('shows a 64-node network live, its nodes turning done, and a node’s critic dialogue and artifact', async () => {
    const cwd = tempDir('crosstalk-viewer-');
    // the simulated model's replies served over HTTP, held until the page has shown the run in progress:
    // what the page shows before and after does not depend on how fast this machine is
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const server = await startFakeOpenAIServer({
      reply: async (request) => {
        await gate;
        return simulateReply({ messages: request.messages, seed: request.seed ?? 0 });
      },
    });
    onTestFinished(() => server.close());
    const { match } = await startCli(
      [
        'net',
        'Write a haiku about rivers.',
        '--topology',
        'small-world',
        '--agents',
        '64',
        '--model',
        `compatible:${server.url}#sim-over-http`,
        '--serve',
        '--out',
        'out',
      ],
      cwd,
      /run (\S+) at (\S+)/,
    );
    const runUrl = match[2]!;
    expect(runUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#\/runs\//);

    const { page, pageErrors } = await openPage();
    await page.goto(runUrl);
    const nodes = page.locator('[data-testid=graph-node]');
    await expect.poll(() => nodes.count(), { timeout: 30_000 }).toBe(64);
    // no call has been answered: nodes are waiting or running, none done
    const statesNow = async () => nodes.evaluateAll((ns) => ns.map((n) => n.getAttribute('data-state')));
    await expect.poll(async () => (await statesNow()).includes('running'), { timeout: 30_000 }).toBe(true);
    const before = await statesNow();
    expect(before.filter((s) => s === 'done')).toEqual([]);
    expect(before.filter((s) => s === 'waiting').length).toBeGreaterThan(0);
    await page.screenshot({ path: join(shotsDir(cwd), 'viewer-live.png') });

    open();
    await expect
      .poll(async () => (await statesNow()).every((s) => s === 'done'), { timeout: 120_000, interval: 250 })
      .toBe(true);
    await expect.poll(() => page.getByTestId('run-status').textContent(), { timeout: 30_000 }).toBe('completed');

    // a node with an incoming edge: its critic reviewed the predecessor's artifact, its actor refined it
    const { detail } = await runPageData(runUrl, runUrl.split('/runs/')[1]!);
    const { from, to: target } = detail.graph!.edges[0]!;
    await page.locator(`[data-testid=graph-node][data-node="${target}"]`).click();
    const panel = page.getByTestId('node-panel');
    await expect.poll(() => panel.locator('h2').textContent()).toBe(target);
    // the dialogue on the edge from `from`: its critic's review first
    const edge = panel.locator('section.edge-dialogue', { hasText: `edge ${from} → ${target}` });
    const critic = edge.locator('li.agent-critic').first();
    await critic.waitFor({ timeout: 30_000 });
    const criticText = (await critic.locator('pre.reply').textContent()) ?? '';
    expect(criticText.length).toBeGreaterThan(20);
    await critic.locator('summary').click();
    expect(await critic.locator('pre.message').first().textContent()).toContain('rivers');
    expect(((await panel.getByTestId('artifact').textContent()) ?? '').length).toBeGreaterThan(20);
    // the timeline: a bar per step (the 64 nodes and the final merge of the sinks, if there are several)
    await page.getByTestId('timeline-toggle').locator('summary').click();
    await expect
      .poll(() => page.locator('[data-testid=timeline] svg > g').count(), { timeout: 30_000 })
      .toBeGreaterThanOrEqual(64);
    await page.screenshot({ path: join(shotsDir(cwd), 'viewer-done.png') });
    expect(existsSync(join(shotsDir(cwd), 'viewer-done.png'))).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 180_000);
});

describe.skipIf(!existsSync(chromiumPath))('an exported run page in Chromium', () => {
  it('opens from disk with no server and shows the graph and a node’s dialogue', async () => {
    const cwd = tempDir('crosstalk-viewer-');
    const runId = await storedNetRun(cwd, 4);
    const exported = await runInProcess(['runs', 'export', runId, '--html', 'run.html'], { cwd });
    expect(exported.code).toBe(0);
    const { page, pageErrors } = await openPage({ width: 1200, height: 800 });
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(join(cwd, 'run.html')).href);
    const nodes = page.locator('[data-testid=graph-node]');
    await expect.poll(() => nodes.count(), { timeout: 30_000 }).toBe(4);
    expect(await nodes.evaluateAll((ns) => ns.map((n) => n.getAttribute('data-state')))).toEqual([
      'done',
      'done',
      'done',
      'done',
    ]);
    await nodes.last().click();
    await page.locator('[data-testid=node-panel] li.agent-critic').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(shotsDir(cwd), 'viewer-exported.png') });
    // nothing was fetched but the file itself
    expect(requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:'))).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 90_000);
});

describe.skipIf(!existsSync(chromiumPath))('a cross-team run page in Chromium', () => {
  it('shows the teams as lanes through the stages, with each decision’s scores and pruning reasons', async () => {
    const cwd = tempDir('crosstalk-viewer-');
    const runId = await recordRun(
      ['story', 'A lighthouse keeper.', '--teams', '3', '--prune', '2', '--prune-above', '2', '--model', 'sim'],
      cwd,
    );
    const viewer = await serveStore(cwd);
    const { page } = await openPage();
    await page.goto(`${viewer.url}#/runs/${runId}`);
    const lanes = page.getByTestId('lane');
    await expect.poll(() => lanes.count(), { timeout: 30_000 }).toBe(3);
    expect(await page.locator('[data-testid=lanes] thead th').allTextContents()).toEqual([
      'team',
      'outline',
      'draft',
      'revise',
    ]);
    // with 3 teams keeping 2, each stage prunes one proposal and says why
    const pruned = page.locator('[data-testid=verdict].pruned');
    expect(await pruned.count()).toBe(3);
    expect(await pruned.first().textContent()).toMatch(/pruned: score [\d.]+ below the lowest kept/);
    // each decision's merge tree: the kept proposals merged into one
    const trees = page.getByTestId('merge-tree');
    expect(await trees.count()).toBeGreaterThan(0);
    expect(await trees.first().textContent()).toMatch(/merge-1\.1 ←.*team\d \([\d.]+\).*team\d \([\d.]+\)/);
    await lanes.first().locator('button.lane-cell').first().click();
    await page.locator('[data-testid=node-panel] li.turn').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(shotsDir(cwd), 'viewer-lanes.png') });
  }, 90_000);
});

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { generateTopology } from '../src/graph/index.js';
import { runNetwork } from '../src/jobs/index.js';
import { LiveRuns, startViewer } from '../src/serve/index.js';
import { median, printTable } from './table.js';

const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const nodes = 1000;
const graph = generateTopology('small-world', { n: nodes, seed: 5 });

/** Counts the `data:` events of a server-sent-events response until it ends. */
async function countSse(url: string): Promise<{ events: number; types: Record<string, number> }> {
  const response = await fetch(url);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let events = 0;
  const types: Record<string, number> = {};
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true });
    const blocks = buffer.split('\n\n');
    buffer = blocks.pop()!;
    for (const block of blocks) {
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (!data || /^event: /m.test(block)) continue;
      events++;
      const type = (JSON.parse(data) as { type: string }).type;
      types[type] = (types[type] ?? 0) + 1;
    }
  }
  return { events, types };
}

/**
 * The web viewer on a 1,000-node network (simulated model: figures measure the viewer, not answer quality):
 * the SSE event rate of a live run with every event counted, and the run page's time to first render and to
 * interactive in headless Chromium once it finished.
 */
export async function benchViewer(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-bench-viewer-'));
  try {
    const storePath = join(dir, 'runs.db');
    const live = new LiveRuns();
    const viewer = await startViewer({ storePath, live });
    try {
      // live: the viewer streams the run's own events as they happen; a client counts what it receives
      const handle = runNetwork({
        task: 'Write a haiku about the sea.',
        graph,
        model: 'sim',
        store: storePath,
        concurrency: 64,
      });
      let emitted = 0;
      const started = performance.now();
      const counted = (async () => {
        const runId = await handle.runId;
        live.add(runId, { events: handle.events });
        return { runId, ...(await countSse(new URL(`/api/runs/${runId}/stream`, viewer.url).href)) };
      })();
      for await (const _event of handle) emitted++;
      const result = await handle.result;
      const received = await counted;
      const seconds = (performance.now() - started) / 1000;
      printTable(
        `viewer: live SSE stream of a ${nodes}-node sim run (${result.summary.totals.calls} calls)`,
        ['events emitted', 'events received', 'dropped', 'run + stream s', 'events/s', 'target'],
        [[emitted, received.events, emitted - received.events, seconds, received.events / seconds, 'none dropped']],
      );

      if (!existsSync(chromiumPath)) {
        process.stdout.write(`\n(viewer page timings skipped: no ${chromiumPath})\n`);
        return;
      }
      const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
      try {
        const firstRender: number[] = [];
        const interactive: number[] = [];
        const target = graph.edges.at(-1)!.to;
        for (let i = 0; i < 3; i++) {
          const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
          const t0 = performance.now();
          await page.goto(`${viewer.url}#/runs/${received.runId}`);
          await page.locator('[data-testid=graph-overview] canvas').waitFor({ timeout: 60_000 });
          firstRender.push(performance.now() - t0);
          // interactive: opening a node shows its panel with its dialogue
          await page.getByTestId('node-search').fill(target);
          await page.getByTestId('node-search').press('Enter');
          await page.locator('[data-testid=dialogue] li').first().waitFor({ timeout: 60_000 });
          interactive.push(performance.now() - t0);
          await page.close();
        }
        const range = (values: number[]) => `${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))}`;
        printTable(
          `viewer: finished ${nodes}-node run page in headless Chromium (median of 3 page loads and their range; server on this machine, the first load computes the run's page data)`,
          ['first render ms', 'interactive ms', 'first render range', 'interactive range', 'target'],
          [
            [
              median(firstRender),
              median(interactive),
              range(firstRender),
              range(interactive),
              'interactive under 2000 ms on 2 cores',
            ],
          ],
        );
      } finally {
        await browser.close();
      }
    } finally {
      await viewer.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

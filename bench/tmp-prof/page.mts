import { chromium } from 'playwright-core';
import { startViewer } from '../../src/serve/index.js';

async function main() {
  const viewer = await startViewer({ storePath: '/tmp/v2prof/runs.db' });
  const runs = (await (await fetch(new URL('/api/runs', viewer.url))).json()) as { runs: Array<{ id: string }> };
  const runId = runs.runs[0]!.id;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'], headless: true });
  for (let i = 0; i < 4; i++) {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const cdp = await page.context().newCDPSession(page);
    const profile = i === 3;
    if (profile) { await cdp.send('Profiler.enable'); await cdp.send('Profiler.setSamplingInterval', { interval: 200 }); await cdp.send('Profiler.start'); }
    const t0 = performance.now();
    const log: string[] = [];
    page.on('requestfinished', (r) => { const t = r.timing(); log.push(`${Math.round(performance.now() - t0)} ${r.url().replace(viewer.url, '/').slice(0, 60)} start=${Math.round(t.startTime - 0)} resp=${Math.round(t.responseStart)} end=${Math.round(t.responseEnd)}`); });
    page.on('console', (m) => log.push(`console ${Math.round(performance.now() - t0)} ${m.text()}`));
    await page.goto(`${viewer.url}#/runs/${runId}`);
    await page.locator('[data-testid=graph-overview] canvas').waitFor({ timeout: 60_000 });
    const first = performance.now() - t0;
    await page.getByTestId('node-search').fill('n999');
    await page.getByTestId('node-search').press('Enter');
    await page.locator('[data-testid=dialogue] li').first().waitFor({ timeout: 60_000 });
    const inter = performance.now() - t0;
    console.log(i, Math.round(first), Math.round(inter)); if (i === 2) console.log(log.join('\n'));
    if (profile) {
      const { profile: p } = (await cdp.send('Profiler.stop')) as any;
      const self = new Map<string, number>();
      const dt = new Map<number, number>();
      for (let k = 0; k < p.samples.length; k++) dt.set(p.samples[k], (dt.get(p.samples[k]) ?? 0) + (p.timeDeltas[k] ?? 0));
      for (const n of p.nodes) {
        const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
        self.set(key, (self.get(key) ?? 0) + (dt.get(n.id) ?? 0) / 1000);
      }
      console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${Math.round(v)}ms ${k}`).join('\n'));
    }
    await page.close();
  }
  await browser.close();
  await viewer.close();
}
main();

import { existsSync } from 'node:fs';
import { generateTopology } from '../../src/graph/index.js';
import { runNetwork } from '../../src/jobs/index.js';
import { startViewer } from '../../src/serve/index.js';

async function main() {
  const storePath = '/tmp/v2prof/runs.db';
  if (!existsSync(storePath)) {
    const graph = generateTopology('small-world', { n: 1000, seed: 5 });
    const handle = runNetwork({ task: 'Write a haiku about the sea.', graph, model: 'sim', store: storePath, concurrency: 64 });
    for await (const _ of handle);
    console.log('run', await handle.runId);
  }
  const viewer = await startViewer({ storePath });
  const runs = (await (await fetch(new URL('/api/runs', viewer.url))).json()) as { runs: Array<{ id: string }> };
  const runId = runs.runs[0]!.id;
  for (let i = 0; i < 3; i++) {
    for (const path of [`/api/runs/${runId}`, `/api/runs/${runId}/usage`, `/api/runs/${runId}/dialogue?node=n999`, `/api/runs/${runId}/artifact?step=n999`, `/api/runs/${runId}/events?limit=1000000`]) {
      const t = performance.now();
      const r = await fetch(new URL(path, viewer.url));
      const text = await r.text();
      console.log(i, path.split('/').pop()!.slice(0, 20), r.status, Math.round(performance.now() - t), 'ms', text.length, 'bytes');
    }
  }
  await viewer.close();
}
main();

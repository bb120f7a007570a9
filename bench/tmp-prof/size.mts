import { startViewer } from '../../src/serve/index.js';
async function main() {
  const viewer = await startViewer({ storePath: '/tmp/v2prof/runs.db' });
  const runs = (await (await fetch(new URL('/api/runs', viewer.url))).json()) as { runs: Array<{ id: string }> };
  const d = (await (await fetch(new URL(`/api/runs/${runs.runs[0]!.id}`, viewer.url))).json()) as Record<string, unknown>;
  for (const [k, v] of Object.entries(d)) console.log(k, JSON.stringify(v).length);
  console.log(JSON.stringify((d.steps as unknown[])[5]));
  await viewer.close();
}
main();

import { generateTopology, validateGraph } from '../src/graph/index.js';
import { SimulatedModel } from '../src/model/index.js';
import { buildModelStack, createModelLimiter, UsageTracker } from '../src/model/middleware/index.js';
import { executeNetwork } from '../src/network/index.js';

const n = Number(process.argv[2] ?? 10_000);
const started = performance.now();
const graph = validateGraph(generateTopology('small-world', { n, seed: 1 }));
const model = buildModelStack({
  model: new SimulatedModel({ seed: 1 }),
  tracker: new UsageTracker(),
  limiter: createModelLimiter({ concurrency: 256 }),
  timeoutMs: 60_000,
});
const result = await executeNetwork({
  graph,
  task: 'Write a haiku about the sea.',
  taskType: 'text',
  model: () => model,
  concurrency: 256,
  seed: 1,
});
const wallMs = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({ nodes: n, edges: graph.spec.edges.length, calls: result.calls, status: result.status, wallMs: Math.round(wallMs), peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
);

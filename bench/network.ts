import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  generateTopology,
  validateGraph,
  type ScheduleEvent,
  type TopologyName,
  type TopologyParams,
} from '../src/graph/index.js';
import { buildModelStack, createModelLimiter, UsageTracker } from '../src/model/middleware/index.js';
import { SimulatedModel } from '../src/model/index.js';
import { executeNetwork } from '../src/network/index.js';
import { printTable } from './table.js';

/** Runs one network on sim with latency and returns makespan and the lower bound from measured node durations. */
async function measure(topology: TopologyName, n: number, concurrency: number, params: Partial<TopologyParams> = {}) {
  const graph = validateGraph(generateTopology(topology, { n, seed: 1, ...params }));
  const model = buildModelStack({
    model: new SimulatedModel({ seed: 1, latency: { kind: 'uniform', minMs: 40, maxMs: 60 } }),
    tracker: new UsageTracker(),
    // calls never queue for a slot here, so a node's measured duration is its own work
    limiter: createModelLimiter({ concurrency: 1_000_000 }),
    timeoutMs: 60_000,
  });
  const startedAt = new Map<string, number>();
  const duration = new Map<string, number>();
  const onEvent = (e: ScheduleEvent) => {
    if (e.type === 'step-started') startedAt.set(e.id, performance.now());
    if (e.type === 'step-finished') duration.set(e.id, performance.now() - startedAt.get(e.id)!);
  };
  const started = performance.now();
  const result = await executeNetwork({
    graph,
    task: 'Write a haiku about the sea.',
    taskType: 'text',
    model: () => model,
    concurrency,
    seed: 1,
    onEvent,
  });
  const makespan = result.makespanMs;
  // lower bound: max(critical path over measured node durations, total work / concurrency)
  const { dag } = graph;
  const finish = new Float64Array(dag.ids.length);
  let critical = 0;
  let total = 0;
  const order: number[] = [];
  const indegree = dag.pred.map((p) => p.length);
  for (let i = 0; i < dag.ids.length; i++) if (indegree[i] === 0) order.push(i);
  for (let h = 0; h < order.length; h++) for (const w of dag.succ[order[h]!]!) if (--indegree[w]! === 0) order.push(w);
  for (const v of order) {
    const d = duration.get(dag.ids[v]!) ?? 0;
    total += d;
    let ready = 0;
    for (const p of dag.pred[v]!) ready = Math.max(ready, finish[p]!);
    finish[v] = ready + d;
    critical = Math.max(critical, finish[v]!);
  }
  const bound = Math.max(critical, total / concurrency);
  // a tighter bound that is still valid: work that cannot start before τ needs at least τ + work(τ) ÷ concurrency
  const earliest = new Float64Array(dag.ids.length);
  for (const v of order)
    for (const w of dag.succ[v]!) earliest[w] = Math.max(earliest[w]!, earliest[v]! + (duration.get(dag.ids[v]!) ?? 0));
  const byStart = order.map((v) => [earliest[v]!, duration.get(dag.ids[v]!) ?? 0] as const).sort((a, b) => b[0] - a[0]);
  let suffix = 0;
  let timed = critical;
  for (const [start, d] of byStart) {
    suffix += d;
    timed = Math.max(timed, start + suffix / concurrency);
  }
  return {
    result,
    makespan,
    bound,
    timed,
    critical,
    total,
    wall: performance.now() - started,
    edges: graph.spec.edges.length,
  };
}

/** Issue 5: makespan ÷ lower bound per topology and size, on sim with 50 ms ± 20 % latency. */
export async function benchMakespan(): Promise<void> {
  // 256 nodes at once: enough that the widest layers of these 1,024-node graphs can run together
  const concurrency = 256;
  const rows: Array<Array<string | number>> = [];
  const sizes = process.env.CROSSTALK_BENCH_QUICK ? [64, 256] : [64, 256, 1024];
  // the paper's random density has about n²/4 edges: 64 nodes (about 1,000 edges) only
  const cases: Array<[TopologyName, Partial<TopologyParams>, string, number[]?]> = [
    ['chain', {}, 'chain'],
    ['tree', {}, 'tree (binary)'],
    ['layer', { width: 8 }, 'layer (width 8)'],
    ['random', { density: 'sparse' }, 'random (sparse)'],
    ['random', { density: 'paper' }, 'random (paper density)', [64]],
    ['small-world', {}, 'small-world (k 4, β 0.1)'],
  ];
  for (const [topology, params, label, only] of cases) {
    for (const n of only ?? sizes) {
      const m = await measure(topology, n, concurrency, params);
      const ratio = m.makespan / m.bound;
      rows.push([
        label,
        n,
        m.edges,
        m.result.calls,
        Math.round(m.critical),
        Math.round(m.total / concurrency),
        Math.round(m.makespan),
        ratio,
        ratio <= 1.1 ? 'yes' : 'NO',
        Math.round(m.timed),
        m.makespan / m.timed,
      ]);
    }
  }
  printTable(
    `Makespan vs lower bound (sim latency 50 ms ± 20 %, ${concurrency} nodes at once; bound = max(critical path, work ÷ concurrency) from measured node times; target ≤ 1.10). The time-indexed bound max over τ of τ + work not startable before τ ÷ concurrency is also a valid lower bound and is tighter where the top of a graph cannot fill the slots (trees)`,
    [
      'topology',
      'nodes',
      'edges',
      'calls',
      'critical path ms',
      'work/conc ms',
      'makespan ms',
      'ratio',
      'target met',
      'time-indexed bound ms',
      'ratio to it',
    ],
    rows,
  );
}

/** Issue 5: the largest prompt of any node as the network grows at fixed in-degree (memory control). */
export async function benchMemoryControl(): Promise<void> {
  const rows: Array<Array<string | number>> = [];
  let first = 0;
  for (const n of [16, 64, 256, 1024]) {
    const graph = validateGraph(generateTopology('layer', { n, width: 4 }));
    const result = await executeNetwork({
      graph,
      task: 'a command-line todo app',
      taskType: 'code',
      model: () => new SimulatedModel({ seed: 2 }),
      concurrency: 64,
      seed: 2,
    });
    const tokens = Math.ceil(result.maxPromptChars / 4);
    if (!first) first = tokens;
    rows.push([n, graph.spec.edges.length, result.calls, tokens, tokens / first, tokens / first <= 1.2 ? 'yes' : 'NO']);
  }
  printTable(
    'Memory control: largest prompt of any node, layer topology with in-degree 4, code task (target: ratio n=1024 vs n=16 ≤ 1.2)',
    ['nodes', 'edges', 'calls', 'max prompt tokens', 'ratio vs n=16', 'target met'],
    rows,
  );
}

/** Issue 5: a 10,000-node small-world network on zero-latency sim, in a child process so its peak RSS is its own. */
export async function benchScale(): Promise<void> {
  const child = fileURLToPath(new URL('./scale-child.ts', import.meta.url));
  const run = spawnSync(process.execPath, ['--import', 'tsx', child, '10000'], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0) throw new Error(`scale run failed: ${run.stderr}`);
  const r = JSON.parse(run.stdout.trim().split('\n').pop()!) as {
    nodes: number;
    edges: number;
    calls: number;
    status: string;
    wallMs: number;
    peakRssMiB: number;
  };
  printTable(
    'Scale: 10,000-node small-world network, zero-latency sim (targets: wall < 30 s, peak RSS < 1 GiB)',
    ['nodes', 'edges', 'agents', 'calls', 'status', 'wall s', 'peak RSS MiB', 'targets met'],
    [
      [
        r.nodes,
        r.edges,
        r.nodes + r.edges,
        r.calls,
        r.status,
        r.wallMs / 1000,
        r.peakRssMiB,
        r.wallMs < 30_000 && r.peakRssMiB < 1024 ? 'yes' : 'NO',
      ],
    ],
  );
}

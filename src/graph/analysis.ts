import { seededRandom } from '../common/index.js';
import type { Dag, GraphSpec } from './types.js';

/** Kahn's algorithm; ties broken by node index, so the order is deterministic. Assumes a DAG. */
export function topologicalOrder(dag: Dag): number[] {
  const n = dag.ids.length;
  const indegree = Int32Array.from(dag.pred, (p) => p.length);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (indegree[i] === 0) queue.push(i);
  const order: number[] = [];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    order.push(v);
    for (const w of dag.succ[v]!) if (--indegree[w]! === 0) queue.push(w);
  }
  return order;
}

/** Depth of each node: 0 for sources, else 1 + the deepest predecessor. */
export function nodeDepths(dag: Dag, order = topologicalOrder(dag)): Int32Array {
  const depth = new Int32Array(dag.ids.length);
  for (const v of order) for (const w of dag.succ[v]!) depth[w] = Math.max(depth[w]!, depth[v]! + 1);
  return depth;
}

/** Nodes grouped by depth (topological layers). */
export function topologicalLayers(dag: Dag): number[][] {
  const depth = nodeDepths(dag);
  const layers: number[][] = [];
  depth.forEach((d, v) => (layers[d] ??= []).push(v));
  return layers;
}

/**
 * Longest remaining path from each node to a sink, counting node weights
 * (default 1 each): the critical-path rank used to prioritise ready steps.
 */
export function remainingPathLength(dag: Dag, weight: (node: number) => number = () => 1, order = topologicalOrder(dag)): Float64Array {
  const rank = new Float64Array(dag.ids.length);
  for (let k = order.length - 1; k >= 0; k--) {
    const v = order[k]!;
    let best = 0;
    for (const w of dag.succ[v]!) best = Math.max(best, rank[w]!);
    rank[v] = best + weight(v);
  }
  return rank;
}

/** The critical path: node ids along the longest weighted path, and its length. */
export function criticalPath(dag: Dag, weight: (node: number) => number = () => 1): { path: string[]; length: number } {
  if (dag.ids.length === 0) return { path: [], length: 0 };
  const rank = remainingPathLength(dag, weight);
  // the longest path starts where the remaining length is greatest (always a source)
  let v = 0;
  for (let i = 1; i < rank.length; i++) if (rank[i]! > rank[v]!) v = i;
  const path = [dag.ids[v]!];
  const length = rank[v]!;
  for (;;) {
    let next = -1;
    for (const w of dag.succ[v]!) if (next === -1 || rank[w]! > rank[next]!) next = w;
    if (next === -1) break;
    path.push(dag.ids[next]!);
    v = next;
  }
  return { path, length };
}

function undirectedNeighbours(dag: Dag): Array<Set<number>> {
  return dag.ids.map((_, i) => new Set([...dag.succ[i]!, ...dag.pred[i]!]));
}

/** Average local clustering coefficient of the undirected view. */
export function averageClustering(dag: Dag): number {
  const nb = undirectedNeighbours(dag);
  let sum = 0;
  for (const set of nb) {
    const list = [...set];
    const k = list.length;
    if (k < 2) continue;
    let links = 0;
    for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) if (nb[list[a]!]!.has(list[b]!)) links++;
    sum += (2 * links) / (k * (k - 1));
  }
  return dag.ids.length === 0 ? 0 : sum / dag.ids.length;
}

/**
 * Average shortest path length of the undirected view, over reachable pairs.
 * Exact for up to `maxSources` nodes; above that, BFS from a seeded sample.
 */
export function averagePathLength(dag: Dag, options: { maxSources?: number; seed?: number } = {}): number {
  const n = dag.ids.length;
  if (n < 2) return 0;
  const nb = undirectedNeighbours(dag).map((s) => [...s]);
  const maxSources = options.maxSources ?? 200;
  let sources = Array.from({ length: n }, (_, i) => i);
  if (n > maxSources) {
    const random = seededRandom(options.seed ?? 0);
    sources = Array.from({ length: maxSources }, () => Math.floor(random() * n));
  }
  let total = 0;
  let pairs = 0;
  const dist = new Int32Array(n);
  for (const s of sources) {
    dist.fill(-1);
    dist[s] = 0;
    const queue = [s];
    for (let h = 0; h < queue.length; h++) {
      const v = queue[h]!;
      for (const w of nb[v]!) {
        if (dist[w] !== -1) continue;
        dist[w] = dist[v]! + 1;
        total += dist[w]!;
        pairs++;
        queue.push(w);
      }
    }
  }
  return pairs === 0 ? 0 : total / pairs;
}

/** Statistics `crosstalk graph --stats` prints. */
export interface GraphStats {
  nodes: number;
  edges: number;
  /** Agents as the MacNet paper counts them: |V| + |E| (actors on nodes, critics on edges). */
  agents: number;
  depth: number;
  widthPerLayer: number[];
  sources: number;
  sinks: number;
  criticalPathLength: number;
  averageClustering: number;
  averagePathLength: number;
  /** Small-world comparison with a random graph of the same size: C/C_rand and L/L_rand (sigma = their ratio). */
  smallWorld: { clusteringRatio: number; pathRatio: number; sigma: number } | null;
  inDegree: Record<number, number>;
  outDegree: Record<number, number>;
}

function histogram(values: number[]): Record<number, number> {
  const h: Record<number, number> = {};
  for (const v of values) h[v] = (h[v] ?? 0) + 1;
  return h;
}

/** Computes {@link GraphStats}. `reference` is an equal-size random graph for the small-world ratios. */
export function graphStats(dag: Dag, options: { seed?: number; reference?: Dag } = {}): GraphStats {
  const layers = topologicalLayers(dag);
  const c = averageClustering(dag);
  const l = averagePathLength(dag, { seed: options.seed ?? 0 });
  let smallWorld: GraphStats['smallWorld'] = null;
  if (options.reference) {
    const cr = averageClustering(options.reference);
    const lr = averagePathLength(options.reference, { seed: options.seed ?? 0 });
    if (cr > 0 && lr > 0 && l > 0) smallWorld = { clusteringRatio: c / cr, pathRatio: l / lr, sigma: c / cr / (l / lr) };
  }
  return {
    nodes: dag.ids.length,
    edges: dag.edgeCount,
    agents: dag.ids.length + dag.edgeCount,
    depth: layers.length,
    widthPerLayer: layers.map((layer) => layer.length),
    sources: dag.pred.filter((p) => p.length === 0).length,
    sinks: dag.succ.filter((s) => s.length === 0).length,
    criticalPathLength: criticalPath(dag).length,
    averageClustering: c,
    averagePathLength: l,
    smallWorld,
    inDegree: histogram(dag.pred.map((p) => p.length)),
    outDegree: histogram(dag.succ.map((s) => s.length)),
  };
}

function dotId(id: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(id) ? id : JSON.stringify(id);
}

/** Graphviz DOT text of a spec, with node roles/models and edge critics as attributes. */
export function toDot(spec: GraphSpec, name = 'network'): string {
  const lines = [`digraph ${dotId(name)} {`, '  rankdir=LR;'];
  for (const node of spec.nodes) {
    const attrs = Object.entries({ role: node.role, model: node.model, temperature: node.temperature })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${JSON.stringify(String(v))}`);
    lines.push(`  ${dotId(node.id)}${attrs.length ? ` [${attrs.join(', ')}]` : ''};`);
  }
  for (const e of spec.edges) lines.push(`  ${dotId(e.from)} -> ${dotId(e.to)}${e.critic ? ` [critic=${JSON.stringify(e.critic)}]` : ''};`);
  lines.push('}');
  return lines.join('\n');
}

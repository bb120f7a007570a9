import { seededRandom } from '../common/index.js';
import { AbortedError } from '../errors/index.js';
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
export function remainingPathLength(
  dag: Dag,
  weight: (node: number) => number = () => 1,
  order = topologicalOrder(dag),
): Float64Array {
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

/** Undirected adjacency as sorted arrays (binary-searchable), built in O(edges) without a Set per node. */
function undirectedAdjacency(dag: Dag): Int32Array[] {
  return dag.ids.map((_, i) => {
    const list = Int32Array.from([...dag.succ[i]!, ...dag.pred[i]!]).sort();
    return list;
  });
}

function hasNeighbour(list: Int32Array, v: number): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const x = list[mid]!;
    if (x === v) return true;
    if (x < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Bounds on the sampled statistics: what `crosstalk graph --stats` computes on any graph within seconds. */
export const statsSampling = {
  /** Nodes whose local clustering is measured (all when the graph has fewer). */
  clusteringNodes: 2000,
  /** Neighbour pairs checked per node (all when it has fewer). */
  pairsPerNode: 2000,
  /** Breadth-first searches for the path length, at most. */
  pathSources: 100,
  /** Adjacency entries the breadth-first searches may visit in all. */
  pathWork: 10_000_000,
} as const;

/**
 * Work in slices: a generator that yields now and then, so a caller can run
 * it to the end at once or interleave it with the event loop (and stop it).
 */
type Sliced<T> = Generator<void, T, void>;

function runSliced<T>(work: Sliced<T>): T {
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
  }
}

async function runSlicedAsync<T>(work: Sliced<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal?.aborted) throw new AbortedError();
  let last = performance.now();
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
    if (performance.now() - last > 20) {
      // give signal handlers (SIGTERM, Ctrl-C) a turn
      await new Promise((resolve) => setImmediate(resolve));
      last = performance.now();
      if (signal?.aborted) throw new AbortedError();
    }
  }
}

function* clusteringWork(dag: Dag, seed: number, adjacency = undirectedAdjacency(dag)): Sliced<number> {
  const n = dag.ids.length;
  if (n === 0) return 0;
  const random = seededRandom(seed ^ 0x5bd1e995);
  const sampled =
    n <= statsSampling.clusteringNodes
      ? Array.from({ length: n }, (_, i) => i)
      : Array.from({ length: statsSampling.clusteringNodes }, () => Math.floor(random() * n));
  let sum = 0;
  for (const v of sampled) {
    const list = adjacency[v]!;
    const k = list.length;
    if (k >= 2) {
      const allPairs = (k * (k - 1)) / 2;
      let links = 0;
      let checked = 0;
      if (allPairs <= statsSampling.pairsPerNode) {
        for (let a = 0; a < k; a++)
          for (let b = a + 1; b < k; b++) if (hasNeighbour(adjacency[list[a]!]!, list[b]!)) links++;
        checked = allPairs;
      } else {
        for (; checked < statsSampling.pairsPerNode; checked++) {
          const a = Math.floor(random() * k);
          let b = Math.floor(random() * (k - 1));
          if (b >= a) b++;
          if (hasNeighbour(adjacency[list[a]!]!, list[b]!)) links++;
        }
      }
      sum += links / checked;
    }
    yield;
  }
  return sum / sampled.length;
}

function* pathLengthWork(
  dag: Dag,
  options: { maxSources?: number; seed?: number },
  adjacency = undirectedAdjacency(dag),
): Sliced<number> {
  const n = dag.ids.length;
  if (n < 2) return 0;
  const perSearch = n + 2 * dag.edgeCount;
  const maxSources = Math.max(
    2,
    Math.min(options.maxSources ?? statsSampling.pathSources, Math.floor(statsSampling.pathWork / perSearch)),
  );
  let sources = Array.from({ length: n }, (_, i) => i);
  if (n > maxSources) {
    const random = seededRandom(options.seed ?? 0);
    sources = Array.from({ length: maxSources }, () => Math.floor(random() * n));
  }
  let total = 0;
  let pairs = 0;
  const dist = new Int32Array(n);
  const queue = new Int32Array(n);
  for (const s of sources) {
    dist.fill(-1);
    dist[s] = 0;
    queue[0] = s;
    let tail = 1;
    for (let h = 0; h < tail; h++) {
      const v = queue[h]!;
      for (const w of adjacency[v]!) {
        if (dist[w] !== -1) continue;
        dist[w] = dist[v]! + 1;
        total += dist[w]!;
        pairs++;
        queue[tail++] = w;
      }
      if ((h & 4095) === 0) yield;
    }
    yield;
  }
  return pairs === 0 ? 0 : total / pairs;
}

/**
 * Average local clustering coefficient of the undirected view: exact on up
 * to 2,000 nodes with up to 2,000 neighbour pairs each, else estimated from a
 * seeded sample of nodes and pairs (see {@link statsSampling}).
 */
export function averageClustering(dag: Dag, options: { seed?: number } = {}): number {
  return runSliced(clusteringWork(dag, options.seed ?? 0));
}

/**
 * Average shortest path length of the undirected view, over reachable pairs.
 * Exact for up to `maxSources` nodes (default 100); above that, or when the
 * searches would visit more than 10 million adjacency entries, breadth-first
 * searches from a seeded sample.
 */
export function averagePathLength(dag: Dag, options: { maxSources?: number; seed?: number } = {}): number {
  return runSliced(pathLengthWork(dag, options));
}

/** The structure of a graph: cheap (linear) to compute, what every run reports. */
export interface GraphStructure {
  nodes: number;
  edges: number;
  /** Agents as the MacNet paper counts them: |V| + |E| (actors on nodes, critics on edges). */
  agents: number;
  depth: number;
  widthPerLayer: number[];
  sources: number;
  sinks: number;
  criticalPathLength: number;
  inDegree: Record<number, number>;
  outDegree: Record<number, number>;
}

/** Statistics `crosstalk graph --stats` prints: the structure plus (sampled) small-world statistics. */
export interface GraphStats extends GraphStructure {
  averageClustering: number;
  averagePathLength: number;
  /** Small-world comparison with a random graph of the same size: C/C_rand and L/L_rand (sigma = their ratio). */
  smallWorld: { clusteringRatio: number; pathRatio: number; sigma: number } | null;
}

function histogram(values: number[]): Record<number, number> {
  const h: Record<number, number> = {};
  for (const v of values) h[v] = (h[v] ?? 0) + 1;
  return h;
}

/** Computes {@link GraphStructure} in time linear in the graph's size. */
export function structureStats(dag: Dag): GraphStructure {
  const layers = topologicalLayers(dag);
  return {
    nodes: dag.ids.length,
    edges: dag.edgeCount,
    agents: dag.ids.length + dag.edgeCount,
    depth: layers.length,
    widthPerLayer: layers.map((layer) => layer.length),
    sources: dag.pred.filter((p) => p.length === 0).length,
    sinks: dag.succ.filter((s) => s.length === 0).length,
    criticalPathLength: criticalPath(dag).length,
    inDegree: histogram(dag.pred.map((p) => p.length)),
    outDegree: histogram(dag.succ.map((s) => s.length)),
  };
}

function* statsWork(dag: Dag, options: { seed?: number; reference?: Dag }): Sliced<GraphStats> {
  const seed = options.seed ?? 0;
  const structure = structureStats(dag);
  yield;
  const adjacency = undirectedAdjacency(dag);
  const c = yield* clusteringWork(dag, seed, adjacency);
  const l = yield* pathLengthWork(dag, { seed }, adjacency);
  let smallWorld: GraphStats['smallWorld'] = null;
  if (options.reference) {
    const referenceAdjacency = undirectedAdjacency(options.reference);
    const cr = yield* clusteringWork(options.reference, seed, referenceAdjacency);
    const lr = yield* pathLengthWork(options.reference, { seed }, referenceAdjacency);
    if (cr > 0 && lr > 0 && l > 0)
      smallWorld = { clusteringRatio: c / cr, pathRatio: l / lr, sigma: c / cr / (l / lr) };
  }
  return { ...structure, averageClustering: c, averagePathLength: l, smallWorld };
}

/**
 * Computes {@link GraphStats}, sampled so it stays within seconds on any graph
 * (see {@link statsSampling}). `reference` is an equal-size random graph for
 * the small-world ratios. Use {@link structureStats} when the structure is all you need.
 */
export function graphStats(dag: Dag, options: { seed?: number; reference?: Dag } = {}): GraphStats {
  return runSliced(statsWork(dag, options));
}

/**
 * {@link graphStats} that lets the event loop run every few milliseconds and
 * stops with an `AbortedError` once `signal` aborts (Ctrl-C, SIGTERM).
 */
export function graphStatsAsync(
  dag: Dag,
  options: { seed?: number; reference?: Dag; signal?: AbortSignal } = {},
): Promise<GraphStats> {
  return runSlicedAsync(statsWork(dag, options), options.signal);
}

function dotId(id: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(id) ? id : JSON.stringify(id);
}

/** Graphviz DOT text of a spec, with node roles/models and edge critics as attributes. */
export function toDot(spec: GraphSpec, name = 'network'): string {
  // a mesh of 1,500 nodes has 1.1 million edges: quote each id once, not once per edge
  const ids = new Map(spec.nodes.map((node) => [node.id, dotId(node.id)]));
  const idOf = (id: string) => ids.get(id) ?? dotId(id);
  const lines = [`digraph ${dotId(name)} {`, '  rankdir=LR;'];
  for (const node of spec.nodes) {
    const attrs = Object.entries({ role: node.role, model: node.model, temperature: node.temperature })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${JSON.stringify(String(v))}`);
    lines.push(`  ${idOf(node.id)}${attrs.length ? ` [${attrs.join(', ')}]` : ''};`);
  }
  for (const e of spec.edges)
    lines.push(`  ${idOf(e.from)} -> ${idOf(e.to)}${e.critic ? ` [critic=${JSON.stringify(e.critic)}]` : ''};`);
  lines.push('}');
  return lines.join('\n');
}

import { z } from 'zod';
import { seededRandom, type Random } from '../common/index.js';
import { GraphSpecError } from '../errors/index.js';
import type { EdgeSpec, GraphSpec } from './types.js';

/** Names of the built-in topologies. */
export const topologyNames = ['chain', 'star', 'tree', 'mesh', 'layer', 'random', 'small-world', 'scale-free'] as const;
/** A built-in topology. */
export type TopologyName = (typeof topologyNames)[number];

/** Parameters of the generators (each uses the ones that apply to it). */
export const topologyParamsSchema = z
  .object({
    /** Number of nodes (agents on nodes). */
    n: z.number().int().min(1),
    seed: z.number().int().default(0),
    /** `divergent` (from few to many, default) or `convergent` (every edge reversed). */
    orientation: z.enum(['divergent', 'convergent']).default('divergent'),
    /** Tree branching factor. Default 2 (binary). */
    branching: z.number().int().min(1).default(2),
    /** Layer width (nodes per layer); default gives ⌊log2 n⌋ layers. */
    width: z.number().int().min(1).optional(),
    /**
     * Random: how dense. `paper` (the default when `p` is not given) is MacNet's random graph: a mesh with
     * edges removed, its edge count drawn uniformly from n−1 … n(n−1)/2 and that many mesh edges chosen
     * uniformly. `sparse` keeps each pair with probability `p` (default 2/(n−1), about two successors each).
     */
    density: z.enum(['paper', 'sparse']).optional(),
    /** Random, `sparse` density: edge probability between two nodes in the random order. Default 2/(n−1). */
    p: z.number().min(0).max(1).optional(),
    /** Small-world: neighbours in the ring lattice (even). Default 4. */
    k: z.number().int().min(2).default(4),
    /** Small-world: rewiring probability. Default 0.1. */
    beta: z.number().min(0).max(1).default(0.1),
    /** Scale-free: edges each new node brings. Default 2. */
    m: z.number().int().min(1).default(2),
  })
  .strict();

/** Parameters accepted by {@link generateTopology}. */
export type TopologyParams = z.input<typeof topologyParamsSchema>;

const nodeId = (i: number) => `n${i}`;

function spec(n: number, pairs: Array<[number, number]>, orientation: 'divergent' | 'convergent'): GraphSpec {
  const nodes = Array.from({ length: n }, (_, i) => ({ id: nodeId(i) }));
  const edges: EdgeSpec[] = pairs.map(([a, b]) =>
    orientation === 'convergent' ? { from: nodeId(b), to: nodeId(a) } : { from: nodeId(a), to: nodeId(b) },
  );
  return { nodes, edges };
}

/** Union–find over node indices. */
class Components {
  private readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
  }
  find(x: number): number {
    while (this.parent[x] !== x) {
      this.parent[x] = this.parent[this.parent[x]!]!;
      x = this.parent[x]!;
    }
    return x;
  }
  union(a: number, b: number): void {
    this.parent[this.find(a)] = this.find(b);
  }
}

/**
 * Makes a graph whose edges go from lower to higher `rank` weakly connected:
 * each other component is joined to the part before it by one edge that also
 * goes from lower to higher rank, so the graph stays acyclic.
 */
function connect(n: number, pairs: Array<[number, number]>, rank: ArrayLike<number>, random: Random): void {
  const uf = new Components(n);
  for (const [a, b] of pairs) uf.union(a, b);
  const byRank = Array.from({ length: n }, (_, i) => i).sort((a, b) => rank[a]! - rank[b]!);
  for (let k = 1; k < n; k++) {
    const node = byRank[k]!;
    if (uf.find(node) === uf.find(byRank[0]!)) continue;
    // join the component of `node` to a node ranked before it (which lies in the growing main part)
    let earlier = byRank[Math.floor(random() * k)]!;
    if (uf.find(earlier) === uf.find(node)) earlier = byRank[0]!;
    pairs.push([earlier, node]);
    uf.union(earlier, node);
  }
}

function randomPermutation(n: number, random: Random): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** Default edge probability of the sparse random graph: about two successors per node. */
const sparseP = (n: number) => (n > 1 ? Math.min(1, 2 / (n - 1)) : 0);

/** A random graph's density: `paper` unless `p` is given, which only the sparse graph takes. */
function randomDensity(o: z.output<typeof topologyParamsSchema>): 'paper' | 'sparse' {
  if (o.density === 'paper' && o.p !== undefined)
    throw new GraphSpecError({
      message:
        "topology 'random': parameter 'p' applies to density 'sparse' only (density 'paper' draws its edge count)",
    });
  return o.density ?? (o.p !== undefined ? 'sparse' : 'paper');
}

/** The paper's random edge count: uniform over n−1 … n(n−1)/2 (as MacNet's reference generator draws it). */
function paperEdgeCount(n: number, random: Random): number {
  const pairs = (n * (n - 1)) / 2;
  const least = Math.max(0, n - 1);
  return least + Math.floor(random() * (pairs - least + 1));
}

/**
 * Chooses `m` of the n(n−1)/2 rank pairs (r < c) uniformly at random and calls `emit` for each, in
 * increasing order. One pass over the pairs (selection sampling) when there are few enough; otherwise
 * Floyd's algorithm draws the m pair indices in O(m) time and space.
 */
function samplePairs(n: number, m: number, random: Random, emit: (r: number, c: number) => void): void {
  const total = (n * (n - 1)) / 2;
  if (m <= 0) return;
  if (total > 1 << 24 && m < total / 4) {
    const chosen = new Set<number>();
    for (let j = total - m; j < total; j++) {
      const t = Math.floor(random() * (j + 1));
      chosen.add(chosen.has(t) ? j : t);
    }
    let r = 0;
    let rowStart = 0; // index of the pair (r, r + 1)
    for (const k of Float64Array.from(chosen).sort()) {
      while (k >= rowStart + (n - 1 - r)) {
        rowStart += n - 1 - r;
        r++;
      }
      emit(r, r + 1 + (k - rowStart));
    }
    return;
  }
  let need = m;
  let left = total;
  for (let r = 0; r + 1 < n && need > 0; r++)
    for (let c = r + 1; c < n && need > 0; c++) {
      if (random() * left < need) {
        emit(r, c);
        need--;
      }
      left--;
    }
}

/** Default maximum edge count of a graph (`maxEdges` to change): about 1 GB of memory for the graph and its run. */
export const defaultMaxEdges = 4_000_000;

/** Edges a topology with these parameters has (exact, or the expected count for `random`), without building it. */
export function expectedEdgeCount(name: TopologyName, o: z.output<typeof topologyParamsSchema>): number {
  const n = o.n;
  switch (name) {
    case 'mesh':
      return (n * (n - 1)) / 2;
    case 'layer': {
      const layers = o.width ? Math.ceil(n / o.width) : Math.max(Math.min(2, n), Math.floor(Math.log2(Math.max(2, n))));
      const width = o.width ?? Math.ceil(n / layers);
      return Math.max(0, n - width) * width;
    }
    case 'random':
      return randomDensity(o) === 'paper'
        ? (Math.max(0, n - 1) + (n * (n - 1)) / 2) / 2
        : (o.p ?? sparseP(n)) * ((n * (n - 1)) / 2) + n;
    case 'small-world':
      return n * Math.max(1, Math.floor(o.k / 2)) + n;
    case 'scale-free':
      return n * o.m;
    default:
      return n;
  }
}

/**
 * Generates a built-in topology with `n` nodes (`n0` … `n{n-1}`). Seeded:
 * the same parameters always give the same graph. Every result is a DAG.
 * Cost is O(n + edges) except `mesh`, `layer` and `random` at the paper's
 * density, whose edge counts grow quadratically by definition (the paper's
 * random graph has n²/4 edges on average; `density: 'sparse'` keeps it linear).
 */
export function generateTopology(
  name: TopologyName,
  params: TopologyParams,
  options: { maxEdges?: number } = {},
): GraphSpec {
  const parsed = topologyParamsSchema.safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new GraphSpecError({ message: `topology '${name}': parameter '${issue.path.join('.')}' ${issue.message}` });
  }
  const o = parsed.data;
  const n = o.n;
  // refuse before allocating: a mesh of 100,000 nodes would need 5 billion edges
  const maxEdges = options.maxEdges ?? defaultMaxEdges;
  const random = seededRandom(o.seed ^ 0x9e3779b9);
  // the paper's random graph draws its edge count first, so the check below uses the count it will have
  const paperEdges = name === 'random' && randomDensity(o) === 'paper' ? paperEdgeCount(n, random) : undefined;
  const edges = paperEdges ?? expectedEdgeCount(name, o);
  if (edges > maxEdges) {
    throw new GraphSpecError({
      message: `a ${name} of ${n.toLocaleString('en-US')} nodes has about ${Math.round(edges).toLocaleString('en-US')} edges, above the maximum of ${maxEdges.toLocaleString('en-US')} (raise it with --max-edges${paperEdges !== undefined ? ', or use --density sparse' : ''})`,
    });
  }
  const pairs: Array<[number, number]> = [];
  switch (name) {
    case 'chain':
      for (let i = 0; i + 1 < n; i++) pairs.push([i, i + 1]);
      break;
    case 'star':
      for (let i = 1; i < n; i++) pairs.push([0, i]);
      break;
    case 'tree':
      for (let i = 1; i < n; i++) pairs.push([Math.floor((i - 1) / o.branching), i]);
      break;
    case 'mesh':
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([i, j]);
      break;
    case 'layer': {
      const layers = o.width ? Math.ceil(n / o.width) : Math.max(Math.min(2, n), Math.floor(Math.log2(Math.max(2, n))));
      const width = o.width ?? Math.ceil(n / layers);
      for (let start = 0; start + width < n; start += width) {
        const nextEnd = Math.min(n, start + 2 * width);
        for (let a = start; a < start + width; a++) for (let b = start + width; b < nextEnd; b++) pairs.push([a, b]);
      }
      break;
    }
    case 'random': {
      const order = randomPermutation(n, random);
      const rank = new Int32Array(n);
      order.forEach((node, r) => (rank[node] = r));
      if (paperEdges !== undefined) {
        // the paper's graph: the mesh over a random order with all but `paperEdges` of its edges removed
        samplePairs(n, paperEdges, random, (r, c) => pairs.push([order[r]!, order[c]!]));
        connect(n, pairs, rank, random);
        break;
      }
      const p = o.p ?? sparseP(n);
      // geometric skipping over the n(n−1)/2 ordered pairs: O(n + edges) instead of O(n²)
      if (p > 0) {
        const logQ = Math.log(1 - p);
        let r = 0;
        let s = 0;
        for (;;) {
          const skip = p === 1 ? 0 : Math.floor(Math.log(1 - random()) / logQ);
          s += skip + 1;
          while (r < n && s > n - 1 - r) {
            s -= n - 1 - r;
            r++;
          }
          if (r >= n - 1) break;
          pairs.push([order[r]!, order[r + s]!]);
        }
      }
      connect(n, pairs, rank, random);
      break;
    }
    case 'small-world': {
      // Watts–Strogatz on a ring, then every edge oriented by a seeded random order of the nodes:
      // acyclic, and far shallower than orienting along the ring (which would make one long path)
      const half = Math.max(1, Math.floor(Math.min(o.k, Math.max(2, n - 1)) / 2));
      const seen = new Set<number>();
      const key = (a: number, b: number) => Math.min(a, b) * n + Math.max(a, b);
      const undirected: Array<[number, number]> = [];
      for (let i = 0; i < n; i++) {
        for (let d = 1; d <= half; d++) {
          let j = (i + d) % n;
          if (j === i) continue;
          if (random() < o.beta && n > 2) {
            for (let tries = 0; tries < 8; tries++) {
              const c = Math.floor(random() * n);
              if (c !== i && !seen.has(key(i, c))) {
                j = c;
                break;
              }
            }
          }
          const k = key(i, j);
          if (seen.has(k)) continue;
          seen.add(k);
          undirected.push([i, j]);
        }
      }
      const order = randomPermutation(n, random);
      const rank = new Int32Array(n);
      order.forEach((node, r) => (rank[node] = r));
      for (const [a, b] of undirected) pairs.push(rank[a]! < rank[b]! ? [a, b] : [b, a]);
      connect(n, pairs, rank, random);
      break;
    }
    case 'scale-free': {
      // Barabási–Albert: attach to existing nodes with probability proportional to degree
      const targets: number[] = [];
      for (let i = 1; i < n; i++) {
        const want = Math.min(o.m, i);
        const chosen = new Set<number>();
        while (chosen.size < want) {
          const pickFromDegrees = targets.length > 0 && random() < 0.9;
          chosen.add(pickFromDegrees ? targets[Math.floor(random() * targets.length)]! : Math.floor(random() * i));
        }
        for (const c of chosen) {
          pairs.push([c, i]);
          targets.push(c, i);
        }
      }
      break;
    }
  }
  return spec(n, pairs, o.orientation);
}

/** True when `name` is a built-in topology. */
export function isTopologyName(name: string): name is TopologyName {
  return (topologyNames as readonly string[]).includes(name);
}

import { GraphSpecError } from '../errors/index.js';
import { defaultMaxEdges } from './topologies.js';
import { toDag, type Dag, type GraphSpec } from './types.js';

/** Default maximum node count (`maxNodes` to change). */
export const defaultMaxNodes = 100_000;

/** Longest node id, in characters: ids become file names (`nodes/<id>.md`), which Linux caps at 255 bytes. */
export const maxNodeIdLength = 200;

/** File name a node's artifact is written to, under `nodes/` of the output directory. */
export function nodeFileName(id: string): string {
  return `${id.replace(/[^A-Za-z0-9._-]/g, '_')}.md`;
}

/**
 * Refuses ids that cannot become a file name (empty, or too long), before any model call is made rather than
 * after all of them.
 */
function checkNodeId(id: string): void {
  if (id.length === 0) throw new GraphSpecError({ message: 'a node has an empty id', nodes: [id] });
  if (id.length > maxNodeIdLength || Buffer.byteLength(nodeFileName(id)) > 255) {
    throw new GraphSpecError({
      message: `node id '${id.slice(0, 40)}…' has ${id.length} characters, above the maximum of ${maxNodeIdLength}`,
      nodes: [id],
    });
  }
}

/** Result of a successful validation. */
export interface ValidatedGraph {
  spec: GraphSpec;
  dag: Dag;
  /** Non-fatal findings, e.g. nodes with no edges. */
  warnings: string[];
}

/** Finds one cycle and returns its node path (first node repeated at the end), or undefined. */
export function findCycle(dag: Dag): string[] | undefined {
  const n = dag.ids.length;
  const state = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  const parent = new Int32Array(n).fill(-1);
  for (let root = 0; root < n; root++) {
    if (state[root] !== 0) continue;
    // iterative DFS so 100,000-node chains do not overflow the call stack
    const stack: Array<[number, number]> = [[root, 0]];
    state[root] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [node, i] = top;
      const next = dag.succ[node]![i];
      if (next === undefined) {
        state[node] = 2;
        stack.pop();
        continue;
      }
      top[1]++;
      if (state[next] === 1) {
        // back edge node -> next: the cycle is next -> … -> node -> next
        const path: string[] = [];
        for (let v = node; ; v = parent[v]!) {
          path.push(dag.ids[v]!);
          if (v === next || parent[v] === -1) break;
        }
        path.reverse();
        path.push(dag.ids[next]!);
        return path;
      }
      if (state[next] === 0) {
        state[next] = 1;
        parent[next] = node;
        stack.push([next, 0]);
      }
    }
  }
  return undefined;
}

/**
 * Validates a graph spec: non-empty, at most `maxNodes` nodes, unique ids,
 * edges between known nodes, no self-loops, no duplicate edges, no cycles.
 * Nodes with no edges at all (in a graph of several nodes) are a warning.
 * @throws GraphSpecError with a one-line message naming the offending node, edge or cycle.
 */
export function validateGraph(spec: GraphSpec, options: { maxNodes?: number; maxEdges?: number } = {}): ValidatedGraph {
  const max = options.maxNodes ?? defaultMaxNodes;
  const maxEdges = options.maxEdges ?? defaultMaxEdges;
  if (spec.nodes.length === 0) throw new GraphSpecError({ message: 'graph has no nodes' });
  if (spec.nodes.length > max)
    throw new GraphSpecError({
      message: `graph has ${spec.nodes.length} nodes, above the maximum of ${max} (raise it with --max-nodes)`,
    });
  if (spec.edges.length > maxEdges)
    throw new GraphSpecError({
      message: `graph has ${spec.edges.length} edges, above the maximum of ${maxEdges} (raise it with --max-edges)`,
    });
  const seen = new Set<string>();
  for (const node of spec.nodes) {
    if (seen.has(node.id)) throw new GraphSpecError({ message: `duplicate node id '${node.id}'`, nodes: [node.id] });
    checkNodeId(node.id);
    seen.add(node.id);
  }
  const edgeKeys = new Set<string>();
  for (const edge of spec.edges) {
    for (const end of [edge.from, edge.to]) {
      if (!seen.has(end))
        throw new GraphSpecError({
          message: `edge ${edge.from} -> ${edge.to} refers to unknown node '${end}'`,
          nodes: [end],
        });
    }
    if (edge.from === edge.to)
      throw new GraphSpecError({ message: `self-loop on node '${edge.from}'`, nodes: [edge.from] });
    const key = `${edge.from}\u0000${edge.to}`;
    if (edgeKeys.has(key))
      throw new GraphSpecError({ message: `duplicate edge ${edge.from} -> ${edge.to}`, nodes: [edge.from, edge.to] });
    edgeKeys.add(key);
  }
  const dag = toDag(spec);
  const cycle = findCycle(dag);
  if (cycle) throw new GraphSpecError({ message: `graph has a cycle: ${cycle.join(' -> ')}`, nodes: cycle });
  const warnings: string[] = [];
  if (spec.nodes.length > 1) {
    const isolated = dag.ids.filter((_, i) => dag.succ[i]!.length === 0 && dag.pred[i]!.length === 0);
    if (isolated.length > 0)
      warnings.push(
        `${isolated.length} node(s) have no edges and work alone: ${isolated.slice(0, 5).join(', ')}${isolated.length > 5 ? ', …' : ''}`,
      );
  }
  return { spec, dag, warnings };
}

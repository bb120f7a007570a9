// Pure, with no imports: the layered layout of a large network, computed once per run on the server (the web app
// lays out only small graphs itself, with dagre).

/** Graphs above this many nodes are laid out on the server and drawn as a canvas overview by the web app. */
export const largeGraph = 300;

/** The size of a node in the overview of a large graph, in layout units. */
export const compactNode = { width: 18, height: 18 };

/**
 * Top-left positions of a network's nodes, a row per topological layer, each row ordered by the mean place of the
 * node's predecessors in theirs (fewer crossings than input order); linear in nodes and edges.
 * @param layers each node's topological layer, by node index.
 * @param from,to the edges, as node indices.
 */
export function layerGrid(
  layers: readonly number[],
  from: readonly number[],
  to: readonly number[],
): { x: number[]; y: number[] } {
  const { width, height } = compactNode;
  const preds: number[][] = layers.map(() => []);
  from.forEach((f, i) => preds[to[i]!]!.push(f));
  const rows: number[][] = [];
  layers.forEach((layer, v) => (rows[layer] ??= []).push(v));
  const rank = new Float64Array(layers.length);
  const x = new Array<number>(layers.length).fill(0);
  const y = new Array<number>(layers.length).fill(0);
  rows.forEach((members, layer) => {
    const keyed = members.map((v, i) => {
      const p = preds[v]!;
      let sum = 0;
      for (const u of p) sum += rank[u]!;
      return { v, mean: p.length ? sum / p.length : i };
    });
    keyed.sort((a, b) => a.mean - b.mean);
    const offset = -(keyed.length * (width + 6)) / 2;
    keyed.forEach(({ v }, i) => {
      rank[v] = i;
      x[v] = Math.round(offset + i * (width + 6));
      y[v] = layer * (height + 90);
    });
  });
  return { x, y };
}

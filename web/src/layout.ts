import dagre from '@dagrejs/dagre';
import { compactNode, largeGraph, layerGrid } from '../../src/serve/graph-layout';
import type { GraphView } from '../../src/serve/view-types';

/** Graphs above this many nodes come laid out by the server and are drawn as a canvas overview. */
export { largeGraph };

export const nodeSize = { normal: { width: 120, height: 36 }, compact: compactNode };

/**
 * Positions of a network's nodes, top to bottom by topological layer (a row per layer suits wide screens): those the
 * server computed (large graphs: a layer grid, so the page does no layout), else dagre's (small graphs: fewer
 * crossings).
 */
export function layoutGraph(graph: GraphView): Map<string, { x: number; y: number }> {
  if (graph.nodes.length > 0 && graph.nodes.every((n) => n.x !== undefined && n.y !== undefined))
    return new Map(graph.nodes.map((n) => [n.id, { x: n.x!, y: n.y! }]));
  if (graph.nodes.length <= largeGraph) return dagreLayout(graph);
  const index = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const at = layerGrid(
    graph.nodes.map((n) => n.layer),
    graph.edges.map((e) => index.get(e.from)!),
    graph.edges.map((e) => index.get(e.to)!),
  );
  return new Map(graph.nodes.map((n, i) => [n.id, { x: at.x[i]!, y: at.y[i]! }]));
}

function dagreLayout(graph: GraphView) {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 14, ranksep: 60 });
  g.setDefaultEdgeLabel(() => ({}));
  const { width, height } = nodeSize.normal;
  for (const n of graph.nodes) g.setNode(n.id, { width, height });
  for (const e of graph.edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const positions = new Map<string, { x: number; y: number }>();
  for (const n of graph.nodes) {
    const p = g.node(n.id);
    positions.set(n.id, { x: p.x - width / 2, y: p.y - height / 2 });
  }
  return positions;
}

/** A stable colour for a critic role, so edges reviewed by the same role look alike. */
export function criticColour(critic: string | undefined): string {
  if (!critic) return '#94a3b8';
  let h = 0;
  for (const ch of critic) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return `hsl(${h} 65% 45%)`;
}

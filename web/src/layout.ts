import dagre from '@dagrejs/dagre';
import type { GraphView } from './types';

/** Graphs above this many nodes are drawn compact, laid out by layer without dagre, and edges shown when zoomed in. */
export const largeGraph = 300;

export const nodeSize = { normal: { width: 120, height: 36 }, compact: { width: 18, height: 18 } };

/**
 * Positions of a network's nodes, top to bottom by topological layer (a row per layer suits wide screens). Small graphs use dagre (fewer crossings);
 * large ones a layer grid ordered by the mean position of each node's predecessors, which is linear in the edges.
 */
export function layoutGraph(graph: GraphView): Map<string, { x: number; y: number }> {
  return graph.nodes.length > largeGraph ? layerGrid(graph) : dagreLayout(graph);
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

function layerGrid(graph: GraphView) {
  const { width, height } = nodeSize.compact;
  const preds = new Map<string, string[]>();
  for (const e of graph.edges) preds.set(e.to, [...(preds.get(e.to) ?? []), e.from]);
  const layers: string[][] = [];
  for (const n of graph.nodes) (layers[n.layer] ??= []).push(n.id);
  const rank = new Map<string, number>();
  const positions = new Map<string, { x: number; y: number }>();
  layers.forEach((members, layer) => {
    const keyed = members.map((id, i) => {
      const from = preds.get(id) ?? [];
      const mean = from.length ? from.reduce((sum, p) => sum + (rank.get(p) ?? 0), 0) / from.length : i;
      return { id, mean };
    });
    keyed.sort((a, b) => a.mean - b.mean);
    const offset = -(keyed.length * (width + 6)) / 2;
    keyed.forEach(({ id }, i) => {
      rank.set(id, i);
      positions.set(id, { x: offset + i * (width + 6), y: layer * (height + 90) });
    });
  });
  return positions;
}

/** A stable colour for a critic role, so edges reviewed by the same role look alike. */
export function criticColour(critic: string | undefined): string {
  if (!critic) return '#94a3b8';
  let h = 0;
  for (const ch of critic) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return `hsl(${h} 65% 45%)`;
}

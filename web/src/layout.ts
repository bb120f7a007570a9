import { compactNode, largeGraph, layerGrid } from '../../src/serve/graph-layout';
import type { GraphView } from '../../src/serve/view-types';

/** Graphs above this many nodes come laid out by the server and are drawn as a canvas overview. */
export { largeGraph };

export const nodeSize = { normal: { width: 120, height: 36 }, compact: compactNode };

/**
 * Positions of a large network's nodes, a row per topological layer: those the server computed (the page does no
 * layout), else the same layer grid computed here. Small graphs are laid out by dagre (see dagre-layout.ts).
 */
export function gridLayout(graph: GraphView): Map<string, { x: number; y: number }> {
  if (graph.nodes.length > 0 && graph.nodes.every((n) => n.x !== undefined && n.y !== undefined))
    return new Map(graph.nodes.map((n) => [n.id, { x: n.x!, y: n.y! }]));
  const index = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const at = layerGrid(
    graph.nodes.map((n) => n.layer),
    graph.edges.map((e) => index.get(e.from)!),
    graph.edges.map((e) => index.get(e.to)!),
  );
  return new Map(graph.nodes.map((n, i) => [n.id, { x: at.x[i]!, y: at.y[i]! }]));
}

/** A stable colour for a critic role, so edges reviewed by the same role look alike. */
export function criticColour(critic: string | undefined): string {
  if (!critic) return '#94a3b8';
  let h = 0;
  for (const ch of critic) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return `hsl(${h} 65% 45%)`;
}

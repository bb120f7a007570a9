import dagre from '@dagrejs/dagre';
import type { GraphView } from '../../src/serve/view-types';
import { gridLayout, largeGraph, nodeSize } from './layout';

/**
 * Positions of a network's nodes, top to bottom by topological layer (a row per layer suits wide screens): dagre's
 * for small graphs (fewer crossings), the layer grid for large ones. Only React Flow's canvas uses it, so dagre is
 * loaded with it, not before a large graph's first paint.
 */
export function layoutGraph(graph: GraphView): Map<string, { x: number; y: number }> {
  return graph.nodes.length > largeGraph ? gridLayout(graph) : dagreLayout(graph);
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

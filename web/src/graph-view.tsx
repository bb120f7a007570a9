import {
  Background,
  Controls,
  Handle,
  Position,
  ReactFlow,
  type Edge,
  type Node,
  type NodeProps,
  type Viewport,
} from '@xyflow/react';
import { memo, useMemo, useState } from 'react';
import { layoutGraph } from './dagre-layout';
import { criticColour, largeGraph } from './layout';
import type { GraphView, StepState } from '../../src/serve/view-types';

type StepNodeData = { label: string; state: StepState; role?: string; compact: boolean; critical: boolean };
type StepNodeType = Node<StepNodeData, 'step'>;

const StepNode = memo(function StepNode({ id, data }: NodeProps<StepNodeType>) {
  return (
    <div
      className={`step step-${data.state}${data.compact ? ' compact' : ''}${data.critical ? ' critical' : ''}`}
      data-testid="graph-node"
      data-node={id}
      data-state={data.state}
      title={`${id}${data.role ? ` (${data.role})` : ''}: ${data.state}`}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} />
      {data.compact ? null : <span className="label">{data.label}</span>}
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
});

const nodeTypes = { step: StepNode };

/** Zoom above which a large graph's edges are drawn (below it they would be an unreadable, costly mass). */
const edgeZoom = 0.6;

/**
 * The network by layers, nodes coloured by state, edges by critic. Large graphs stay responsive: compact nodes,
 * only what is in view rendered, and edges drawn once zoomed in.
 */
export function GraphCanvas(props: {
  graph: GraphView;
  states: ReadonlyMap<string, StepState>;
  selected: string | undefined;
  onSelect: (id: string) => void;
}) {
  const { graph, states, selected, onSelect } = props;
  const large = graph.nodes.length > largeGraph;
  const positions = useMemo(() => layoutGraph(graph), [graph]);
  const critical = useMemo(() => new Set(graph.criticalPath), [graph]);
  const [zoomedIn, setZoomedIn] = useState(false);
  const nodes: StepNodeType[] = useMemo(
    () =>
      graph.nodes.map((n) => ({
        id: n.id,
        type: 'step',
        position: positions.get(n.id)!,
        selected: n.id === selected,
        data: {
          label: n.id,
          state: states.get(n.id) ?? 'waiting',
          ...(n.role ? { role: n.role } : {}),
          compact: large,
          critical: critical.has(n.id),
        },
      })),
    [graph, positions, states, selected, large, critical],
  );
  const allEdges: Edge[] = useMemo(
    () =>
      graph.edges.map((e) => ({
        id: `${e.from}->${e.to}`,
        source: e.from,
        target: e.to,
        style: { stroke: criticColour(e.critic), strokeWidth: large ? 0.6 : 1.2 },
        focusable: false,
      })),
    [graph, large],
  );
  const edges = large && !zoomedIn ? [] : allEdges;
  return (
    <div className="canvas" data-testid="graph">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodeClick={(_e, node) => onSelect(node.id)}
        onMoveEnd={(_e, viewport: Viewport) => setZoomedIn(viewport.zoom >= edgeZoom)}
        onlyRenderVisibleElements={large}
        nodesDraggable={false}
        nodesConnectable={false}
        edgesFocusable={false}
        minZoom={0.02}
        fitView
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={24} />
        <Controls showInteractive={false} />
      </ReactFlow>
      {large && !zoomedIn && <div className="hint">{graph.edges.length} edges appear when you zoom in</div>}
    </div>
  );
}

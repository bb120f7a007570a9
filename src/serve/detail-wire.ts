// Pure, with no runtime imports: the server sends the run page's long lists as columns, the web app expands them.
import type { GraphColumns, GraphView, RunDetail, RunDetailWire, StepColumns, StepView } from './view-types.js';

/** {@link RunDetail} as the API sends it: the steps and the graph as columns, edges naming nodes by index. */
export function compactDetail(detail: RunDetail): RunDetailWire {
  return { ...detail, steps: stepColumns(detail.steps), graph: detail.graph ? graphColumns(detail.graph) : null };
}

/** The run page's data from what the API sent. */
export function expandDetail(wire: RunDetailWire): RunDetail {
  return { ...wire, steps: stepRows(wire.steps), graph: wire.graph ? graphRows(wire.graph) : null };
}

function stepColumns(steps: readonly StepView[]): StepColumns {
  return {
    id: steps.map((s) => s.id),
    state: steps.map((s) => s.state),
    attempts: steps.map((s) => s.attempts),
    artifact: steps.map((s) => (s.hasArtifact ? 1 : 0)),
  };
}

function stepRows(c: StepColumns): StepView[] {
  return c.id.map((id, i) => ({ id, state: c.state[i]!, attempts: c.attempts[i]!, hasArtifact: c.artifact[i] === 1 }));
}

function graphColumns(graph: GraphView): GraphColumns {
  const index = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const sparse = (values: Array<string | undefined>) => {
    const out: Record<number, string> = {};
    let any = false;
    values.forEach((v, i) => {
      if (v === undefined) return;
      out[i] = v;
      any = true;
    });
    return any ? out : undefined;
  };
  const positioned = graph.nodes.length > 0 && graph.nodes.every((n) => n.x !== undefined && n.y !== undefined);
  const role = sparse(graph.nodes.map((n) => n.role));
  const model = sparse(graph.nodes.map((n) => n.model));
  const critic = sparse(graph.edges.map((e) => e.critic));
  return {
    id: graph.nodes.map((n) => n.id),
    layer: graph.nodes.map((n) => n.layer),
    ...(positioned ? { x: graph.nodes.map((n) => n.x!), y: graph.nodes.map((n) => n.y!) } : {}),
    ...(role ? { role } : {}),
    ...(model ? { model } : {}),
    from: graph.edges.map((e) => index.get(e.from)!),
    to: graph.edges.map((e) => index.get(e.to)!),
    ...(critic ? { critic } : {}),
    layers: graph.layers,
    criticalPath: graph.criticalPath.map((id) => index.get(id)!),
  };
}

function graphRows(c: GraphColumns): GraphView {
  return {
    nodes: c.id.map((id, i) => ({
      id,
      layer: c.layer[i]!,
      ...(c.role?.[i] !== undefined ? { role: c.role[i] } : {}),
      ...(c.model?.[i] !== undefined ? { model: c.model[i] } : {}),
      ...(c.x && c.y ? { x: c.x[i]!, y: c.y[i]! } : {}),
    })),
    edges: c.from.map((f, i) => ({
      from: c.id[f]!,
      to: c.id[c.to[i]!]!,
      ...(c.critic?.[i] !== undefined ? { critic: c.critic[i] } : {}),
    })),
    layers: c.layers,
    criticalPath: c.criticalPath.map((i) => c.id[i]!),
  };
}

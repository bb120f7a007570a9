import { describe, expect, it } from 'vitest';
import { compactDetail, expandDetail } from './detail-wire.js';
import { compactNode, layerGrid } from './graph-layout.js';
import type { RunDetail } from './view-types.js';

const detail: RunDetail = {
  run: {
    id: 'r1',
    kind: 'net',
    task: 't',
    status: 'completed',
    createdAt: 1,
    updatedAt: 2,
    finishedAt: 2,
    totals: { calls: 3, replayedCalls: 0, inputTokens: 1, outputTokens: 1, costUsd: 0 },
    config: null,
  },
  steps: [
    { id: 'a', state: 'done', attempts: 1, hasArtifact: true },
    { id: 'b', state: 'replayed', attempts: 2, hasArtifact: false },
  ],
  graph: {
    nodes: [
      { id: 'a', layer: 0, role: 'writer', x: 0, y: 0 },
      { id: 'b', layer: 1, model: 'sim', x: 10, y: 108 },
    ],
    edges: [{ from: 'a', to: 'b', critic: 'editor' }],
    layers: 2,
    criticalPath: ['a', 'b'],
  },
  decisions: [],
  teams: [],
  segments: [],
  teamSteps: [],
  checks: {},
  runChecks: [],
};

describe('the run page data as columns', () => {
  it('sends steps and graph as columns, edges by node index, and expands back to the same page data', () => {
    const wire = compactDetail(detail);
    expect(wire.steps).toEqual({ id: ['a', 'b'], state: ['done', 'replayed'], attempts: [1, 2], artifact: [1, 0] });
    expect(wire.graph).toMatchObject({ from: [0], to: [1], critic: { 0: 'editor' }, role: { 0: 'writer' } });
    expect(wire.graph!.criticalPath).toEqual([0, 1]);
    expect(expandDetail(JSON.parse(JSON.stringify(wire)))).toEqual(detail);
  });

  it('leaves positions out of a graph the server did not lay out', () => {
    const graph = { ...detail.graph!, nodes: detail.graph!.nodes.map(({ x: _x, y: _y, ...n }) => n) };
    const wire = compactDetail({ ...detail, graph });
    expect(wire.graph).not.toHaveProperty('x');
    expect(expandDetail(wire).graph).toEqual(graph);
  });
});

describe('layerGrid', () => {
  it('puts each layer on its own row, ordered by where the node’s predecessors are', () => {
    // layer 0: p, q; layer 1: s (after q), r (after p), given in the opposite order
    const { x, y } = layerGrid([0, 0, 1, 1], [1, 0], [2, 3]);
    expect(y).toEqual([0, 0, compactNode.height + 90, compactNode.height + 90]);
    expect(x[0]!).toBeLessThan(x[1]!);
    // r follows p (first), s follows q (second)
    expect(x[3]!).toBeLessThan(x[2]!);
  });
});

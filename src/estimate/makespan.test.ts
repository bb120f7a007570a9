import { describe, expect, it } from 'vitest';
import { validateGraph, type GraphSpec } from '../graph/index.js';
import { estimateNetwork } from './estimate-network.js';
import { planMakespan } from './makespan.js';

const graphOf = (ids: string[], edges: Array<[string, string]>) =>
  validateGraph({
    nodes: ids.map((id) => ({ id })),
    edges: edges.map(([from, to]) => ({ from, to })),
  } satisfies GraphSpec);

const estimate = (
  graph: ReturnType<typeof graphOf>,
  concurrency: number,
  extra: { edgeRounds?: number; callConcurrency?: number } = {},
) =>
  estimateNetwork({
    graph,
    task: 'a haiku about rain',
    taskType: 'text',
    model: 'sim',
    concurrency,
    latencyMs: 1000,
    ...extra,
  });

describe('makespan', () => {
  it('a chain of 3 at 1 s: 1 call at the source, then critic + actor at each of the others; one sink, no final merge', () => {
    const e = estimate(
      graphOf(
        ['a', 'b', 'c'],
        [
          ['a', 'b'],
          ['b', 'c'],
        ],
      ),
      8,
    );
    expect(e.expected.calls).toBe(5);
    expect(e.makespan.expectedMs).toBe(5000);
    expect(e.makespan.criticalPathCalls).toBe(5);
  });

  it('edge rounds lengthen each edge: 2 rounds make 4 calls per edge in sequence', () => {
    const e = estimate(
      graphOf(
        ['a', 'b', 'c'],
        [
          ['a', 'b'],
          ['b', 'c'],
        ],
      ),
      8,
      { edgeRounds: 2 },
    );
    expect(e.expected.calls).toBe(9);
    expect(e.makespan.expectedMs).toBe(9000);
  });

  it('a star of 1 + 8 leaves: width limited by concurrency; the final merge of 8 sinks takes two levels', () => {
    const ids = ['hub', ...Array.from({ length: 8 }, (_, i) => `leaf${i}`)];
    const graph = graphOf(
      ids,
      ids.slice(1).map((id) => ['hub', id] as [string, string]),
    );
    // unlimited: hub (1) + a leaf (2) + merges 8 → 2 → 1 (2)
    expect(estimate(graph, 16).makespan.expectedMs).toBe(5000);
    // 2 at once: hub, then 4 waves of 2 leaves × 2 calls, then 2 merge levels
    expect(estimate(graph, 2).makespan.expectedMs).toBe(11_000);
    expect(estimate(graph, 2).makespan.criticalPathCalls).toBe(5);
    // nodes unlimited but one call per model at a time: every call waits for the one before
    const serial = estimate(graph, 16, { callConcurrency: 1 });
    expect(serial.makespan.expectedMs).toBe(serial.expected.calls * 1000);
  });

  it('a node merges only when all its inputs are done, whatever their depth', () => {
    // d waits for c (depth 2); its two candidates are merged in one call
    const e = estimate(
      graphOf(
        ['a', 'b', 'c', 'd'],
        [
          ['a', 'b'],
          ['b', 'c'],
          ['a', 'd'],
          ['c', 'd'],
        ],
      ),
      8,
    );
    expect(e.expected.calls).toBe(1 + 2 + 2 + 5);
    expect(e.makespan.expectedMs).toBe((1 + 2 + 2 + 2 + 1) * 1000);
  });

  it('runs the chains of a stage side by side, limited per model', () => {
    const plan = planMakespan({
      steps: [
        {
          deps: [],
          rank: 1,
          stages: [
            [
              ['m', 'm'],
              ['m', 'm'],
              ['n', 'n'],
            ],
            [['m']],
          ],
        },
      ],
      concurrency: 1,
      callConcurrency: 1,
    });
    // m serves 4 calls one at a time while n's chain runs beside it; then the merge
    expect(plan).toEqual({ calls: 5, criticalPathCalls: 3 });
  });
});

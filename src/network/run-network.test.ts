import { describe, expect, it } from 'vitest';
import { generateTopology, validateGraph } from '../graph/index.js';
import { SimulatedModel } from '../model/index.js';
import { extractChoice, executeNetwork } from './run-network.js';

describe('executeNetwork', () => {
  it('runs a network of more than a thousand agents end to end on the simulated model', async () => {
    const graph = validateGraph(generateTopology('small-world', { n: 400, seed: 3 }));
    const agents = graph.spec.nodes.length + graph.spec.edges.length;
    expect(agents).toBeGreaterThan(1000);
    const model = new SimulatedModel({ seed: 3 });
    const result = await executeNetwork({
      graph,
      task: 'Write a short poem about rivers.',
      taskType: 'text',
      model: () => model,
      concurrency: 32,
      seed: 3,
    });
    expect(result.status).toBe('completed');
    expect(result.outputs.size).toBe(400);
    expect(result.final?.length).toBeGreaterThan(20);
    // one call per source node, critic + actor per edge, one merge per node with several inputs, plus the output merge
    expect(model.stats.calls).toBe(result.calls);
    expect(result.calls).toBeGreaterThanOrEqual(2 * graph.spec.edges.length);
  });

  it('merges at a node only after all its inputs are done, whatever their depth', async () => {
    // d has inputs at depth 0 (a) and depth 2 (c): it must wait for c
    const graph = validateGraph({
      nodes: ['a', 'b', 'c', 'd'].map((id) => ({ id })),
      edges: [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
        { from: 'a', to: 'd' },
        { from: 'c', to: 'd' },
      ],
    });
    const finished: string[] = [];
    const model = new SimulatedModel();
    const result = await executeNetwork({
      graph,
      task: 'a calculator',
      taskType: 'code',
      model: () => model,
      concurrency: 4,
      onNodeDone: (id) => finished.push(id),
    });
    expect(finished.indexOf('d')).toBeGreaterThan(finished.indexOf('c'));
    // d merged two refined candidates: 2 edges × 2 calls + 1 merge
    expect(result.outputs.get('d')!.calls).toBe(5);
    expect(result.final).toMatch(/main\.py\n```python/);
  });

  it('keeps going when a branch fails and merges the sinks that finished', async () => {
    const graph = validateGraph({
      nodes: ['root', 'left', 'right', 'leftLeaf'].map((id) => ({ id })),
      edges: [
        { from: 'root', to: 'left' },
        { from: 'root', to: 'right' },
        { from: 'left', to: 'leftLeaf' },
      ],
    });
    const good = new SimulatedModel();
    const broken = new SimulatedModel({ failHard: 1 });
    const result = await executeNetwork({
      graph: {
        ...graph,
        spec: { ...graph.spec, nodes: graph.spec.nodes.map((n) => (n.id === 'left' ? { ...n, model: 'broken' } : n)) },
      },
      task: 'an essay',
      taskType: 'text',
      model: ({ model }) => (model === 'broken' ? broken : good),
      concurrency: 2,
    });
    expect(result.status).toBe('partial');
    expect([...result.failed.keys()]).toEqual(['left']);
    expect(result.skipped).toEqual(['leftLeaf']);
    expect(result.mergedSinks).toEqual(['right']);
    expect(result.final).toBeDefined();
  });

  it('runs a join with the inputs that finished when one branch fails, and skips it under strict', async () => {
    const graph = validateGraph({
      nodes: ['root', 'left', 'right', 'join'].map((id) => ({ id, ...(id === 'left' ? { model: 'broken' } : {}) })),
      edges: [
        { from: 'root', to: 'left' },
        { from: 'root', to: 'right' },
        { from: 'left', to: 'join' },
        { from: 'right', to: 'join' },
      ],
    });
    const good = new SimulatedModel();
    const broken = new SimulatedModel({ failHard: 1 });
    const run = (strict: boolean) =>
      executeNetwork({
        graph,
        task: 'an essay',
        taskType: 'text',
        model: ({ model }) => (model === 'broken' ? broken : good),
        concurrency: 2,
        strict,
      });
    const lenient = await run(false);
    expect([...lenient.failed.keys()]).toEqual(['left']);
    expect(lenient.outputs.get('join')?.missingInputs).toEqual(['left']);
    expect(lenient.mergedSinks).toEqual(['join']);
    expect(lenient.final).toBeDefined();
    const strict = await run(true);
    expect(strict.skipped).toEqual(['join']);
    expect(strict.final).toBeUndefined();
  });

  it('answers multiple-choice tasks with a letter', async () => {
    const graph = validateGraph(generateTopology('chain', { n: 3 }));
    const result = await executeNetwork({
      graph,
      task: 'Which planet is largest?\nA. Mars\nB. Jupiter\nC. Venus\nD. Mercury\nGive your answer.',
      taskType: 'choice',
      model: () => new SimulatedModel(),
      concurrency: 1,
    });
    expect(extractChoice(result.final!)).toMatch(/^[ABCD]$/);
  });

  it('keeps the largest prompt flat as the network grows at fixed degree (memory control)', async () => {
    const sizes: number[] = [];
    for (const n of [16, 256]) {
      // layers of width 4: every node past the first layer has in-degree 4, whatever n is
      const graph = validateGraph(generateTopology('layer', { n, width: 4 }));
      const result = await executeNetwork({
        graph,
        task: 'a todo app',
        taskType: 'code',
        model: () => new SimulatedModel(),
        concurrency: 16,
        aggregationGroupSize: 8,
      });
      sizes.push(result.maxPromptChars);
    }
    expect(sizes[1]! / sizes[0]!).toBeLessThanOrEqual(1.2);
  });
});

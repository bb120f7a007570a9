import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { generateTopology, validateGraph, type TopologyName, type ValidatedGraph } from '../graph/index.js';
import { executeNetwork, type NetworkTaskType } from '../network/index.js';
import { createRuntime } from '../runtime/index.js';
import { estimateNetwork } from './estimate-network.js';

let cwd: string;
beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'crosstalk-estimate-'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** Runs the network for real on `sim` (latency 0) and returns the usage the runtime recorded. */
async function runOnSim(
  graph: ValidatedGraph,
  task: string,
  taskType: NetworkTaskType,
  extra: { edgeRounds?: number; groupSize?: number } = {},
) {
  const loaded = loadConfig({ cwd, env: {}, flags: { model: 'sim', concurrency: '64' } });
  const runtime = await createRuntime({ loaded, env: {} });
  const result = await executeNetwork({
    graph,
    task,
    taskType,
    model: ({ role, model }) => (model ? runtime.modelByString(model) : runtime.model(role)),
    concurrency: runtime.concurrency,
    ...(extra.edgeRounds ? { edgeRounds: extra.edgeRounds } : {}),
    ...(extra.groupSize ? { aggregationGroupSize: extra.groupSize } : {}),
    seed: runtime.seed,
  });
  expect(result.status).toBe('completed');
  return { result, usage: runtime.usage.snapshot().total };
}

function estimateFor(
  graph: ValidatedGraph,
  task: string,
  taskType: NetworkTaskType,
  extra: { edgeRounds?: number; groupSize?: number } = {},
) {
  return estimateNetwork({
    graph,
    task,
    taskType,
    model: 'sim',
    concurrency: 64,
    latencyMs: 2000,
    ...(extra.edgeRounds ? { edgeRounds: extra.edgeRounds } : {}),
    ...(extra.groupSize ? { aggregationGroupSize: extra.groupSize } : {}),
  });
}

/** Relative error of an estimate. */
const within = (estimate: number, real: number) => Math.abs(estimate - real) / real;

describe('estimateNetwork against real runs on sim', () => {
  it('predicts a 100-node mesh within 10% on calls, input tokens and output tokens', async () => {
    const graph = validateGraph(generateTopology('mesh', { n: 100 }));
    const task = 'Write a short essay on why rivers meander.';
    const estimate = estimateFor(graph, task, 'text');
    const { result, usage } = await runOnSim(graph, task, 'text');
    expect(estimate.expected.calls).toBe(usage.calls); // the count is exact: the shape of a network is fixed
    expect(estimate.expected.calls).toBe(result.calls);
    expect(within(estimate.expected.inputTokens, usage.inputTokens)).toBeLessThan(0.1);
    expect(within(estimate.expected.outputTokens, usage.outputTokens)).toBeLessThan(0.1);
    expect(estimate.perModel.sim!.expected.calls).toBe(usage.calls);
    expect(estimate.expected.costUsd).not.toBeNull();
  });

  // the random case is the sparse random graph (about two successors per node), as before the paper's density
  const cases: Array<[TopologyName, number, NetworkTaskType, { edgeRounds?: number; groupSize?: number }]> = [
    ['chain', 30, 'code', {}],
    ['star', 40, 'text', { groupSize: 3 }],
    ['random', 80, 'code', { edgeRounds: 2 }],
    ['mesh', 30, 'code', {}],
    ['layer', 40, 'choice', {}],
  ];
  for (const [topology, n, taskType, extra] of cases) {
    it(`predicts a ${n}-node ${topology} (${taskType}${extra.edgeRounds ? `, ${extra.edgeRounds} edge rounds` : ''}) within 10%`, async () => {
      const graph = validateGraph(
        generateTopology(topology, { n, seed: 5, ...(topology === 'random' ? { density: 'sparse' as const } : {}) }),
      );
      const task =
        taskType === 'choice'
          ? 'Which planet is largest?\n(A) Mars\n(B) Jupiter\n(C) Venus\nGive the answer.'
          : 'a command-line todo app';
      const estimate = estimateFor(graph, task, taskType, extra);
      const { usage } = await runOnSim(graph, task, taskType, extra);
      expect(estimate.expected.calls).toBe(usage.calls);
      expect(within(estimate.expected.inputTokens, usage.inputTokens)).toBeLessThan(0.1);
      expect(within(estimate.expected.outputTokens, usage.outputTokens)).toBeLessThan(0.1);
    });
  }
});

import { describe, expect, it } from 'vitest';
import { runInProcess, tempDir } from '../support/run-cli.js';

interface Plan {
  estimate: {
    expected: { calls: number; inputTokens: number; costUsd: number | null };
    bound: { calls: number };
    perModel: Record<string, { expected: { calls: number } }>;
    makespan: { expectedMs: number; criticalPathCalls: number };
    assumptions: string[];
  };
}

async function plan(args: string[]): Promise<Plan> {
  const result = await runInProcess([...args, '--model', 'sim', '--dry-run', '--assume-latency', '1s', '--json'], {
    cwd: tempDir(),
  });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Plan;
}

/** The calls, tokens and makespan a flag adds to a job's plan. */
async function added(args: string[], flags: string[]) {
  const [before, after] = [await plan(args), await plan([...args, ...flags])];
  return {
    calls: Math.round((after.estimate.bound.calls - before.estimate.bound.calls) * 100) / 100,
    expectedCalls: Math.round((after.estimate.expected.calls - before.estimate.expected.calls) * 100) / 100,
    tokens: after.estimate.expected.inputTokens - before.estimate.expected.inputTokens,
    cost: (after.estimate.expected.costUsd ?? 0) - (before.estimate.expected.costUsd ?? 0),
    criticalPath:
      Math.round((after.estimate.makespan.criticalPathCalls - before.estimate.makespan.criticalPathCalls) * 100) / 100,
    after,
  };
}

describe('--dry-run counts the critic: self-correction at its round limit, every safety review', () => {
  it('dev: one hook of 3 rounds is 3 critic calls and 2 rewrites, one after another', async () => {
    const extra = await added(['dev', 'a todo app'], ['--self-correct', '3']);
    expect(extra).toMatchObject({ calls: 5, expectedCalls: 5, criticalPath: 5 });
    expect(extra.tokens).toBeGreaterThan(0);
    expect(extra.cost).toBeGreaterThan(0);
    expect(extra.after.estimate.assumptions.at(-1)).toMatch(
      /1 self-correction loop\(s\) of 3 rounds: counted at worst/,
    );
  });

  it('dev --teams 2: every team loops, the teams side by side; --critic-model shows the critic apart', async () => {
    const extra = await added(
      ['dev', 'a todo app', '--teams', '2'],
      ['--self-correct', '2', '--self-correct-at', 'coding,review', '--critic-model', 'sim?latency=1ms'],
    );
    // 2 teams × 2 hooks × (2 critic calls + 1 rewrite)
    expect(extra.calls).toBe(12);
    expect(extra.criticalPath).toBe(6);
    expect(extra.after.estimate.perModel['sim?latency=1ms']?.expected.calls).toBe(8);
  });

  it('net: a loop per node; story: one loop and one review of the story', async () => {
    const net = await added(['net', 'Explain tides.', '--topology', 'chain', '--agents', '3'], ['--self-correct', '2']);
    expect(net).toMatchObject({ calls: 9, criticalPath: 9 });
    const story = await added(['story', 'a lighthouse', '--teams', '2'], ['--self-correct', '2', '--safety-check']);
    expect(story.calls).toBe(4);
    const reviewed = await added(['net', 'Explain tides.', '--topology', 'chain', '--agents', '3'], ['--safety-check']);
    expect(reviewed.calls).toBe(1);
  });

  it('dev --safety-check: one review per program run, at most', async () => {
    const extra = await added(['dev', 'a todo app', '--max-test-rounds', '2'], ['--safety-check']);
    // the testing phase's 3 runs and the measuring run
    expect(extra.calls).toBe(4);
  });
});

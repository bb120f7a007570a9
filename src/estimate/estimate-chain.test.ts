import { describe, expect, it } from 'vitest';
import { defaultRoles } from '../agents/index.js';
import { buildModelStack, createModelLimiter, UsageTracker } from '../model/middleware/index.js';
import { SimulatedModel } from '../model/index.js';
import { executeChain } from '../software/chain.js';
import { resolvePhases } from '../software/phases.js';
import { diversifyTeams, executeCrossTeam, runStoryTeams } from '../teams/index.js';
import { estimateChain } from './estimate-chain.js';
import type { Estimate } from './types.js';
import type { UsageTotals } from '../model/middleware/index.js';
import { estimateCrossTeam, estimateStory, mergeLevels } from './estimate-teams.js';

/**
 * A sim model behind the usage middleware, so the test reads tokens as a run would record them. The runs
 * below vary the sim's own seed and keep the call seed at 0: the sim mixes the two with XOR, so giving
 * both the same value (as the CLI does with --seed) would make every run identical.
 */
function simStack(seed: number) {
  const tracker = new UsageTracker();
  const model = buildModelStack({
    model: new SimulatedModel({ seed }),
    tracker,
    limiter: createModelLimiter({ concurrency: 64 }),
    timeoutMs: 60_000,
  });
  return { model, tracker };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const seeds = Array.from({ length: 24 }, (_, i) => i + 1);

describe('estimateChain against executeChain on sim', () => {
  it('expected calls within 10% of the mean over 24 sim seeds (tokens within 15%); every run between the minimum and the bound', async () => {
    const task = 'a command-line todo app';
    const phases = resolvePhases(undefined);
    const estimate = estimateChain({ task, phases, model: 'sim', latencyMs: 1000 });
    const runs: UsageTotals[] = [];
    for (const seed of seeds) {
      const { model, tracker } = simStack(seed);
      const result = await executeChain({ task, phases, roles: defaultRoles, model: () => model, seed: 0 });
      expect(result.status).toBe('completed');
      runs.push(tracker.snapshot().total);
    }
    const calls = runs.map((r) => r.calls);
    for (const c of calls) expect(c).toBeLessThanOrEqual(estimate.bound.calls);
    // the sim makes at least: one turn per discussion, coding, one review comment, dependency file, manual
    for (const c of calls) expect(c).toBeGreaterThanOrEqual(6);
    expect(Math.abs(estimate.expected.calls - mean(calls)) / mean(calls)).toBeLessThan(0.1);
    expect(
      Math.abs(estimate.expected.inputTokens - mean(runs.map((r) => r.inputTokens))) /
        mean(runs.map((r) => r.inputTokens)),
    ).toBeLessThan(0.15);
    expect(
      Math.abs(estimate.expected.outputTokens - mean(runs.map((r) => r.outputTokens))) /
        mean(runs.map((r) => r.outputTokens)),
    ).toBeLessThan(0.15);
    // ChatDev's limits: 10 turns per discussion (19 replies and a counselor), 3 coding attempts, 10 completion
    // cycles, 3 review rounds of two calls, dependency file, manual; testing skipped without a sandbox
    expect(estimate.bound.calls).toBe(20 + 20 + 3 + 10 + 6 + 1 + 1);
    expect(estimate.makespan.boundMs).toBe(estimate.bound.calls * 1000);
  });
});

describe('estimateStory and estimateCrossTeam against real runs on sim', () => {
  it('story: calls within 10% (each team’s writer and editor chain, a judge per text, the merges), tokens within 15%', async () => {
    const premise = 'a lighthouse keeper who finds a message in a bottle';
    const teams = diversifyTeams(4, 2);
    const estimate = estimateStory({
      premise,
      teams,
      model: 'sim',
      keep: { ratio: 0.5 },
      groupSize: 2,
      latencyMs: 1000,
      words: 200,
    });
    const { model, tracker } = simStack(2);
    const result = await runStoryTeams({
      premise,
      teams,
      model: () => model,
      keep: { ratio: 0.5 },
      groupSize: 2,
      words: 200,
      seed: 2,
    });
    expect(result.status).toBe('completed');
    const real = tracker.snapshot().total;
    // per stage: 4 writers and 4 editors (+ a revision when the editor asks for one), 4 judges, and 2 + 1 merges:
    // four texts are merged, not pruned
    expect(estimate.bound.calls).toBe(3 * (4 * 3 + 4 + 3));
    expect(real.calls).toBeGreaterThanOrEqual(3 * (4 * 2 + 4 + 3));
    expect(real.calls).toBeLessThanOrEqual(estimate.bound.calls);
    expect(Math.abs(estimate.expected.calls - real.calls) / real.calls).toBeLessThan(0.1);
    expect(Math.abs(estimate.expected.inputTokens - real.inputTokens) / real.inputTokens).toBeLessThan(0.15);
    expect(Math.abs(estimate.expected.outputTokens - real.outputTokens) / real.outputTokens).toBeLessThan(0.15);
  });

  it('cross-team: expected calls within 10% of the mean over 12 sim seeds (tokens within 15%), every run within the bound', async () => {
    const task = 'a command-line todo app';
    const phases = resolvePhases(undefined);
    const options = {
      task,
      phases,
      roles: defaultRoles,
      decisionPoints: ['design', 'coding', 'final'] as const,
      keep: { ratio: 0.5 },
      groupSize: 2,
      scorer: 'both' as const,
      language: 'Python' as const,
    };
    const runs: UsageTotals[] = [];
    const estimates: Estimate[] = [];
    for (const seed of seeds.slice(0, 12)) {
      const teams = diversifyTeams(3, seed);
      estimates.push(
        estimateCrossTeam({
          ...options,
          decisionPoints: [...options.decisionPoints],
          teams,
          model: 'sim',
          seed,
          latencyMs: 1000,
        }),
      );
      const { model, tracker } = simStack(seed);
      const result = await executeCrossTeam({
        ...options,
        decisionPoints: [...options.decisionPoints],
        teams,
        model: () => model,
        seed: 0,
      });
      expect(result.status).toBe('completed');
      runs.push(tracker.snapshot().total);
    }
    runs.forEach((r, i) => expect(r.calls).toBeLessThanOrEqual(estimates[i]!.bound.calls));
    const expected = mean(estimates.map((e) => e.expected.calls));
    const real = mean(runs.map((r) => r.calls));
    expect(Math.abs(expected - real) / real).toBeLessThan(0.1);
    const tokens = (key: 'inputTokens' | 'outputTokens') => {
      const e = mean(estimates.map((x) => x.expected[key]));
      const r = mean(runs.map((x) => x[key]));
      return Math.abs(e - r) / r;
    };
    expect(tokens('inputTokens')).toBeLessThan(0.15);
    expect(tokens('outputTokens')).toBeLessThan(0.15);
  });

  it('one team costs what a chain costs: no judge, no merge', () => {
    const phases = resolvePhases(undefined);
    const [team] = diversifyTeams(1, 0);
    const teams = estimateCrossTeam({
      task: 't',
      phases,
      teams: [team!],
      model: 'sim',
      decisionPoints: ['design', 'coding', 'final'],
      keep: { ratio: 0.5 },
      groupSize: 2,
      scorer: 'both',
      latencyMs: 1000,
    });
    expect(Object.keys(teams.perModel)).toEqual(['sim']);
    const chain = estimateChain({ task: 't', phases, model: 'sim', latencyMs: 1000 });
    expect(teams.bound.calls).toBeLessThanOrEqual(chain.bound.calls);
  });

  it('counts merges level by level as partitionMerge does', () => {
    expect(mergeLevels(8, 2)).toEqual([4, 2, 1]);
    expect(mergeLevels(5, 4)).toEqual([1, 1]);
    expect(mergeLevels(9, 4)).toEqual([2, 1]); // 4 + 4 + 1 → 3 items → 1
    expect(mergeLevels(1, 4)).toEqual([]);
  });
});

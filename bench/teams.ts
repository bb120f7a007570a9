import { defaultRoles } from '../src/agents/index.js';
import { SimulatedModel } from '../src/model/index.js';
import { buildModelStack, createModelLimiter, UsageTracker } from '../src/model/middleware/index.js';
import { resolvePhases } from '../src/software/phases.js';
import { diversifyTeams, runCrossTeam } from '../src/teams/index.js';
import { median, printTable } from './table.js';

async function wall(k: number, latencyMs: number, points: Array<'design' | 'coding' | 'final'> = ['design', 'coding', 'final'], only?: number): Promise<{ ms: number; calls: number }> {
  const tracker = new UsageTracker();
  const model = buildModelStack({
    model: new SimulatedModel({ seed: 5, latency: { kind: 'uniform', minMs: latencyMs * 0.8, maxMs: latencyMs * 1.2 } }),
    tracker,
    limiter: createModelLimiter({ concurrency: 16 }),
    timeoutMs: 60_000,
  });
  const started = performance.now();
  await runCrossTeam({
    task: 'a command-line todo app',
    teams: only === undefined ? diversifyTeams(k, 5) : [diversifyTeams(8, 5)[only]!],
    phases: resolvePhases(undefined),
    roles: defaultRoles,
    model: () => model,
    decisionPoints: points,
    keep: { ratio: 0.5 },
    groupSize: 2,
    scorer: 'metrics',
    language: 'Python',
  });
  return { ms: performance.now() - started, calls: tracker.snapshot().total.calls };
}

/** Issue 7: teams run concurrently — wall time of 8 teams against one team, same model latency. */
export async function benchTeams(): Promise<void> {
  const latency = 50;
  const one: number[] = [];
  const eight: number[] = [];
  const eightFinal: number[] = [];
  let calls1 = 0;
  let calls8 = 0;
  let calls8f = 0;
  for (let i = 0; i < 3; i++) {
    const a = await wall(1, latency);
    const b = await wall(8, latency);
    const c = await wall(8, latency, ['final']);
    one.push(a.ms);
    eight.push(b.ms);
    eightFinal.push(c.ms);
    calls1 = a.calls;
    calls8 = b.calls;
    calls8f = c.calls;
  }
  // each of the eight team profiles alone: teams differ in chain length, so the slowest sets the pace
  let slowest = 0;
  for (let t = 0; t < 8; t++) slowest = Math.max(slowest, (await wall(1, latency, ['final'], t)).ms);
  const ratio = median(eight) / median(one);
  const ratioFinal = median(eightFinal) / median(one);
  const sequential = calls8 * latency;
  printTable(
    `Cross-team concurrency: wall time of K teams, sim latency ${latency} ms ± 20 %, 16 calls in flight at most, decision points design/coding/final, prune 0.5, groups of 2 (median of 3; target K=8 ≤ 1.3 × K=1)`,
    ['teams', 'decision points', 'model calls', 'median wall ms', 'ratio to one team', 'target met'],
    [
      ['1', 'design, coding, final', calls1, median(one), 1, '-'],
      ['8', 'design, coding, final', calls8, median(eight), ratio, ratio <= 1.3 ? 'yes' : 'NO'],
      ['8', 'final only', calls8f, median(eightFinal), ratioFinal, ratioFinal <= 1.3 ? 'yes' : 'NO'],
      ['slowest of the 8 teams alone', 'final', '-', slowest, slowest / median(one), '-'],
      ['8 vs slowest team alone', 'final only', calls8f, median(eightFinal), median(eightFinal) / slowest, median(eightFinal) / slowest <= 1.3 ? 'yes' : 'NO'],
      ['8, one call at a time (computed)', 'design, coding, final', calls8, sequential, sequential / median(one), '-'],
    ],
  );
}

import type { PriceEntry } from '../config/index.js';
import { CallTally } from './tally.js';
import type { Estimate, EstimateTotals } from './types.js';

/** Characters of a critic's prompt around the work it judges: its system text, the rubric and the instructions. */
const criticFrameChars = 1400;
/** Characters of a rewrite's prompt around the attempts: scores, problems, the instruction. */
const rewriteFrameChars = 900;

/**
 * The self-correction loops and safety reviews a job would run (issue 17), counted at worst: every loop uses
 * its round limit (`rounds` critic calls, `rounds − 1` rewrites), every review one critic call.
 */
export interface CheckCallsOptions {
  /** The critic's model string (`--critic-model`, else the `critic` role's). */
  criticModel: string;
  /** The model string of whoever rewrites (the programmer, the writer, a node's actor). */
  authorModel: string;
  /** Self-correction loops: hooks × teams, the nodes, or one for a story. */
  loops: number;
  rounds: number;
  /** Characters of the work a loop judges and rewrites. */
  artifactChars: number;
  /** Characters of the critic's reply (its JSON self-examination). */
  critiqueChars: number;
  /** Safety reviews (one critic call each), and the characters each one reviews. */
  reviews: number;
  reviewChars: number;
  /** Loops and reviews one after another on the run's longest path (they add to its makespan). */
  sequentialLoops: number;
  sequentialReviews: number;
  /** The task's length (in every critic and rewrite prompt). */
  taskChars: number;
  prices?: Record<string, PriceEntry>;
}

/** The calls of {@link CheckCallsOptions} added to an estimate: calls, tokens, cost, makespan and a note. */
export function withCheckCalls(estimate: Estimate, options: CheckCallsOptions): Estimate {
  const loopCritic = Math.max(0, options.loops * options.rounds);
  const loopRewrites = Math.max(0, options.loops * (options.rounds - 1));
  const calls = loopCritic + loopRewrites + options.reviews;
  if (calls === 0) return estimate;
  const tally = new CallTally();
  const artifact = options.artifactChars;
  tally.add(options.criticModel, criticFrameChars + options.taskChars + artifact, options.critiqueChars, loopCritic);
  // a rewrite sees the attempt to improve and the texts of the best two others
  tally.add(options.authorModel, rewriteFrameChars + options.taskChars + 3 * artifact, artifact, loopRewrites);
  tally.add(
    options.criticModel,
    criticFrameChars + options.taskChars + options.reviewChars,
    options.critiqueChars,
    options.reviews,
  );
  const extra = tally.totals(options.prices);
  const perModel: Estimate['perModel'] = { ...estimate.perModel };
  for (const [model, figures] of Object.entries(extra.perModel)) {
    const before = perModel[model];
    perModel[model] = before
      ? { expected: add(before.expected, figures.expected), bound: add(before.bound, figures.bound) }
      : figures;
  }
  const sequential =
    options.sequentialLoops * (2 * options.rounds - 1) * (options.loops > 0 ? 1 : 0) + options.sequentialReviews;
  const latency = estimate.makespan.latencyMs;
  const notes = [...new Set([estimate.costNote, extra.costNote].filter((n): n is string => n !== undefined))];
  const what = [
    options.loops > 0 ? `${options.loops} self-correction loop(s) of ${options.rounds} rounds` : '',
    options.reviews > 0 ? `${options.reviews} safety review(s)` : '',
  ].filter(Boolean);
  return {
    ...estimate,
    expected: add(estimate.expected, extra.expected),
    bound: add(estimate.bound, extra.bound),
    perModel,
    ...(notes.length > 0 ? { costNote: notes.join('; ') } : {}),
    simulated: estimate.simulated && extra.simulated,
    makespan: {
      ...estimate.makespan,
      expectedMs: estimate.makespan.expectedMs + sequential * latency,
      boundMs: estimate.makespan.boundMs + sequential * latency,
      criticalPathCalls: estimate.makespan.criticalPathCalls + sequential,
    },
    assumptions: [
      ...estimate.assumptions,
      `${what.join(' and ')}: counted at worst (every round used, the critic answers at once), ${calls} calls`,
    ],
  };
}

function add(a: EstimateTotals, b: EstimateTotals): EstimateTotals {
  return {
    calls: Math.round((a.calls + b.calls) * 100) / 100,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costUsd: a.costUsd === null || b.costUsd === null ? null : a.costUsd + b.costUsd,
  };
}

import { defaultRoles, type RoleBook } from '../agents/index.js';
import type { PriceEntry } from '../config/index.js';
import type { ChainLanguage } from '../software/chain.js';
import type { ResolvedPhase } from '../software/phases.js';
import { chainCalls, type PlannedCall } from './chain-calls.js';
import type { ModelChoice } from './estimate-network.js';
import { defaultReplyTokens, type AssumedReplyTokens } from './reply-sizes.js';
import { CallTally } from './tally.js';
import type { Estimate } from './types.js';

/** Options of {@link estimateChain}: what `executeChain` takes, with model strings instead of models. */
export interface ChainEstimateOptions {
  task: string;
  /** Resolved phases (`resolvePhases` / `loadPhases`). */
  phases: ResolvedPhase[];
  roles?: RoleBook;
  /** Model string per role (e.g. `runtime.modelString`), or one for all. */
  model: ModelChoice;
  /** Fixed language (the language-choice phase is then skipped). */
  language?: ChainLanguage;
  /** A sandbox will run the program (the testing phase takes place). Default false. */
  runsPrograms?: boolean;
  temperature?: number;
  personaNote?: string;
  /** Default 0. */
  seed?: number;
  /** Assumed latency of one model call, ms. */
  latencyMs: number;
  prices?: Record<string, PriceEntry>;
  replyTokens?: Partial<AssumedReplyTokens>;
}

/** Turns a modelChoice into a function. */
export function modelPicker(model: ModelChoice): (role: string) => string {
  return typeof model === 'string' ? () => model : model;
}

/** Adds planned calls to a tally. */
export function tallyCalls(tally: CallTally, calls: readonly PlannedCall[]): void {
  for (const c of calls) tally.add(c.model, c.inputChars, c.outputChars, c.expected, c.bound);
}

/** The assumptions every chain-based estimate rests on. */
export const chainAssumptions = [
  'expected: a discussion ends with 65% chance per reply and always by a speaker’s third reply (the simulated model’s rule); bound: every turn and round used',
  'expected: the code is complete, the reviewer is satisfied with 65% chance per round, the program runs cleanly when tested',
  'no phase fails and no call is retried',
];

/**
 * Predicts a ChatDev-style chain run without calling a model: per phase the
 * dialogue turns (expected for the simulated model, bound with every turn
 * used plus the reflection), the coding attempt, completion, review and
 * test-fix rounds, the dependency file and manual; tokens from the real
 * templates; cost from the price table. A chain is sequential, so its
 * makespan is its calls × the latency.
 */
export function estimateChain(options: ChainEstimateOptions): Estimate {
  const tokens = { ...defaultReplyTokens, ...options.replyTokens };
  const calls = chainCalls(
    {
      task: options.task,
      roles: options.roles ?? defaultRoles,
      modelFor: modelPicker(options.model),
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
      ...(options.personaNote ? { personaNote: options.personaNote } : {}),
      seed: options.seed ?? 0,
      tokens,
      runsPrograms: options.runsPrograms ?? false,
    },
    options.phases,
    { language: options.language, modality: 'Command-line application', codebaseChars: 0, ideasChars: 0 },
  );
  const tally = new CallTally();
  tallyCalls(tally, calls);
  const totals = tally.totals(options.prices);
  return {
    kind: 'chain',
    ...totals,
    makespan: {
      expectedMs: totals.expected.calls * options.latencyMs,
      boundMs: totals.bound.calls * options.latencyMs,
      latencyMs: options.latencyMs,
      concurrency: 1,
      callConcurrency: 1,
      criticalPathCalls: totals.expected.calls,
    },
    assumptions: [...chainAssumptions, `every call takes ${options.latencyMs} ms, one after another`],
  };
}

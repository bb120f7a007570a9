import { z } from 'zod';
import { executeChain, type ChainEvent, type ChainResult } from '../../software/chain.js';
import type { TeamChainData } from '../../teams/index.js';
import { stepBaseShape } from '../step-job.js';
import type { StepKind } from './step-kind.js';

/**
 * A cross-team run's team segment as a queued step: one team's chain through the phases up to the next decision
 * point. `chain` is the segment's chain options as plain data (task, phases, roles, the team's codebase,
 * language, persona, ideas shared at the last decision point, seed, limits), built by the coordinator from its
 * validated configuration; `models` names the model of each role for this team. Decision points, pruning and
 * merging stay with the coordinator.
 */
export const teamSegmentStepSchema = z.object({
  kind: z.literal('team-segment'),
  ...stepBaseShape,
  team: z.string(),
  chain: z.record(z.string(), z.unknown()),
  /** Model string by role for this team's agents; `defaultModel` for any other. */
  models: z.record(z.string(), z.string()),
  defaultModel: z.string().min(1),
  /** The chain may run programs in the worker's sandbox (the coordinator's run has one). */
  codeRuns: z.boolean(),
});
/** A team segment step's data. */
export type TeamSegmentStep = z.infer<typeof teamSegmentStepSchema>;

/** What a team segment step returns: the chain's result and its progress events, in order. */
export interface TeamSegmentOutput {
  result: ChainResult;
  events: ChainEvent[];
}

/** Runs a team's segment of the software chain on a worker, with models built from the worker's environment. */
export const teamSegmentStepKind: StepKind<TeamSegmentStep> = {
  kind: 'team-segment',
  schema: teamSegmentStepSchema,
  async run(step, { runtimeFor }): Promise<TeamSegmentOutput> {
    const runtime = await runtimeFor(step.defaultModel, step.seed);
    const chain = step.chain as unknown as TeamChainData;
    const events: ChainEvent[] = [];
    const runProgram = step.codeRuns ? runtime.sandbox.run : undefined;
    const result = await executeChain({
      ...chain,
      ...(step.seed !== undefined ? { seed: step.seed } : {}),
      model: (role) => runtime.modelByString(step.models[role] ?? step.defaultModel),
      onEvent: (event) => events.push(event),
      ...(runProgram ? { runProgram } : {}),
    });
    return { result, events };
  },
};

import { z } from 'zod';
import { executeChain, type ChainEvent, type ChainResult } from '../../software/chain.js';
import type { TeamChainData, TeamProfile } from '../../teams/index.js';
import {
  safetyCheckedRunner,
  teamSelfCorrection,
  type TeamRoundEvent,
  type TeamSafetyCheck,
  type TeamSelfCorrect,
} from '../../teams/team-checks.js';
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
  /** The team's profile (id, temperature, persona, review rounds, model): its checks' agents are the team's. */
  profile: z.record(z.string(), z.unknown()),
  /** The team's self-correction and safety review (issue 17), as the coordinator's plain options. */
  selfCorrect: z
    .object({
      rounds: z.number().int().positive(),
      threshold: z.number(),
      hooks: z.array(z.enum(['after-coding', 'after-review'])),
    })
    .optional(),
  safetyCheck: z.object({ threshold: z.number() }).optional(),
  chain: z.record(z.string(), z.unknown()),
  /** Model string by role for this team's agents; `defaultModel` for any other. */
  models: z.record(z.string(), z.string()),
  defaultModel: z.string().min(1),
  /** The chain may run programs in the worker's sandbox (the coordinator's run has one). */
  codeRuns: z.boolean(),
});
/** A team segment step's data. */
export type TeamSegmentStep = z.infer<typeof teamSegmentStepSchema>;

/** What a team segment step returns: the chain's result, its progress events and the checks' rounds, in order. */
export interface TeamSegmentOutput {
  result: ChainResult;
  events: ChainEvent[];
  rounds?: TeamRoundEvent[];
}

/** Runs a team's segment of the software chain on a worker, with models built from the worker's environment. */
export const teamSegmentStepKind: StepKind<TeamSegmentStep> = {
  kind: 'team-segment',
  schema: teamSegmentStepSchema,
  async run(step, { runtimeFor }): Promise<TeamSegmentOutput> {
    const runtime = await runtimeFor(step.defaultModel, step.seed);
    const chain = step.chain as unknown as TeamChainData;
    const events: ChainEvent[] = [];
    const rounds: TeamRoundEvent[] = [];
    const model = (role: string) => runtime.modelByString(step.models[role] ?? step.defaultModel);
    const team = step.profile as unknown as TeamProfile;
    const seed = step.seed !== undefined ? { seed: step.seed } : {};
    const sandboxRun = step.codeRuns ? runtime.sandbox.run : undefined;
    // as in process: the team's programs behind its safety review, its code through its self-correction
    const runProgram =
      sandboxRun && step.safetyCheck
        ? safetyCheckedRunner(step.safetyCheck as TeamSafetyCheck, sandboxRun, {
            task: chain.task,
            critic: model('critic'),
            agent: `${team.id}/safety-critic`,
            team: team.id,
            ...seed,
            onRound: (event) => rounds.push(event),
          })
        : sandboxRun;
    const result = await executeChain({
      ...chain,
      ...seed,
      model,
      onEvent: (event) => events.push(event),
      ...(runProgram ? { runProgram } : {}),
      ...(step.selfCorrect
        ? {
            selfCorrect: teamSelfCorrection(step.selfCorrect as TeamSelfCorrect, {
              task: chain.task,
              team,
              model,
              ...(runProgram ? { runProgram } : {}),
              ...seed,
              onRound: (event) => rounds.push(event),
            }),
          }
        : {}),
    });
    return { result, events, rounds };
  },
};

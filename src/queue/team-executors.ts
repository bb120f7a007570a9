import type { ChainResult } from '../software/chain.js';
import type { StoryStageExecutor, StoryStageText, TeamProfile, TeamSegmentExecutor } from '../teams/index.js';
import type { QueueExecutor } from './queue-executor.js';
import type { StoryStageStep } from './steps/story-step.js';
import type { TeamSegmentOutput, TeamSegmentStep } from './steps/team-step.js';

/**
 * The coordinator's side of `dev --teams --queue`: each team's segment (its chain up to the next decision
 * point) is a `team-segment` step; the chain's progress events come back with the result and are replayed in
 * order, so the run's events read as in process.
 * @param modelOf the model string of a role in a team (the team's own model, else the run's for the role).
 */
export function queueTeamSegments(
  queue: QueueExecutor,
  modelOf: (team: TeamProfile, role: string) => string,
  defaultModel: string,
): TeamSegmentExecutor {
  return async (work) => {
    const roles = new Set([...Object.keys(work.chain.roles), 'critic', 'programmer']);
    const models = Object.fromEntries([...roles].map((role) => [role, modelOf(work.team, role)]));
    const { seed, ...chain } = work.chain;
    const step: Omit<TeamSegmentStep, 'runId' | 'attempt'> = {
      kind: 'team-segment',
      stepId: `${work.team.id}/segment-${work.segment}`,
      team: work.team.id,
      profile: { ...work.team },
      ...(work.selfCorrect ? { selfCorrect: work.selfCorrect } : {}),
      ...(work.safetyCheck ? { safetyCheck: work.safetyCheck } : {}),
      chain: chain as Record<string, unknown>,
      models,
      defaultModel,
      codeRuns: work.codeRuns,
      ...(seed !== undefined ? { seed } : {}),
    };
    // the chain's calls are scoped by phase: the store's answers for those phases travel with the step
    const outcome = await queue.send(step, {
      ...(work.signal ? { signal: work.signal } : {}),
      scopes: work.chain.phases.map((p) => p.name),
    });
    const output = outcome.output as TeamSegmentOutput;
    for (const event of output.events) work.onEvent?.(event);
    for (const round of output.rounds ?? []) work.onRound?.(round);
    return output.result as ChainResult;
  };
}

/** The coordinator's side of `story --teams --queue`: each team's text for a stage is a `story-stage` step. */
export function queueStoryStages(
  queue: QueueExecutor,
  modelOf: (team: TeamProfile, role: string) => string,
): StoryStageExecutor {
  return async (work, signal) => {
    const step: Omit<StoryStageStep, 'runId' | 'attempt'> = {
      kind: 'story-stage',
      stepId: `${work.team.id}/${work.stage}`,
      premise: work.premise,
      team: work.team,
      stage: work.stage,
      prompt: work.prompt,
      writer: work.writer,
      editor: work.editor,
      ...(work.editRounds !== undefined ? { editRounds: work.editRounds } : {}),
      ...(work.words !== undefined ? { words: work.words } : {}),
      ...(work.seed !== undefined ? { seed: work.seed } : {}),
      models: { writer: modelOf(work.team, 'writer'), editor: modelOf(work.team, 'editor') },
    };
    const outcome = await queue.send(step, {
      ...(signal ? { signal } : {}),
      scopes: [`${work.stage}/${work.team.id}`],
    });
    return outcome.output as StoryStageText;
  };
}

import { reviewSafety, type RoundReport } from '../agents/index.js';
import type { ChainOptions, ProgramRunner } from '../software/chain.js';
import { codeSelfCorrection, safetyReviewedRunner } from '../software/self-check.js';
import type { TeamProfile } from './diversify.js';

/**
 * Self-correction of each team's code (issue 17 item 5), as plain data so a team's phases can run anywhere:
 * after coding and/or review, checks (syntax, sandbox run) then the critic; the team's programmer refines.
 */
export interface TeamSelfCorrect {
  /** Attempts at most per hook, the phase's own included. */
  rounds: number;
  /** Score (0–10) at which an attempt is good enough. */
  threshold: number;
  hooks: Array<'after-coding' | 'after-review'>;
}

/** The safety review before a team's program runs (issue 17 item 5), as plain data. */
export interface TeamSafetyCheck {
  /** Score (0–10) below which a program is not run; a veto stops it whatever the score. */
  threshold: number;
}

/** A self-correction or safety-review round of a team's work (or of a merge made for every team). */
export interface TeamRoundEvent {
  type: 'self-correction';
  /** The team whose work it is; absent for a merge made for every team. */
  team?: string;
  hook: string;
  scope: string;
  report: RoundReport;
}

/** What the checks of one team need: its models, the sandbox, and where rounds go. */
export interface TeamCheckContext {
  task: string;
  team: TeamProfile;
  /** The model of a role for this team (the critic's calls go through the team's share of the budget). */
  model: ChainOptions['model'];
  runProgram?: ProgramRunner;
  seed?: number;
  signal?: AbortSignal;
  onRound: (event: TeamRoundEvent) => void;
}

/**
 * A team's self-correction hook for its chain: the critic and programmer are the team's agents
 * (`team2/critic`, `team2/programmer`), so their calls count against the team's share of the budget;
 * every round is reported with the team's id.
 */
export function teamSelfCorrection(
  config: TeamSelfCorrect,
  context: TeamCheckContext,
): NonNullable<ChainOptions['selfCorrect']> {
  const id = context.team.id;
  return codeSelfCorrection({
    task: context.task,
    author: context.model('programmer'),
    critic: context.model('critic'),
    ...(context.runProgram ? { runProgram: context.runProgram } : {}),
    rounds: config.rounds,
    threshold: config.threshold,
    hooks: config.hooks,
    agentPrefix: `${id}/`,
    ...(context.seed !== undefined ? { seed: context.seed } : {}),
    ...(context.signal ? { signal: context.signal } : {}),
    onRound: (hook, scope, report) =>
      context.onRound({ type: 'self-correction', team: id, hook, scope: `${id}/${scope}`, report }),
  });
}

/**
 * A runner that has the critic review a program against the safety rubric before it runs (issue 17 item 5,
 * before execution); a failed review means the program is not run. `agent` names the critic for accounting
 * (`team2/safety-critic` for a team's program, `safety-critic` for a merge made for every team).
 */
export function safetyCheckedRunner(
  config: TeamSafetyCheck,
  runner: ProgramRunner,
  context: Omit<TeamCheckContext, 'team' | 'runProgram' | 'model'> & {
    critic: ReturnType<ChainOptions['model']>;
    agent: string;
    team?: string;
  },
): ProgramRunner {
  return safetyReviewedRunner(runner, (text, scope) =>
    reviewSafety({
      model: context.critic,
      text,
      threshold: config.threshold,
      task: context.task,
      agent: context.agent,
      scope: `before-execution/${context.team ?? 'merged'}`,
      ...(context.seed !== undefined ? { seed: context.seed } : {}),
      ...(context.signal ? { signal: context.signal } : {}),
      onRound: (report) =>
        context.onRound({
          type: 'self-correction',
          ...(context.team ? { team: context.team } : {}),
          hook: 'before-execution',
          scope: context.team ? `${context.team}/${scope}` : `merged/${scope}`,
          report,
        }),
    }),
  );
}

import type { DecisionEvent, EventInput } from '../events/index.js';
import type { CodeMetrics } from '../metrics/index.js';
import type { Runtime } from '../runtime/index.js';
import { writeCodebase } from '../software/codebase/index.js';
import type { TestOutcome } from '../software/chain.js';
import {
  diversifyTeams,
  executeCrossTeam,
  teamModel,
  TeamBudgets,
  type CrossTeamCheckpoint,
  type CrossTeamEvent,
  type CrossTeamResult,
  type DecisionReport,
  type TeamReport,
} from '../teams/index.js';
import { devJobSchema } from './dev-job.js';
import { chainEventToRun, chainProblems, guardChainInputs, openChainJob, phaseAgent } from './dev-job.js';
import { teamOptionsSchema } from './flags.js';
import { queueTeamSegments } from '../queue/team-executors.js';
import { openJobQueue, teamModelString, type QueueRunOptions } from './job-queue.js';
import { catchStop, closingJob, finalStatus, finishJob, modelFields } from './job-run.js';
import type { JobEnvironment, JobResult, JobRun, JobStart } from './job-run.js';
import { measureResult } from './run-metrics.js';
import { emitRound, reviewBeforeExecution } from './self-correction.js';
import { z } from 'zod';

/** A cross-team software job's stored configuration: the chain's settings plus the teams'. */
export const crossTeamJobSchema = devJobSchema.extend({
  kind: z.literal('cross-team'),
  teamOptions: teamOptionsSchema,
});

/** A cross-team software job's configuration. */
export type CrossTeamJobConfig = z.infer<typeof crossTeamJobSchema>;

/** What a cross-team software run reports (and writes to `crosstalk-run.json`). */
export interface CrossTeamSummary {
  task: string;
  name: string;
  model: string;
  simulated: boolean;
  mode: 'cross-team';
  modality: string | null;
  language: string | null;
  config: Omit<CrossTeamJobConfig['teamOptions'], 'teamModels' | 'profiles'> & { seed: number; budget: unknown };
  teams: TeamReport[];
  decisions: DecisionReport[];
  /** The decision point a stopped run passed last (its work up to there is kept). */
  stoppedAfter?: string;
  /** Without a final decision point: whose work the result is, and why. */
  selection?: CrossTeamResult['selection'];
  test: TestOutcome | null;
  files: string[];
  refusedFiles: Array<{ path: string; reason: string }>;
  /** The final code's metrics (see `src/metrics`); null when there was no code or the run stopped early. */
  metrics: CodeMetrics | null;
  error?: string;
}

/** A decision report as a `decision` event. */
export function decisionEvent(
  report: Omit<DecisionReport, 'point'> & { point: string },
): Omit<DecisionEvent, 'runId' | 'at'> {
  const levels = new Map<number, string[][]>();
  for (const node of report.tree) levels.set(node.level, [...(levels.get(node.level) ?? []), node.inputs]);
  return {
    type: 'decision',
    point: report.point,
    scores: Object.fromEntries(report.proposals.map((p) => [p.team, p.score])),
    kept: report.kept,
    pruned: report.pruned,
    groups: [...levels.entries()].sort(([a], [b]) => a - b).flatMap(([, groups]) => groups),
    ...(report.skipped ? { skipped: true } : { deliveredTo: report.deliveredTo }),
    ...(report.pruneApplied !== undefined ? { pruneApplied: report.pruneApplied } : {}),
    ...(report.ties ? { ties: report.ties } : {}),
    ...(report.tiebreak ? { tiebreak: report.tiebreak } : {}),
  };
}

/**
 * Turns the teams' progress into run events and a per-team status line for
 * progress events: shared by cross-team software and story runs.
 */
export function teamEventSink(run: JobRun, agentOf: (phase: string) => { role: string; model: string }) {
  const doing = new Map<string, string>();
  return (event: CrossTeamEvent) => {
    let converted: EventInput | undefined;
    if (event.type === 'segment-started') {
      for (const team of event.teams) doing.set(team, `towards ${event.point}`);
      converted = { type: 'step-started', step: { kind: 'segment', id: event.point }, attempt: 1 };
    } else if (event.type === 'team-progress') {
      if (event.event.type === 'phase-started') doing.set(event.team, event.event.phase);
      else if (event.event.type === 'phase-finished')
        doing.set(event.team, `${event.event.phase} ${event.event.status}`);
      converted = chainEventToRun(event.event, agentOf, event.team);
    } else if (event.type === 'self-correction') {
      // a round of a team's self-correction or safety review, tagged with the team
      emitRound(run, event.hook, event.scope, event.report, event.team);
      if (event.team) doing.set(event.team, `${event.hook} round ${event.report.round}`);
    } else if (event.type === 'team-dropped') {
      doing.set(event.team, 'dropped');
      converted = { type: 'team-dropped', team: event.team, reason: event.reason };
    } else {
      run.session.emit({ type: 'step-finished', step: { kind: 'segment', id: event.report.point } });
      converted = decisionEvent(event.report);
    }
    if (converted) run.session.emit(converted);
    run.progress({ teams: Object.fromEntries(doing) });
  };
}

/**
 * Each team's share of the run budget, when the run has one: a team pays for its own agents and its judge (agents
 * named `team/…`) and for an equal part of the merges made for it (the `aggregator`). A resumed run starts from what
 * each team had spent at the checkpoint.
 */
function teamBudgets(
  runtime: Runtime,
  teams: number,
  before: CrossTeamCheckpoint | undefined,
): TeamBudgets | undefined {
  const { maxUsd, maxTokens } = runtime.budget.limits;
  if (maxUsd === undefined && maxTokens === undefined) return undefined;
  const spentBy = (match: (agent: string) => boolean) => {
    let usd = 0;
    let tokens = 0;
    for (const [agent, totals] of Object.entries(runtime.usage.snapshot().perAgent)) {
      if (!match(agent)) continue;
      usd += totals.costUsd;
      tokens += totals.inputTokens + totals.outputTokens;
    }
    return { usd, tokens };
  };
  return new TeamBudgets({
    share: {
      ...(maxUsd !== undefined ? { usd: maxUsd / teams } : {}),
      ...(maxTokens !== undefined ? { tokens: maxTokens / teams } : {}),
    },
    ownSpent: (teamId) => spentBy((agent) => agent.startsWith(`${teamId}/`)),
    // the merges and the safety review of a merged program serve every team
    sharedSpent: () => spentBy((agent) => agent === 'aggregator' || agent === 'safety-critic'),
    ...(before?.teamSpent ? { before: before.teamSpent } : {}),
    run: runtime.budget,
  });
}

/**
 * Runs (or resumes) a cross-team software job: K diversified teams run the
 * chain; at each decision point their proposals are scored, pruned greedily
 * and merged by hierarchical partitioning, and the merge is shared back. The
 * run is checkpointed after each decision point; a resumed run continues
 * after the last it passed and replays the answered calls that came after.
 */
export async function runCrossTeamJob(
  environment: JobEnvironment,
  config: CrossTeamJobConfig,
  start: JobStart = {},
  how: QueueRunOptions = {},
): Promise<JobResult<CrossTeamSummary>> {
  const run = await openChainJob(environment, config, start);
  const { session, runtime } = run;
  const options = config.teamOptions;
  return closingJob(run, async () => {
    // profiles already carry the team models; jobs stored before teams files existed have only teamModels
    const teams = diversifyTeams(
      options.teams,
      runtime.seed,
      options.profiles ?? options.teamModels.map((model) => ({ model })),
    );
    for (const t of teams) if (t.model) runtime.modelByString(t.model); // missing keys fail before work starts
    session.begin({
      model: runtime.defaultModel,
      simulated: runtime.simulated,
      plannedSteps: options.decisionPoints.length + 1,
    });
    const describe = (t: (typeof teams)[number]) =>
      [
        `temperature ${t.temperature}`,
        `review ${t.reviewRounds}`,
        ...(t.testRounds !== undefined ? [`test ${t.testRounds}`] : []),
        ...(t.language ? [t.language] : []),
        ...(t.model ? [t.model] : []),
      ].join(', ');
    runtime.logger.info(`${teams.length} teams: ${teams.map((t) => `${t.id} (${describe(t)})`).join(', ')}`);
    const checkpoints = session.checkpointing<CrossTeamCheckpoint>({
      accept: (c) => c.teams.length === teams.length,
      index: (c) => c.nextSegment,
      name: (c) => `${c.point} decision point`,
    });
    const sandbox = runtime.sandbox;
    if (!sandbox.run) runtime.logger.warn(`${sandbox.reason}; the testing phase will be skipped`);
    const inputs = guardChainInputs(run, config);
    const budgets = teamBudgets(runtime, teams.length, checkpoints.options.resumeFrom);
    const criticModel = config.selfCorrect?.criticModel ?? config.safetyCheck?.criticModel;
    if (config.initial)
      runtime.logger.info(`every team starts from the given codebase (${Object.keys(config.initial).length} files)`);
    // with a queue, each team's segment runs on a worker; decision points, pruning and merging stay here
    const queue = how.queue ? await openJobQueue(run, how.queue, how.queueTimeoutMs) : undefined;
    const { value: result, stopped } = await catchStop(() =>
      executeCrossTeam({
        ...(queue
          ? {
              executeSegment: queueTeamSegments(
                queue.executor,
                (team, role) => teamModelString(runtime, team, role, criticModel ? { critic: criticModel } : {}),
                runtime.defaultModel,
              ),
            }
          : {}),
        ...checkpoints.options,
        task: inputs.task,
        teams,
        phases: config.phases,
        roles: inputs.roles,
        model: teamModel(runtime, budgets, criticModel ? { critic: criticModel } : {}),
        decisionPoints: options.decisionPoints,
        keep: options.keep,
        pruneAbove: options.pruneAbove,
        ...(inputs.initial ? { initial: inputs.initial } : {}),
        groupSize: options.groupSize,
        scorer: options.scorer,
        ...(runtime.embedding ? { embedding: runtime.embedding } : {}),
        ...(config.language ? { language: config.language } : {}),
        ...(sandbox.run ? { runProgram: sandbox.run } : { noRunnerReason: sandbox.reason }),
        seed: runtime.seed,
        signal: environment.signal,
        limits: runtime.outputLimits,
        ...(budgets ? { teamBudget: budgets } : {}),
        ...(config.selfCorrect
          ? {
              selfCorrect: {
                rounds: config.selfCorrect.rounds,
                threshold: config.selfCorrect.threshold,
                hooks: config.selfCorrect.hooks,
              },
            }
          : {}),
        ...(config.safetyCheck ? { safetyCheck: { threshold: config.safetyCheck.threshold } } : {}),
        onEvent: teamEventSink(
          run,
          phaseAgent(config.phases, (role) => runtime.modelString(role)),
        ),
      }),
    ).then(
      async (ended) => {
        await queue?.close(ended.stopped !== undefined); // a stopped run's Redis journal is kept for its resume
        return ended;
      },
      async (error: unknown) => {
        await queue?.close(true);
        throw error;
      },
    );
    if (result?.selection)
      runtime.logger.info(`◆ result: ${result.selection.team}'s work (${result.selection.reason})`);
    // a stopped run keeps what it did up to the last decision point it passed: the teams, the decisions, and
    // after the coding point the merged code every team received
    const passed = checkpoints.passed();
    const stoppedAfter = !result && passed ? passed : undefined;
    const codePoint = stoppedAfter?.point === 'coding' || stoppedAfter?.point === 'completion';
    const lastShared = codePoint ? stoppedAfter!.decisions.at(-1)?.deliveredTo[0] : undefined;
    const partialFiles = lastShared ? stoppedAfter!.teams.find((t) => t.report.id === lastShared)?.files : undefined;
    const files = result?.files ?? partialFiles;
    // the guard reports what in the files a user's tools would run (install hooks, auto-run tasks, …)
    if (files) await run.guard.checkOutput(files);
    const written = config.outDir && files ? writeCodebase(config.outDir, files) : undefined;
    const error = stopped?.message ?? result?.error;
    // the final merge ran the merged code; a team's own result was last run before its closing phases
    const finalMerge = result?.decisions.at(-1);
    const mergedAtEnd = finalMerge?.point === 'final' && !finalMerge.skipped;
    const metrics =
      result && !stopped
        ? await measureResult(
            runtime,
            run.session,
            {
              task: config.task,
              files: result.files,
              language: result.language,
              ...(mergedAtEnd ? { test: result.test, testedFiles: result.files } : {}),
            },
            // with --safety-check the metrics' run of the result is reviewed first, as every other run
            config.safetyCheck && sandbox.run
              ? {
                  reason: sandbox.reason,
                  run: reviewBeforeExecution(run, sandbox.run, config.safetyCheck, {
                    task: inputs.task,
                    signal: environment.signal,
                  }),
                }
              : undefined,
          )
        : null;
    const summary: CrossTeamSummary = {
      task: config.task,
      name: config.name,
      ...modelFields(runtime),
      mode: 'cross-team',
      modality: result?.modality ?? null,
      language: result?.language ?? null,
      config: {
        teams: teams.length,
        keep: options.keep,
        pruneAbove: options.pruneAbove,
        groupSize: options.groupSize,
        decisionPoints: options.decisionPoints,
        scorer: options.scorer,
        seed: runtime.seed,
        budget: run.loaded.config.budget ?? null,
      },
      teams: result?.teams ?? stoppedAfter?.teams.map((t) => t.report) ?? [],
      decisions: result?.decisions ?? stoppedAfter?.decisions ?? [],
      ...(stoppedAfter ? { stoppedAfter: stoppedAfter.point } : {}),
      ...(result?.selection ? { selection: result.selection } : {}),
      test: result?.test ?? null,
      files: written?.written ?? Object.keys(files ?? {}),
      refusedFiles: written?.refused ?? [],
      metrics,
    };
    const kept = stoppedAfter
      ? `the work up to the ${stoppedAfter.point} decision point is saved${summary.files.length ? ` (${summary.files.length} files of its merged code)` : ''}`
      : 'no decision point was passed yet';
    return finishJob(run, {
      kind: 'cross-team',
      problems: result ? chainProblems(config.phases, summary.files) : [],
      status: finalStatus(stopped, result?.status),
      summary,
      stored: { ...summary, teams: undefined },
      outDir: config.outDir,
      error,
      resumable: stopped !== undefined,
      saved: kept,
    });
  });
}

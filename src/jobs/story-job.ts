import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { makeDirectory } from '../common/index.js';
import {
  defaultPruneAbove,
  diversifyTeams,
  runStoryTeams,
  teamModel,
  type StoryCheckpoint,
  type StoryTeamsResult,
  type TeamReport,
} from '../teams/index.js';
import { teamEventSink } from './cross-team-job.js';
import { flagsSchema, keepRuleSchema, teamSpecSchema } from './flags.js';
import { queueStoryStages } from '../queue/team-executors.js';
import { openJobQueue, teamModelString, type QueueRunOptions } from './job-queue.js';
import { catchStop, closingJob, finalStatus, finishJob, modelFields, openJob } from './job-run.js';
import type { JobEnvironment, JobResult, JobStart } from './job-run.js';

/** A story job's stored configuration: everything needed to run or resume it. */
export const storyJobSchema = z.object({
  kind: z.literal('story'),
  premise: z.string().min(1),
  /** Number of teams, K. */
  teams: z.number().int().positive(),
  keep: keepRuleSchema,
  /** Prune only when more than this many texts reach a stage's end (the reference code: 4). */
  pruneAbove: z.number().int().min(0).default(defaultPruneAbove),
  /** Editor rounds per stage (each team's review rounds cap it). */
  editRounds: z.number().int().min(0).default(1),
  /** Texts merged per aggregation call. */
  groupSize: z.number().int().min(2),
  /** Target length in words. */
  words: z.number().int().positive(),
  /** Where `story.md` is written; none when absent. */
  outDir: z.string().optional(),
  flags: flagsSchema,
  /** Per-team settings: temperature, persona and model apply to stories. */
  profiles: z.array(teamSpecSchema).optional(),
});

/** A story job's configuration. */
export type StoryJobConfig = z.infer<typeof storyJobSchema>;

/** What a story run reports (and writes to `crosstalk-run.json`). */
export interface StorySummary {
  premise: string;
  model: string;
  simulated: boolean;
  config: {
    teams: number;
    keep: StoryJobConfig['keep'];
    pruneAbove: number;
    editRounds: number;
    groupSize: number;
    words: number;
    seed: number;
  };
  /** The story, when the run completed. */
  story: string | null;
  teams: TeamReport[];
  decisions: StoryTeamsResult['decisions'];
  /** The stage a stopped run finished last. */
  stoppedAfter?: string;
  error?: string;
}

/**
 * Runs (or resumes) a cross-team story job through the run store:
 * checkpointed after each stage, so a resumed run continues after the last
 * finished stage and replays the journaled calls that came after it.
 */
export async function runStoryJob(
  environment: JobEnvironment,
  config: StoryJobConfig,
  start: JobStart = {},
  how: QueueRunOptions = {},
): Promise<JobResult<StorySummary>> {
  const run = await openJob(
    environment,
    { flags: config.flags, run: { kind: 'story', task: config.premise, config } },
    start,
  );
  const { session, runtime } = run;
  return closingJob(run, async () => {
    const teams = diversifyTeams(config.teams, runtime.seed, config.profiles ?? []);
    for (const t of teams) if (t.model) runtime.modelByString(t.model); // missing keys fail before work starts
    session.begin({ model: runtime.defaultModel, simulated: runtime.simulated, plannedSteps: 3 });
    const checkpoints = session.checkpointing<StoryCheckpoint>({
      accept: (c) => c.teams.length === teams.length,
      index: (c) => c.nextStage,
      name: (c) => `${c.stage} stage`,
    });
    // with a queue, each team's writing for a stage runs on a worker; judging, pruning and merging stay here
    const queue = how.queue ? await openJobQueue(run, how.queue, how.queueTimeoutMs) : undefined;
    const { value: result, stopped } = await catchStop(() =>
      runStoryTeams({
        ...(queue
          ? { executeStage: queueStoryStages(queue.executor, (team, role) => teamModelString(runtime, team, role)) }
          : {}),
        ...checkpoints.options,
        premise: config.premise,
        teams,
        model: teamModel(runtime),
        keep: config.keep,
        pruneAbove: config.pruneAbove,
        editRounds: config.editRounds,
        groupSize: config.groupSize,
        words: config.words,
        seed: runtime.seed,
        signal: environment.signal,
        onEvent: teamEventSink(run, () => ({ role: 'writer', model: runtime.modelString('writer') })),
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
    if (config.outDir && result?.story) {
      makeDirectory(config.outDir);
      writeFileSync(join(config.outDir, 'story.md'), `${result.story}\n`);
    }
    // a stopped run keeps the teams and the stages it finished (each stage's merged text is in its decision)
    const passed = checkpoints.passed();
    const stoppedAfter = !result && passed ? passed : undefined;
    const error = stopped?.message ?? result?.error;
    const summary: StorySummary = {
      premise: config.premise,
      ...modelFields(runtime),
      config: {
        teams: config.teams,
        keep: config.keep,
        pruneAbove: config.pruneAbove,
        editRounds: config.editRounds,
        groupSize: config.groupSize,
        words: config.words,
        seed: runtime.seed,
      },
      story: result?.story ?? null,
      teams: result?.teams ?? stoppedAfter?.teams ?? [],
      decisions: result?.decisions ?? stoppedAfter?.decisions ?? [],
      ...(stoppedAfter ? { stoppedAfter: stoppedAfter.stage } : {}),
    };
    const status = finalStatus(stopped, result?.status);
    return finishJob(run, {
      kind: 'story',
      status,
      summary,
      stored: { status, story: summary.story },
      outDir: config.outDir,
      error,
      resumable: stopped !== undefined,
      saved: stoppedAfter ? `the stages up to ${stoppedAfter.stage} are saved` : 'answered calls are replayed free',
    });
  });
}

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { makeDirectory } from '../common/index.js';
import {
  defaultPruneAbove,
  diversifyTeams,
  runStoryTeams,
  storyRubric,
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
import { correctFinalText, reviewFinalText, safetyCheckSchema, textSelfCorrectSchema } from './self-correction.js';

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
  /** Self-correction of the final story by a critic, the writer rewriting (`--self-correct`); off when absent. */
  selfCorrect: textSelfCorrectSchema.optional(),
  /** A critic's safety review of the final story; a veto or a low score withholds it (`--safety-check`). */
  safetyCheck: safetyCheckSchema.optional(),
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
    const { value: outcome, stopped } = await catchStop(async () => {
      const written = await runStoryTeams({
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
      }).then(
        async (ended) => {
          await queue?.close(false);
          return ended;
        },
        async (error: unknown) => {
          await queue?.close(true); // a stopped run's Redis journal is kept for its resume
          throw error;
        },
      );
      // the finished story: self-correction (critic only: prose has no verifiable check), then the safety review
      if (written.status !== 'completed' || !written.story) return { written };
      const story = config.selfCorrect
        ? await correctFinalText(run, written.story, config.selfCorrect, {
            task: config.premise,
            rubric: storyRubric,
            author: 'writer',
            hook: 'after-writing',
            scope: 'story',
            signal: environment.signal,
            instruction: `Fix every problem listed. Reply with the whole improved story only, in about ${config.words} words.`,
          })
        : written.story;
      const reviewed = config.safetyCheck
        ? await reviewFinalText(run, story, config.safetyCheck, {
            task: config.premise,
            scope: 'story',
            signal: environment.signal,
          })
        : undefined;
      // a withheld story is neither shown nor written, nor are the texts that led to it
      return { written: reviewed?.passed === false ? withheld(written) : { ...written, story }, reviewed };
    });
    const result = outcome?.written;
    const reviewed = outcome?.reviewed;
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
      story: result?.story || null,
      teams: result?.teams ?? stoppedAfter?.teams ?? [],
      decisions: result?.decisions ?? stoppedAfter?.decisions ?? [],
      ...(stoppedAfter ? { stoppedAfter: stoppedAfter.stage } : {}),
    };
    const status = finalStatus(stopped, result?.status);
    return finishJob(run, {
      kind: 'story',
      problems: reviewed?.reason ? [reviewed.reason] : [],
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

/** A story result whose text was withheld by the safety check: no story, and no stage text that led to it. */
function withheld(result: StoryTeamsResult): StoryTeamsResult {
  return {
    ...result,
    story: '',
    teams: result.teams.map((t) => ({ ...t, artifacts: {} })),
    decisions: result.decisions.map((d) => ({ ...d, shared: '' })),
  };
}

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirectory } from '../../common/index.js';
import { prepareOutputDir } from '../output-dir.js';
import { teamModel } from '../team-model.js';
import type { ConfigFlags } from '../../config/index.js';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { AbortedError, BudgetExceededError, ConfigError, ExitCode } from '../../errors/index.js';
import { slugify, timestampForName } from '../../software/slug.js';
import { diversifyTeams, runStoryTeams, type KeepRule, type StoryCheckpoint, type TeamSpec } from '../../teams/index.js';
import { parseKeepRule, parseTeamsFlags, wholeNumber } from '../parse-flags.js';
import { formatTeamsFinished, formatUsageLine, simulatedBanner } from '../format.js';
import { configFlags } from '../global-options.js';
import type { Register } from '../main.js';
import { Progress } from '../progress.js';
import { finalStatus, openDurableRun } from '../durable-run.js';

/** Everything needed to run (or resume) a story job; stored as the run's config. */
export interface StoryJob {
  kind: 'story';
  premise: string;
  teams: number;
  keep: KeepRule;
  groupSize: number;
  words: number;
  outDir: string;
  flags: ConfigFlags;
  /** Per-team settings (`--teams-file`, `--team-models`); temperature, persona and model apply to stories. */
  profiles?: TeamSpec[];
}

/**
 * Runs (or resumes) a cross-team story job through the run store: checkpointed
 * after each stage, so a resumed run continues after the last finished stage
 * and replays the journaled calls that came after it.
 */
export async function runStoryJob(ctx: CliContext, out: Output, job: StoryJob, options: { resumeId?: string; flagOverrides?: ConfigFlags } = {}): Promise<number> {
  const { store, session, runtime } = await openDurableRun(ctx, { flags: job.flags, run: { kind: 'story', task: job.premise, config: job } }, options);
  try {
    const progress = new Progress(ctx.stderr, out);
    if (runtime.simulated) progress.line(simulatedBanner);
    const teams = diversifyTeams(job.teams, runtime.seed, job.profiles ?? []);
    for (const t of teams) if (t.model) runtime.modelByString(t.model); // missing keys fail before work starts
    // a resumed run continues after the last stage an earlier session finished
    const checkpoint = session.latestCheckpoint<StoryCheckpoint>((c) => c.teams.length === teams.length);
    if (checkpoint) progress.line(`continuing after the ${checkpoint.stage} stage`);
    const started = performance.now();
    let stopped: BudgetExceededError | AbortedError | undefined;
    let result;
    let passed = checkpoint;
    try {
      result = await runStoryTeams({
        ...(checkpoint ? { resumeFrom: checkpoint } : {}),
        onCheckpoint: (c) => {
          passed = c;
          session.checkpoint(c.nextStage, c, { stage: c.stage });
        },
        premise: job.premise,
        teams,
        model: teamModel(runtime),
        keep: job.keep,
        groupSize: job.groupSize,
        words: job.words,
        seed: runtime.seed,
        signal: ctx.signal,
      });
    } catch (error) {
      if (!BudgetExceededError.isInstance(error) && !AbortedError.isInstance(error)) throw error;
      stopped = error;
    }
    const durationMs = Math.round(performance.now() - started);
    const usage = runtime.usage.snapshot();
    makeDirectory(job.outDir);
    if (result?.story) writeFileSync(join(job.outDir, 'story.md'), `${result.story}\n`);
    const status = finalStatus(stopped, result?.status);
    // a stopped run keeps the teams and the stages it finished (each stage's merged text is in its decision)
    const stoppedAfter = !result && passed ? passed : undefined;
    const summaryCore = {
      runId: session.id,
      premise: job.premise,
      model: runtime.defaultModel,
      simulated: runtime.simulated,
      status,
      config: { teams: job.teams, keep: job.keep, groupSize: job.groupSize, words: job.words, seed: runtime.seed },
      teams: result?.teams ?? stoppedAfter?.teams ?? [],
      decisions: result?.decisions ?? stoppedAfter?.decisions ?? [],
      ...(stoppedAfter ? { stoppedAfter: stoppedAfter.stage } : {}),
      durationMs,
      ...(result?.error ? { error: result.error } : {}),
      ...(stopped ? { error: stopped.message } : {}),
    };
    const totals = session.finish(status, { status, story: result?.story ?? null });
    const summary = { ...summaryCore, totals, usage };
    writeFileSync(join(job.outDir, 'crosstalk-run.json'), `${JSON.stringify(summary, null, 2)}\n`);
    out.result({ ok: !stopped && result?.status === 'completed', outDir: job.outDir, story: result?.story ?? null, ...summary });
    if (stopped) {
      out.note(`crosstalk: ${stopped.message}. Resume with: crosstalk runs resume ${session.id}${BudgetExceededError.isInstance(stopped) ? ' --budget-usd <larger>' : ''} (answered calls are replayed free)`);
      return stopped.exitCode;
    }
    for (const d of result!.decisions) progress.line(`◆ ${d.point}: kept ${d.kept.join(', ')}${d.pruned.length ? `; pruned ${d.pruned.map((p) => p.team).join(', ')}` : ''}`);
    if (result!.story) out.line(result!.story);
    out.note(`${result!.status}: run ${session.id}; ${job.outDir}`);
    out.note(`  ${formatTeamsFinished(result!.teams)}`);
    out.note(formatUsageLine(runtime.defaultModel, usage.total, durationMs) + (session.journalStats.replayed ? ` (+${session.journalStats.replayed} replayed free)` : ''));
    return result!.status === 'completed' ? ExitCode.ok : ExitCode.failed;
  } finally {
    store.close();
  }
}

/** `crosstalk story "<premise>" --teams K`: cross-team story writing (outline → draft → revise). */
export const registerStory: Register = (program, ctx, run) => {
  program
    .command('story')
    .description('write a story with several teams: outline, draft and revision, judged, pruned and merged at each stage')
    .argument('<premise>', 'what the story is about')
    .option('--teams <k>', 'number of teams (default 4)')
    .option('--prune <keep>', 'keep this share (0-1) or number (≥ 1) of texts at each stage (default 0.5)')
    .option('--group-size <g>', 'texts merged per aggregation call (default 2)')
    .option('--words <n>', 'target length in words (default 300)')
    .option('--out <dir>', 'output directory (default ./crosstalk-out/<name>-<timestamp>)')
    .option('--team-models <list>', 'comma-separated model strings, one per team; an empty entry means the run model (K defaults to its length)')
    .option('--teams-file <file>', 'YAML/JSON list of teams with id, temperature, persona, model (K defaults to its length)')
    .action(
      run(async ([premise], options, out) => {
        const text = String(premise ?? '').trim();
        if (text === '') throw new ConfigError({ key: 'premise', message: 'story needs a non-empty premise' });
        const { teams: k, profiles } = parseTeamsFlags(options, ctx.cwd, 4);
        // a story team has no code: the file's software settings would be silently ignored
        profiles.forEach((profile, i) => {
          const unused = (['language', 'reviewRounds', 'testRounds'] as const).filter((key) => profile[key] !== undefined);
          if (unused.length > 0) throw new ConfigError({ key: '--teams-file', message: `${String(options.teamsFile)}: team ${i + 1}: ${unused.join(', ')} ${unused.length === 1 ? 'applies' : 'apply'} to dev only; a story team takes id, temperature, persona and model` });
        });
        const groupSize = wholeNumber('--group-size', options.groupSize, 2, 2, 64);
        const words = wholeNumber('--words', options.words, 300, 20, 20_000);
        const keep = parseKeepRule(options.prune);
        const outDir = prepareOutputDir(ctx.cwd, options.out, join('crosstalk-out', `${slugify(text)}-${timestampForName()}`));
        return runStoryJob(ctx, out, { kind: 'story', premise: text, teams: k, keep, groupSize, words, outDir, flags: configFlags(options), profiles });
      }),
    );
};

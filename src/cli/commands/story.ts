import { join } from 'node:path';
import { prepareOutputDir } from '../../common/index.js';
import { ConfigError } from '../../errors/index.js';
import { runStoryJob, type StoryJobConfig } from '../../jobs/index.js';
import { slugify, timestampForName } from '../../software/slug.js';
import { formatTeamsFinished } from '../format.js';
import { configFlags } from '../global-options.js';
import type { Register } from '../main.js';
import { parseKeepRule, parseTeamsFlags, wholeNumber } from '../parse-flags.js';
import { addPlanOptions, planOrRun } from '../plan.js';
import { printJobEnd, runWithProgress } from '../run-job.js';

/** `crosstalk story "<premise>" --teams K`: cross-team story writing (outline → draft → revise). */
export const registerStory: Register = (program, ctx, run) => {
  const command = program
    .command('story')
    .description('write a story with several teams: outline, draft and revision, judged, pruned and merged at each stage')
    .argument('<premise>', 'what the story is about')
    .option('--teams <k>', 'number of teams (default 4)')
    .option('--prune <keep>', 'keep this share (0-1) or number (≥ 1) of texts at each stage (default 0.5)')
    .option('--group-size <g>', 'texts merged per aggregation call (default 2)')
    .option('--words <n>', 'target length in words (default 300)')
    .option('--out <dir>', 'output directory (default ./crosstalk-out/<name>-<timestamp>)')
    .option('--team-models <list>', 'comma-separated model strings, one per team; an empty entry means the run model (K defaults to its length)')
    .option('--teams-file <file>', 'YAML/JSON list of teams with id, temperature, persona, model (K defaults to its length)');
  addPlanOptions(command).action(
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
        const config: StoryJobConfig = { kind: 'story', premise: text, teams: k, keep, groupSize, words, flags: configFlags(options), profiles };
        return planOrRun(ctx, out, options, config, async () => {
          config.outDir = prepareOutputDir(ctx.cwd, options.out, join('crosstalk-out', `${slugify(text)}-${timestampForName()}`));
          const result = await runWithProgress(ctx, out, (environment) => runStoryJob(environment, config));
          return printJobEnd(out, result, () => ({
            out: result.summary.story ? [result.summary.story] : [],
            notes: [`${result.status}: run ${result.runId}; ${result.outDir}`, `  ${formatTeamsFinished(result.summary.teams)}`],
          }));
        });
      }),
    );
};

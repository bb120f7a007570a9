import { join } from 'node:path';
import { prepareOutputDir } from '../../common/index.js';
import { ConfigError } from '../../errors/index.js';
import { runStoryJob, type StoryJobConfig } from '../../jobs/index.js';
import { slugify, timestampForName } from '../../software/slug.js';
import { defaultPruneAbove } from '../../teams/index.js';
import { formatTeamsFinished } from '../format.js';
import { configFlags } from '../global-options.js';
import { parseQueueOptions, queueTimeoutOption } from '../queue-options.js';
import type { Register } from '../main.js';
import { parseKeepRule, parseTeamsFlags, wholeNumber, nonEmptyText } from '../parse-flags.js';
import { planOptions, planOrRun } from '../plan.js';
import { defineCommand, teamsOptions } from '../define-command.js';
import { printJobEnd } from '../run-job.js';
import { runJobServed, serveOptions } from './serve.js';
import {
  parseSafetyCheck,
  parseTextSelfCorrect,
  safetyCheckOptions,
  textSelfCorrectOptions,
} from '../self-correct-options.js';

/** `crosstalk story "<premise>" --teams K`: cross-team story writing (outline → draft → revise). */
export const registerStory: Register = (program, ctx, run) => {
  const command = defineCommand(program, {
    name: 'story',
    description:
      'write a story with several teams: outline, draft and revision, judged, pruned and merged at each stage',
    argument: ['<premise>', 'what the story is about'],
    options: [
      ['--teams <k>', 'number of teams (default 4)'],
      ['--words <n>', 'target length in words (default 300)'],
      ['--out <dir>', 'output directory (default ./crosstalk-out/<name>-<timestamp>)'],
      ['--edit-rounds <n>', 'editor rounds per stage: the editor critiques, the writer revises (default 1)'],
      ['--queue <url>', "write each team's stages on `crosstalk worker`s through BullMQ (redis://…)"],
      queueTimeoutOption,
      ...teamsOptions('texts', 'id, temperature, persona, model, reviewRounds (caps the editor rounds)'),
      ...textSelfCorrectOptions('the finished story'),
      // --critic-model is in both lists
      ...safetyCheckOptions.filter(([flag]) => !flag.startsWith('--critic-model')),
      ...planOptions,
      ...serveOptions,
    ],
  });
  command.action(
    run(async ([premise], options, out) => {
      const text = nonEmptyText(premise, 'premise', 'story');
      // the queue URL may hold a password: it is never stored with the run
      const { queue: _queue, queueTimeout: _timeout, ...flags } = configFlags(options);
      const queued = parseQueueOptions(options); // a bad URL fails before any work
      const { teams: k, profiles } = parseTeamsFlags(options, ctx.cwd, 4);
      // a story team has no code: the file's software settings would be silently ignored
      profiles.forEach((profile, i) => {
        const unused = (['language', 'testRounds'] as const).filter((key) => profile[key] !== undefined);
        if (unused.length > 0)
          throw new ConfigError({
            key: '--teams-file',
            message: `${String(options.teamsFile)}: team ${i + 1}: ${unused.join(', ')} ${unused.length === 1 ? 'applies' : 'apply'} to dev only; a story team takes id, temperature, persona, model and reviewRounds (its editor rounds)`,
          });
      });
      const groupSize = wholeNumber('--group-size', options.groupSize, 2, 2, 64);
      const words = wholeNumber('--words', options.words, 300, 20, 20_000);
      const keep = parseKeepRule(options.prune);
      const pruneAbove = wholeNumber('--prune-above', options.pruneAbove, defaultPruneAbove);
      const editRounds = wholeNumber('--edit-rounds', options.editRounds, 1, 0, 10);
      const selfCorrect = parseTextSelfCorrect(options);
      const safetyCheck = parseSafetyCheck(options);
      const config: StoryJobConfig = {
        kind: 'story',
        premise: text,
        teams: k,
        keep,
        pruneAbove,
        editRounds,
        groupSize,
        words,
        flags,
        profiles,
        ...(selfCorrect ? { selfCorrect } : {}),
        ...(safetyCheck ? { safetyCheck } : {}),
      };
      return planOrRun(ctx, out, options, config, async () => {
        config.outDir = prepareOutputDir(
          ctx.cwd,
          options.out,
          join('crosstalk-out', `${slugify(text)}-${timestampForName()}`),
        );
        const { result, keepOpen } = await runJobServed(ctx, out, options, (environment) =>
          runStoryJob(environment, config, {}, queued),
        );
        const code = printJobEnd(out, result, () => ({
          out: result.summary.story ? [result.summary.story] : [],
          notes: [
            `${result.status}: run ${result.runId}; ${result.outDir}`,
            `  ${formatTeamsFinished(result.summary.teams)}`,
          ],
        }));
        await keepOpen();
        return code;
      });
    }),
  );
};

import { basename, join, resolve } from 'node:path';
import { defaultRoles, loadRoles } from '../../agents/index.js';
import { prepareOutputDir } from '../../common/index.js';
import { ConfigError } from '../../errors/index.js';
import {
  runCrossTeamJob,
  runDevJob,
  type CrossTeamJobConfig,
  type DevJobConfig,
  type TeamOptions,
} from '../../jobs/index.js';
import { supportedLanguages, type ChainLanguage } from '../../software/chain.js';
import { readCodebase } from '../../software/codebase/index.js';
import { loadPhases, resolvePhases } from '../../software/phases.js';
import { slugify, timestampForName } from '../../software/slug.js';
import {
  decisionPointNames,
  defaultDecisionPoints,
  defaultPruneAbove,
  type DecisionPoint,
  type Scorer,
} from '../../teams/index.js';
import { formatMetricsLines, formatTeamsFinished, printable } from '../format.js';
import { configFlags } from '../global-options.js';
import { parseQueueOptions, queueTimeoutOption } from '../queue-options.js';
import type { Register } from '../main.js';
import { parseKeepRule, parseTeamsFlags, wholeNumber, nonEmptyText } from '../parse-flags.js';
import { printJobEnd } from '../run-job.js';
import { runJobServed, serveOptions } from './serve.js';
import { planOptions, planOrRun } from '../plan.js';
import { defineCommand, teamsOptions } from '../define-command.js';
import { parseSafetyCheck, parseSelfCorrect, safetyCheckOptions, selfCorrectOptions } from '../self-correct-options.js';

function parseTeamOptions(options: Record<string, unknown>, cwd: string): TeamOptions {
  const { teams, teamModels, profiles } = parseTeamsFlags(options, cwd, 1);
  const keep = parseKeepRule(options.prune);
  const groupSize = wholeNumber('--group-size', options.groupSize, 2, 2, 64);
  const pruneAbove = wholeNumber('--prune-above', options.pruneAbove, defaultPruneAbove);
  const raw =
    typeof options.decisionPoints === 'string' ? options.decisionPoints.split(',') : [...defaultDecisionPoints];
  const decisionPoints = raw.map((p) => p.trim()).filter(Boolean) as DecisionPoint[];
  decisionPoints.forEach((p, i) => {
    if (!decisionPointNames.includes(p)) {
      throw new ConfigError({
        key: '--decision-points',
        message: `--decision-points: unknown point '${p}' (expected ${decisionPointNames.join(', ')})`,
      });
    }
    if (decisionPoints.indexOf(p) !== i)
      throw new ConfigError({ key: '--decision-points', message: `--decision-points: '${p}' is listed twice` });
  });
  const scorer = (options.scorer ?? 'metrics') as Scorer;
  if (!['metrics', 'judge', 'both'].includes(scorer)) {
    throw new ConfigError({
      key: '--scorer',
      message: `--scorer must be metrics, judge or both (got ${JSON.stringify(options.scorer)})`,
    });
  }
  return { teams, keep, pruneAbove, groupSize, decisionPoints, scorer, teamModels, profiles };
}

/** Several teams, or one team with settings of its own (--teams-file, --team-models), run as teams; otherwise the plain chain. */
function runsAsTeams(options: TeamOptions): boolean {
  return (
    options.teams > 1 ||
    (options.profiles ?? []).some((p) => Object.keys(p).length > 0) ||
    options.teamModels.length > 0
  );
}

/** The first word of a finished run's line. */
function doneWord(status: string): string {
  return status === 'completed' ? 'done' : status === 'completed-with-problems' ? 'done with problems' : 'failed';
}

function parseLanguage(raw: unknown): ChainLanguage | undefined {
  if (raw === undefined) return undefined;
  const found = supportedLanguages.find((l) => l.toLowerCase() === String(raw).toLowerCase());
  if (!found) {
    throw new ConfigError({
      key: '--language',
      message: `--language must be one of ${supportedLanguages.join(', ')} (got ${JSON.stringify(raw)}); the sandbox runs only these`,
    });
  }
  return found;
}

/** The chain's settings from the flags: phases (with round limits), roles, language, starting code. */
function chainSettings(text: string, options: Record<string, unknown>, cwd: string) {
  const reviewRounds = wholeNumber('--max-review-rounds', options.maxReviewRounds, 3);
  const testRounds = wholeNumber('--max-test-rounds', options.maxTestRounds, 3);
  const completionRounds = wholeNumber('--max-completion-rounds', options.maxCompletionRounds, 10, 0, 50);
  const maxTurns = wholeNumber('--max-turns', options.maxTurns, 10, 1, 50);
  const roles = typeof options.roles === 'string' ? loadRoles(resolve(cwd, options.roles)) : defaultRoles;
  const base = typeof options.phases === 'string' ? loadPhases(resolve(cwd, options.phases)) : resolvePhases(undefined);
  const phases = base.map((p) => {
    if (p.name === 'code-review' && options.maxReviewRounds !== undefined) return { ...p, rounds: reviewRounds };
    if (p.name === 'testing' && options.maxTestRounds !== undefined) return { ...p, rounds: testRounds };
    if (p.name === 'code-completion' && options.maxCompletionRounds !== undefined)
      return { ...p, rounds: completionRounds };
    if ((p.name === 'demand-analysis' || p.name === 'language-choice') && options.maxTurns !== undefined)
      return { ...p, maxTurns };
    return p;
  });
  const language = parseLanguage(options.language);
  const initial = typeof options.from === 'string' ? readCodebase(resolve(cwd, options.from)) : undefined;
  const name = slugify(typeof options.name === 'string' ? options.name : text);
  return {
    task: text,
    name,
    ...(language ? { language } : {}),
    phases,
    roles,
    ...(initial ? { initial } : {}),
    unsafeNoSandbox: options.unsafeNoSandbox === true,
    ...(options.sanitizeInputs === true ? { sanitizeInputs: true } : {}),
  };
}

/** `crosstalk dev "<task>"`: one line in, a runnable project directory out. */
export const registerDev: Register = (program, ctx, run) => {
  const command = defineCommand(program, {
    name: 'dev',
    description: 'build a software project from a one-line task with a ChatDev-style team',
    argument: ['<task>', 'what to build, e.g. "a command-line todo app"'],
    options: [
      ['--out <dir>', 'output directory (default ./crosstalk-out/<name>-<timestamp>)'],
      ['--name <name>', 'project name (default: from the task)'],
      ['--language <language>', `fix the language: ${supportedLanguages.join(' or ')}`],
      ['--max-review-rounds <n>', 'review rounds at most (default 3)'],
      ['--max-test-rounds <n>', 'test-and-fix rounds at most (default 3)'],
      ['--max-completion-rounds <n>', 'code-completion cycles at most, one unfinished file each (default 10)'],
      ['--max-turns <n>', 'turns of the demand-analysis and language dialogues at most (default 10, as ChatDev)'],
      ['--from <dir>', 'incremental mode: continue from an existing codebase'],
      ['--roles <file>', 'roles.yaml overriding or adding roles'],
      ['--phases <file>', 'phases.yaml changing the chain'],
      ['--unsafe-no-sandbox', 'run generated code on the host when no sandbox is available (dangerous)'],
      ['--sanitize-inputs', 'strip hidden content and agent-aimed instructions from the task, roles and --from files'],
      ['--teams <k>', 'cross-team collaboration: K diversified teams (default 1, plain ChatDev)'],
      [
        '--decision-points <list>',
        `teams: where teams compare and merge, from ${decisionPointNames.join(', ')} (default ${defaultDecisionPoints.join(',')})`,
      ],
      ['--scorer <s>', 'teams: score proposals by metrics, judge or both (default metrics)'],
      ['--queue <url>', "teams: run each team's phases on `crosstalk worker`s through BullMQ (redis://…)"],
      queueTimeoutOption,
      ...teamsOptions('proposals', 'id, temperature, persona, model, language, reviewRounds, testRounds'),
      ...selfCorrectOptions,
      // --critic-model is in both lists
      ...safetyCheckOptions.filter(([flag]) => !flag.startsWith('--critic-model')),
      ...planOptions,
      ...serveOptions,
    ],
  });
  command.action(
    run(async ([task], options, out) => {
      const text = nonEmptyText(task, 'task', 'dev');
      const chain = chainSettings(text, options, ctx.cwd);
      const teamOptions = parseTeamOptions(options, ctx.cwd);
      // the queue URL may hold a password: it is never stored with the run
      const { queue: _queue, queueTimeout: _timeout, ...flags } = configFlags(options);
      const asTeams = runsAsTeams(teamOptions);
      const queued = parseQueueOptions(options); // a bad URL fails before any work
      if (queued.queue && !asTeams)
        throw new ConfigError({
          key: '--queue',
          message: "--queue sends teams' work to workers: add --teams (the plain chain runs in this process)",
        });
      const selfCorrect = parseSelfCorrect(options);
      const safetyCheck = parseSafetyCheck(options);
      const checks = { ...(selfCorrect ? { selfCorrect } : {}), ...(safetyCheck ? { safetyCheck } : {}) };
      const config: DevJobConfig | CrossTeamJobConfig = asTeams
        ? { kind: 'cross-team', ...chain, ...checks, teamOptions, flags }
        : { kind: 'dev', ...chain, ...checks, flags };
      return planOrRun(ctx, out, options, config, async () => {
        config.outDir = prepareOutputDir(
          ctx.cwd,
          options.out,
          join('crosstalk-out', `${chain.name}-${timestampForName()}`),
        );
        if (config.kind === 'cross-team') {
          const { result, keepOpen } = await runJobServed(ctx, out, options, (environment) =>
            runCrossTeamJob(environment, config, {}, queued),
          );
          const code = printJobEnd(out, result, () => ({
            out: [
              `${doneWord(result.status)}: ${result.outDir}`,
              `  ${formatTeamsFinished(result.summary.teams)}; ${result.summary.files.length} files, language ${result.summary.language}, test ${result.summary.test?.outcome}`,
              ...formatMetricsLines(result.summary.metrics),
            ],
          }));
          await keepOpen();
          return code;
        }
        const { result, keepOpen } = await runJobServed(ctx, out, options, (environment) =>
          runDevJob(environment, config),
        );
        const s = result.summary;
        const code = printJobEnd(out, result, () => ({
          out: [
            `${doneWord(result.status)}: ${result.outDir}`,
            `  ${s.files.length} files (${s.files
              .slice(0, 6)
              .map((f) => printable(basename(f)))
              .join(', ')}${s.files.length > 6 ? ', …' : ''}), language ${s.language}, test ${s.test?.outcome}`,
            ...(s.refusedFiles.length > 0
              ? [
                  `  refused ${s.refusedFiles.length} unsafe file name(s): ${s.refusedFiles.map((r) => `${printable(r.path)} (${r.reason})`).join('; ')}`,
                ]
              : []),
            ...formatMetricsLines(s.metrics),
          ],
        }));
        await keepOpen();
        return code;
      });
    }),
  );
};

import { writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { makeDirectory } from '../../common/index.js';
import { prepareOutputDir } from '../output-dir.js';
import { teamModel } from '../team-model.js';
import { defaultRoles, loadRoles } from '../../agents/index.js';
import type { ConfigFlags } from '../../config/index.js';
import { RunSession } from '../../jobs/index.js';
import { AbortedError, BudgetExceededError, ConfigError, ExitCode } from '../../errors/index.js';
import { loadPhases, resolvePhases } from '../../software/phases.js';
import { runChain, supportedLanguages, type ChainLanguage, type ChainResult, type ChainState } from '../../software/chain.js';
import { readCodebase, writeCodebase, type Files } from '../../software/codebase/index.js';
import { createProgramRunner } from '../../software/program-runner.js';
import { slugify, timestampForName } from '../../software/slug.js';
import { formatCost, formatTeamsFinished, formatUsageLine, simulatedBanner } from '../format.js';
import { configFlags } from '../global-options.js';
import type { Register } from '../main.js';
import { Progress } from '../progress.js';
import { finalStatus, openDurableRun } from '../durable-run.js';
import { parseKeepRule, parseTeamsFlags, wholeNumber } from '../parse-flags.js';
import { decisionPointNames, diversifyTeams, runCrossTeam, type CrossTeamCheckpoint, type DecisionPoint, type KeepRule, type Scorer, type TeamSpec } from '../../teams/index.js';
import type { RoleBook } from '../../agents/index.js';
import type { ResolvedPhase } from '../../software/phases.js';
import type { Runtime } from '../../runtime/index.js';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';

/** Parsed cross-team flags. */
export interface TeamOptions {
  teams: number;
  keep: KeepRule;
  groupSize: number;
  decisionPoints: DecisionPoint[];
  scorer: Scorer;
  teamModels: string[];
  /** Per-team settings from `--teams-file` and `--team-models` (the rest of each team comes from the seeded defaults). */
  profiles?: TeamSpec[];
}

function parseTeamOptions(options: Record<string, unknown>, cwd: string): TeamOptions {
  const { teams, teamModels, profiles } = parseTeamsFlags(options, cwd, 1);
  const keep = parseKeepRule(options.prune);
  const groupSize = wholeNumber('--group-size', options.groupSize, 2, 2, 64);
  const decisionPoints = (typeof options.decisionPoints === 'string' ? options.decisionPoints.split(',') : [...decisionPointNames]).map((p) => p.trim()).filter(Boolean) as DecisionPoint[];
  decisionPoints.forEach((p, i) => {
    if (!decisionPointNames.includes(p)) throw new ConfigError({ key: '--decision-points', message: `--decision-points: unknown point '${p}' (expected ${decisionPointNames.join(', ')})` });
    if (decisionPoints.indexOf(p) !== i) throw new ConfigError({ key: '--decision-points', message: `--decision-points: '${p}' is listed twice` });
  });
  const scorer = (options.scorer ?? 'metrics') as Scorer;
  if (!['metrics', 'judge', 'both'].includes(scorer)) throw new ConfigError({ key: '--scorer', message: `--scorer must be metrics, judge or both (got ${JSON.stringify(options.scorer)})` });
  return { teams, keep, groupSize, decisionPoints, scorer, teamModels, profiles };
}

/** Several teams, or one team with settings of its own (--teams-file, --team-models), run as teams so those settings apply; otherwise the plain chain. */
function runsAsTeams(options: TeamOptions): boolean {
  return options.teams > 1 || (options.profiles ?? []).some((p) => Object.keys(p).length > 0) || options.teamModels.length > 0;
}

async function runDevTeams(a: {
  ctx: CliContext;
  out: Output;
  progress: Progress;
  runtime: Runtime;
  runner: ReturnType<typeof createProgramRunner>;
  session: RunSession;
  text: string;
  name: string;
  outDir: string;
  phases: ResolvedPhase[];
  roles: RoleBook;
  language: ChainLanguage | undefined;
  teamOptions: TeamOptions;
  loadedBudget: unknown;
}): Promise<number> {
  const { runtime, progress, teamOptions } = a;
  // profiles already carry --team-models; jobs stored before --teams-file existed have only teamModels
  const teams = diversifyTeams(teamOptions.teams, runtime.seed, teamOptions.profiles ?? teamOptions.teamModels.map((model) => ({ model })));
  for (const t of teams) if (t.model) runtime.modelByString(t.model); // missing keys fail before work starts
  const describe = (t: (typeof teams)[number]) => [`temperature ${t.temperature}`, `review ${t.reviewRounds}`, ...(t.testRounds !== undefined ? [`test ${t.testRounds}`] : []), ...(t.language ? [t.language] : []), ...(t.model ? [t.model] : [])].join(', ');
  progress.line(`${teams.length} teams: ${teams.map((t) => `${t.id} (${describe(t)})`).join(', ')}`);
  // a resumed run continues after the last decision point an earlier session passed
  const checkpoint = a.session.latestCheckpoint<CrossTeamCheckpoint>((c) => c.teams.length === teams.length);
  if (checkpoint) progress.line(`continuing after the ${checkpoint.point} decision point`);
  const started = performance.now();
  let stopped: BudgetExceededError | AbortedError | undefined;
  let result: Awaited<ReturnType<typeof runCrossTeam>> | undefined;
  let passed = checkpoint;
  try {
    result = await runCrossTeam({
      ...(checkpoint ? { resumeFrom: checkpoint } : {}),
      onCheckpoint: (c) => {
        passed = c;
        a.session.checkpoint(c.nextSegment, c, { point: c.point });
      },
      task: a.text,
      teams,
      phases: a.phases,
      roles: a.roles,
      model: teamModel(runtime),
      decisionPoints: teamOptions.decisionPoints,
      keep: teamOptions.keep,
      groupSize: teamOptions.groupSize,
      scorer: teamOptions.scorer,
      ...(a.language ? { language: a.language } : {}),
      ...(a.runner.run ? { runProgram: a.runner.run } : { noRunnerReason: a.runner.reason }),
      seed: runtime.seed,
      signal: a.ctx.signal,
      ...(runtime.budget.limits.maxUsd !== undefined || runtime.budget.limits.maxTokens !== undefined
        ? {
            teamBudget: {
              share: {
                ...(runtime.budget.limits.maxUsd !== undefined ? { usd: runtime.budget.limits.maxUsd / teams.length } : {}),
                ...(runtime.budget.limits.maxTokens !== undefined ? { tokens: runtime.budget.limits.maxTokens / teams.length } : {}),
              },
              spent: (teamId: string) => teamSpent(runtime, teamId),
            },
          }
        : {}),
      onEvent: (e) => {
        const tokens = usageSoFar(runtime);
        if (e.type === 'segment-started') progress.status(`▶ teams ${e.teams.join(', ')} working towards ${e.point} (${tokens})`);
        else if (e.type === 'team-dropped') progress.line(`✗ ${e.team} dropped: ${e.reason}`);
        else progress.line(`◆ ${e.point}: kept ${e.kept.join(', ')}${e.pruned.length ? `; pruned ${e.pruned.join(', ')}` : ''} (${tokens})`);
      },
    });
  } catch (error) {
    // Ctrl-C stops like a budget stop: record the run as interrupted so it can be resumed
    if (!BudgetExceededError.isInstance(error) && !AbortedError.isInstance(error)) throw error;
    stopped = error;
  }
  progress.done();
  if (result?.selection) progress.line(`◆ result: ${result.selection.team}'s work (${result.selection.reason})`);
  const durationMs = Math.round(performance.now() - started);
  const usage = runtime.usage.snapshot();
  makeDirectory(a.outDir);
  // a stopped run keeps what it did up to the last decision point it passed: the teams, the decisions, and after
  // the coding point the merged code every team received
  const stoppedAfter = !result && passed ? passed : undefined;
  const lastShared = stoppedAfter?.point === 'coding' ? stoppedAfter.decisions.at(-1)?.deliveredTo[0] : undefined;
  const partialFiles = lastShared ? stoppedAfter!.teams.find((t) => t.report.id === lastShared)?.files : undefined;
  const finalFiles = result?.files ?? partialFiles;
  const written = finalFiles ? writeCodebase(a.outDir, finalFiles) : { written: [], refused: [] };
  const summaryCore = {
    runId: a.session.id,
    task: a.text,
    name: a.name,
    model: runtime.defaultModel,
    simulated: runtime.simulated,
    status: finalStatus(stopped, result?.status),
    mode: 'cross-team',
    modality: result?.modality ?? null,
    language: result?.language ?? null,
    config: { teams: teams.length, keep: teamOptions.keep, groupSize: teamOptions.groupSize, decisionPoints: teamOptions.decisionPoints, scorer: teamOptions.scorer, seed: runtime.seed, budget: a.loadedBudget },
    teams: result?.teams ?? stoppedAfter?.teams.map((t) => t.report) ?? [],
    decisions: result?.decisions ?? stoppedAfter?.decisions ?? [],
    ...(stoppedAfter ? { stoppedAfter: stoppedAfter.point } : {}),
    ...(result?.selection ? { selection: result.selection } : {}),
    test: result?.test ?? null,
    files: written.written,
    refusedFiles: written.refused,
    durationMs,
    ...(result?.error ? { error: result.error } : {}),
    ...(stopped ? { error: stopped.message } : {}),
  };
  const totals = a.session.finish(summaryCore.status, { ...summaryCore, teams: undefined });
  const summary = { ...summaryCore, totals, usage };
  writeFileSync(join(a.outDir, 'crosstalk-run.json'), `${JSON.stringify(summary, null, 2)}\n`);
  a.out.result({ ok: !stopped && result?.status === 'completed', outDir: a.outDir, ...summary });
  if (stopped) {
    const kept = stoppedAfter ? `; the work up to the ${stoppedAfter.point} decision point is saved${written.written.length ? ` (${written.written.length} files of its merged code)` : ''}` : '';
    a.out.note(`crosstalk: ${stopped.message}${kept}. Resume with: crosstalk runs resume ${a.session.id}${BudgetExceededError.isInstance(stopped) ? ' --budget-usd <larger>' : ''} (answered calls are replayed free)`);
    return stopped.exitCode;
  }
  a.out.line(`${result!.status === 'completed' ? 'done' : 'failed'}: ${a.outDir}`);
  a.out.line(`  ${formatTeamsFinished(result!.teams)}; ${written.written.length} files, language ${summary.language}, test ${result!.test.outcome}`);
  a.out.note(formatUsageLine(runtime.defaultModel, usage.total, durationMs));
  return result!.status === 'completed' ? ExitCode.ok : ExitCode.failed;
}

function parseLanguage(raw: unknown): ChainLanguage | undefined {
  if (raw === undefined) return undefined;
  const found = supportedLanguages.find((l) => l.toLowerCase() === String(raw).toLowerCase());
  if (!found) throw new ConfigError({ key: '--language', message: `--language must be one of ${supportedLanguages.join(', ')} (got ${JSON.stringify(raw)}); the sandbox runs only these` });
  return found;
}

/** Everything needed to run (or resume) a dev job; stored as the run's config. */
export interface DevJob {
  kind: 'dev' | 'cross-team';
  task: string;
  name: string;
  outDir: string;
  language?: ChainLanguage;
  phases: ResolvedPhase[];
  roles: RoleBook;
  /** Starting codebase (incremental mode). */
  initial?: Files;
  unsafeNoSandbox: boolean;
  teamOptions: TeamOptions;
  flags: ConfigFlags;
}

/**
 * Runs (or resumes) a dev job through the run store: every model call is
 * journaled and, for a single team, the chain's state is saved after each
 * phase, so a resumed run continues after the last finished phase and pays
 * for no answered call twice. A cross-team run is checkpointed after each
 * decision point: a resumed one continues after the last it passed and
 * replays the answered calls that came after it.
 */
export async function runDevJob(ctx: CliContext, out: Output, job: DevJob, options: { resumeId?: string; flagOverrides?: ConfigFlags } = {}): Promise<number> {
  const { loaded, store, session, runtime } = await openDurableRun(ctx, { flags: job.flags, run: { kind: job.kind, task: job.task, config: job } }, options);
  try {
    const progress = new Progress(ctx.stderr, out);
    if (runtime.simulated) progress.line(simulatedBanner);
    progress.line(options.resumeId ? `resuming run ${session.id}` : `run ${session.id}`);
    const runner = createProgramRunner({ allowUnsafe: job.unsafeNoSandbox });
    if (!runner.run) progress.line(`crosstalk: ${runner.reason}; the testing phase will be skipped`);
    if (runsAsTeams(job.teamOptions)) {
      return await runDevTeams({ ctx, out, progress, runtime, runner, session, text: job.task, name: job.name, outDir: job.outDir, phases: job.phases, roles: job.roles, language: job.language, teamOptions: job.teamOptions, loadedBudget: loaded.config.budget ?? null });
    }
    // continue after the last phase a previous session finished
    const done = session.doneOutputs();
    const earlier: ChainState[] = job.phases.filter((p) => done.has(p.name)).map((p) => JSON.parse(done.get(p.name)!) as ChainState);
    const last = earlier.at(-1);
    const remaining = last ? job.phases.slice(job.phases.findIndex((p) => p.name === last.phase) + 1) : job.phases;
    if (last) progress.line(`${earlier.length} phase(s) already done: ${earlier.map((e) => e.phase).join(', ')}`);
    const started = performance.now();
    const finishedNow: ChainState[] = [];
    let result: ChainResult | undefined;
    let stopped: BudgetExceededError | AbortedError | undefined;
    try {
      result = await runChain({
        task: job.task,
        phases: remaining,
        roles: job.roles,
        model: (role) => runtime.model(role),
        ...(last ? { language: last.language, modality: last.modality, initial: last.files, test: last.test } : { ...(job.language ? { language: job.language } : {}), ...(job.initial ? { initial: job.initial } : {}) }),
        ...(runner.run ? { runProgram: runner.run } : { noRunnerReason: runner.reason }),
        seed: runtime.seed,
        signal: ctx.signal,
        onPhaseDone: (state) => {
          finishedNow.push(state);
          session.stepDone(state.phase, JSON.stringify(state), { status: state.record.status, note: state.record.note ?? null });
        },
        onEvent: (event) => {
          const tokens = usageSoFar(runtime);
          if (event.type === 'phase-started') progress.status(`▶ ${event.phase} … (${tokens})`);
          else if (event.type === 'round') progress.status(`▶ ${event.phase} round ${event.round} (${tokens})`);
          else progress.line(`${event.status === 'done' ? '✓' : event.status === 'skipped' ? '–' : '✗'} ${event.phase}${event.note ? `: ${event.note}` : ''} (${tokens})`);
        },
      });
      if (last) result = { ...result, phases: [...earlier.map((e) => e.record), ...result.phases] };
    } catch (error) {
      if (!BudgetExceededError.isInstance(error) && !AbortedError.isInstance(error)) throw error;
      stopped = error;
    }
    progress.done();
    const durationMs = Math.round(performance.now() - started);
    const usage = runtime.usage.snapshot();
    makeDirectory(job.outDir);
    // a stopped run still writes the files of its last finished phase
    const lastState = [...earlier, ...finishedNow].at(-1);
    const files = result?.files ?? lastState?.files;
    const written = files ? writeCodebase(job.outDir, files) : { written: [], refused: [] };
    const status = finalStatus(stopped, result?.status);
    const summaryCore = {
      runId: session.id,
      task: job.task,
      name: job.name,
      model: runtime.defaultModel,
      simulated: runtime.simulated,
      status,
      modality: result?.modality ?? null,
      language: result?.language ?? job.language ?? null,
      config: { phases: job.phases, seed: runtime.seed, concurrency: runtime.concurrency, budget: loaded.config.budget ?? null },
      phases: result?.phases ?? [...earlier, ...finishedNow].map((e) => e.record),
      test: result?.test ?? null,
      files: written.written,
      refusedFiles: [...(result?.refused ?? []), ...written.refused.map((r) => ({ ...r, phase: 'write' }))],
      durationMs,
      ...(result?.error ? { error: result.error } : {}),
      ...(stopped ? { error: stopped.message } : {}),
    };
    const totals = session.finish(status, summaryCore);
    const summary = { ...summaryCore, totals, usage };
    writeFileSync(join(job.outDir, 'crosstalk-run.json'), `${JSON.stringify(summary, null, 2)}\n`);
    out.result({ ok: !stopped && result?.status === 'completed', outDir: job.outDir, ...summary });
    if (stopped) {
      out.note(`crosstalk: ${stopped.message}; the phases finished so far are saved. Resume with: crosstalk runs resume ${session.id}${BudgetExceededError.isInstance(stopped) ? ' --budget-usd <larger>' : ''}`);
      return stopped.exitCode;
    }
    out.line(`${result!.status === 'completed' ? 'done' : 'failed'}: ${job.outDir}`);
    out.line(`  ${written.written.length} files (${written.written.slice(0, 6).map((f) => basename(f)).join(', ')}${written.written.length > 6 ? ', …' : ''}), language ${summary.language}, test ${result!.test.outcome}`);
    if (summary.refusedFiles.length > 0) out.line(`  refused ${summary.refusedFiles.length} unsafe file name(s): ${summary.refusedFiles.map((r) => `${r.path} (${r.reason})`).join('; ')}`);
    out.note(formatUsageLine(runtime.defaultModel, usage.total, durationMs) + (session.journalStats.replayed ? ` (+${session.journalStats.replayed} replayed free)` : ''));
    return result!.status === 'completed' ? ExitCode.ok : ExitCode.failed;
  } finally {
    store.close();
  }
}

/** What one team's agents (named `teamN/role`) have spent so far. */
function teamSpent(runtime: Runtime, teamId: string): { usd: number; tokens: number } {
  let usd = 0;
  let tokens = 0;
  for (const [agent, totals] of Object.entries(runtime.usage.snapshot().perAgent)) {
    if (!agent.startsWith(`${teamId}/`)) continue;
    usd += totals.costUsd;
    tokens += totals.inputTokens + totals.outputTokens;
  }
  return { usd, tokens };
}

/** Tokens and cost so far, for progress lines. */
function usageSoFar(runtime: Runtime): string {
  const u = runtime.usage.snapshot().total;
  return `${u.inputTokens + u.outputTokens} tokens, ${formatCost(u.costUsd, u.costKnown)}`;
}

/** `crosstalk dev "<task>"`: one line in, a runnable project directory out. */
export const registerDev: Register = (program, ctx, run) => {
  program
    .command('dev')
    .description('build a software project from a one-line task with a ChatDev-style team')
    .argument('<task>', 'what to build, e.g. "a command-line todo app"')
    .option('--out <dir>', 'output directory (default ./crosstalk-out/<name>-<timestamp>)')
    .option('--name <name>', 'project name (default: from the task)')
    .option('--language <language>', `fix the language: ${supportedLanguages.join(' or ')}`)
    .option('--max-review-rounds <n>', 'review rounds at most (default 3)')
    .option('--max-test-rounds <n>', 'test-and-fix rounds at most (default 3)')
    .option('--from <dir>', 'incremental mode: continue from an existing codebase')
    .option('--roles <file>', 'roles.yaml overriding or adding roles')
    .option('--phases <file>', 'phases.yaml changing the chain')
    .option('--unsafe-no-sandbox', 'run generated code on the host when no sandbox is available (dangerous)')
    .option('--teams <k>', 'cross-team collaboration: K diversified teams (default 1, plain ChatDev)')
    .option('--prune <keep>', 'teams: keep this share (0-1) or number (≥ 1) of proposals at each decision point (default 0.5)')
    .option('--group-size <g>', 'teams: proposals merged per aggregation call (default 2)')
    .option('--decision-points <list>', `teams: where teams compare and merge, from ${decisionPointNames.join(', ')} (default all)`)
    .option('--scorer <s>', 'teams: score proposals by metrics, judge or both (default metrics)')
    .option('--team-models <list>', 'teams: comma-separated model strings, one per team; an empty entry means the run model (K defaults to its length)')
    .option('--teams-file <file>', 'teams: YAML/JSON list of teams with id, temperature, persona, model, language, reviewRounds, testRounds (K defaults to its length)')
    .action(
      run(async ([task], options, out) => {
        const text = String(task ?? '').trim();
        if (text === '') throw new ConfigError({ key: 'task', message: 'dev needs a non-empty task' });
        const language = parseLanguage(options.language);
        const reviewRounds = wholeNumber('--max-review-rounds', options.maxReviewRounds, 3);
        const testRounds = wholeNumber('--max-test-rounds', options.maxTestRounds, 3);
        const roles = typeof options.roles === 'string' ? loadRoles(resolve(ctx.cwd, options.roles)) : defaultRoles;
        const basePhases = typeof options.phases === 'string' ? loadPhases(resolve(ctx.cwd, options.phases)) : resolvePhases(undefined);
        const phases = basePhases.map((p) => (p.name === 'code-review' && options.maxReviewRounds !== undefined ? { ...p, rounds: reviewRounds } : p.name === 'testing' && options.maxTestRounds !== undefined ? { ...p, rounds: testRounds } : p));
        const teamOptions = parseTeamOptions(options, ctx.cwd);
        const initial = typeof options.from === 'string' ? readCodebase(resolve(ctx.cwd, options.from)) : undefined;
        const name = slugify(typeof options.name === 'string' ? options.name : text);
        const outDir = prepareOutputDir(ctx.cwd, options.out, join('crosstalk-out', `${name}-${timestampForName()}`));

        const job: DevJob = {
          kind: runsAsTeams(teamOptions) ? 'cross-team' : 'dev',
          task: text,
          name,
          outDir,
          ...(language ? { language } : {}),
          phases,
          roles,
          ...(initial ? { initial } : {}),
          unsafeNoSandbox: options.unsafeNoSandbox === true,
          teamOptions,
          flags: configFlags(options),
        };
        return runDevJob(ctx, out, job);
      }),
    );
};

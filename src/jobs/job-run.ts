import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkRoleNames, defaultRoles, type RoleBook } from '../agents/index.js';
import { makeDirectory } from '../common/index.js';
import { loadConfig, type ConfigFlags, type LoadedConfig } from '../config/index.js';
import { AbortedError, BudgetExceededError, ExitCode, ModelOutputError } from '../errors/index.js';
import type { CrosstalkEvent, ProgressEvent } from '../events/index.js';
import type { LanguageModelV3Middleware } from '@ai-sdk/provider';
import type { UsageSnapshot } from '../model/middleware/index.js';
import {
  createRunGuard,
  parseApprovalMode,
  resolveGuardPolicy,
  type ApprovalPrompt,
  type GuardSummary,
  type RunGuard,
} from '../guard/index.js';
import { probeOllama } from '../model/index.js';
import { createRuntime, type ProgramSandbox, type Runtime } from '../runtime/index.js';
import {
  NoRunStore,
  noStore,
  resolveStorePath,
  SqliteRunStore,
  type NewRun,
  type RunStore,
  type RunKind,
  type RunStatus,
  type RunTotals,
} from '../store/index.js';
import { RunSession } from './run-session.js';

/** Where a job runs: the process around it. The CLI, a server or a library caller provides it. */
export interface JobEnvironment {
  /** Base for relative paths (config file, store, output). */
  cwd: string;
  /** Environment variables: API keys, `CROSSTALK_*` settings. */
  env: NodeJS.ProcessEnv;
  /** Aborting it stops the run cleanly; the run stays resumable. */
  signal: AbortSignal;
  /** Receives every event of the run, as it happens. */
  onEvent?: (event: CrosstalkEvent) => void;
  /** Looks for a local Ollama when no model is configured (replaceable in tests). */
  probe?: (baseURL: string) => Promise<string | undefined>;
  /** Replaces the sandbox that runs generated code. */
  sandbox?: ProgramSandbox;
  /**
   * Asks a person about an askable guard action (`--approve risky`); the CLI gives one only on a terminal.
   * Without it, askable actions are refused and reported.
   */
  askApproval?: ApprovalPrompt;
  /**
   * Middleware for each model string, placed where a call is really sent (after the run's own): a queue
   * worker's shared Redis limiter, so a run a worker answers keeps the coordinator's limits.
   */
  sent?: (modelString: string) => LanguageModelV3Middleware;
}

/** How a job is started: fresh, or resuming a stored run. */
export interface JobStart {
  /** Continue this stored run instead of starting a new one. */
  resumeId?: string;
  /** Settings that replace the stored ones on resume (a larger budget, another concurrency). */
  flagOverrides?: ConfigFlags;
}

/** What every job has open while it runs. */
export interface JobRun {
  loaded: LoadedConfig;
  store: RunStore;
  session: RunSession;
  runtime: Runtime;
  /** Live totals for progress events. */
  progress: (extra?: Partial<Omit<ProgressEvent, 'type' | 'runId' | 'at'>>) => void;
  /** Stops the progress ticker; called by {@link finishJob}. */
  stopTicker: () => void;
  started: number;
  /** The run's guard (issue 17): its findings become `guard-finding` events and the summary's `guard`. */
  guard: RunGuard;
}

/** The end of a run, as returned by every job. */
export interface JobResult<Summary extends object = Record<string, unknown>> {
  runId: string;
  kind: RunKind;
  status: RunStatus;
  /** The exit code the command-line program uses: 0 done, 1 failed, 3 budget, 130 interrupted. */
  exitCode: number;
  /** Where the results were written, if anywhere. */
  outDir?: string;
  /** What `crosstalk-run.json` holds: the job's own fields plus status, totals, usage and duration. */
  summary: Summary & {
    runId: string;
    status: RunStatus;
    totals: RunTotals;
    usage: UsageSnapshot;
    durationMs: number;
    problems: string[];
    /** What the guard found and refused; absent when it found nothing. */
    guard?: GuardSummary;
  };
  /**
   * Set when the run stopped early (budget, abort): why, and the command that continues it (absent when the run
   * was not stored, `--store none`).
   */
  stopped?: { reason: string; resume?: string };
  /** Calls answered free from the journal in this session. */
  replayedCalls: number;
}

/** Budget shares at which a warning event is emitted. */
const budgetWarnings = [0.5, 0.8, 0.95];

/**
 * Opens what every job needs: the config (the job's own flags, with overrides
 * on resume), the run store, a new or resumed session, and a runtime whose
 * models journal every call, whose budget counts what earlier sessions
 * spent, and whose calls and budget crossings become events. Closes the
 * store again if any of it fails (a new run that could not start is recorded
 * as failed, with the reason).
 */
export async function openJob(
  environment: JobEnvironment,
  job: { flags: ConfigFlags; run: NewRun; cache?: boolean; allowUnsafeSandbox?: boolean; roles?: RoleBook },
  start: JobStart = {},
): Promise<JobRun> {
  const flags: Record<string, string | undefined> = { ...job.flags, ...(start.flagOverrides ?? {}) };
  const loaded = loadConfig({ cwd: environment.cwd, env: environment.env, flags });
  // a bad guard policy is a configuration error: reported before a run is recorded
  const policy = resolveGuardPolicy({
    config: loaded.config.guard,
    ...(flags.guardPolicy ? { file: flags.guardPolicy } : {}),
    cwd: environment.cwd,
  });
  const approvalMode = parseApprovalMode(flags.approve);
  // a per-role model for a role the job does not have would be ignored in silence
  const roleModels = Object.keys(loaded.config.roleModels ?? {}).map((role) => ({
    role,
    where: loaded.sources[`roleModels.${role}`] ?? 'roleModels',
  }));
  checkRoleNames(roleModels, job.roles ?? defaultRoles);
  // the local Ollama probe (used when no model is configured) is asked once, though the runtime is built twice
  const probed = new Map<string, Promise<string | undefined>>();
  const probe = (baseURL: string) => {
    if (!probed.has(baseURL)) probed.set(baseURL, (environment.probe ?? probeOllama)(baseURL));
    return probed.get(baseURL)!;
  };
  // bad model strings, missing keys and unreachable defaults fail here, before a run is recorded
  if (!start.resumeId) await createRuntime({ loaded, env: environment.env, probe });
  const storePath = loaded.config.store === ':memory:' ? ':memory:' : resolveStorePath(environment.cwd, loaded.config);
  const store: RunStore =
    storePath === noStore ? new NoRunStore() : new SqliteRunStore(storePath, { writeBehind: true });
  let session: RunSession | undefined;
  try {
    session = start.resumeId ? RunSession.resume(store, start.resumeId, storePath) : RunSession.start(store, job.run);
    const current = session;
    if (environment.onEvent) session.subscribe(environment.onEvent);
    const before = session.run.totals;
    const guard = createRunGuard({
      policy,
      emit: (event) => current.emit(event),
      approvals: {
        mode: approvalMode,
        ...(environment.askApproval ? { prompt: environment.askApproval } : {}),
        // a resumed run does not ask again what a person already answered
        ...(start.resumeId ? { remembered: rememberedApprovals(store, current.id) } : {}),
      },
    });
    const runtime = await createRuntime({
      loaded,
      env: environment.env,
      signal: environment.signal,
      journal: (model, price) => {
        const own = current.journal(model, price, job.cache === true);
        return environment.sent ? { journal: own.journal, sent: [own.sent, environment.sent(model)] } : own;
      },
      spentBefore: { usd: before.costUsd ?? 0, tokens: before.inputTokens + before.outputTokens },
      probe,
      ...(environment.sandbox ? { sandbox: environment.sandbox } : {}),
      ...(job.allowUnsafeSandbox ? { allowUnsafeSandbox: true } : {}),
      store,
      ...(policy.enabled ? { guard: guard.options } : {}),
      onProgramRun: ({ entry, language, outcome }) =>
        current.emit({
          type: 'sandbox-result',
          scope: `${language} ${entry}`,
          outcome: outcome.outcome,
          rule: outcome.rule,
          exitCode: outcome.exitCode,
          durationMs: outcome.durationMs,
          ...(outcome.output ? { output: outcome.output.slice(-4000) } : {}),
        }),
      logger: {
        info: (message) => current.emit({ type: 'note', level: 'info', message }),
        warn: (message) => current.emit({ type: 'note', level: 'warning', message }),
      },
      // `--otel` (stored with the job, so a resume keeps it) turns spans on; config `telemetry:` may too
      telemetry: { ...(job.flags.otel !== undefined ? { enabled: job.flags.otel === 'true' } : {}), runId: current.id },
    });
    return { loaded, store, session, runtime, guard, ...watch(runtime, session) };
  } catch (error) {
    if (session && !start.resumeId)
      session.finish('failed', { error: (error as Error).message }, (error as Error).message);
    store.close();
    throw error;
  }
}

/** The answers a person gave in earlier sessions of a run (its stored `guard-approval` events). */
function rememberedApprovals(store: RunStore, runId: string): Array<{ key: string; approved: boolean }> {
  const answers: Array<{ key: string; approved: boolean }> = [];
  let afterSeq = 0;
  for (;;) {
    const page = store.listEvents(runId, { afterSeq, limit: 1000 });
    for (const e of page) {
      const data = e.data as { key?: unknown; approved?: unknown; by?: unknown };
      if (e.type === 'guard-approval' && typeof data.key === 'string' && typeof data.approved === 'boolean')
        if (data.by === 'person' || data.by === 'remembered') answers.push({ key: data.key, approved: data.approved });
    }
    if (page.length < 1000) return answers;
    afterSeq = page[page.length - 1]!.seq;
  }
}

/** Model-call and budget events from the runtime's usage, and a progress ticker. */
function watch(runtime: Runtime, session: RunSession): Pick<JobRun, 'progress' | 'stopTicker' | 'started'> {
  const started = Date.now();
  const limits = runtime.budget.limits;
  let warned = 0;
  let latest: Partial<ProgressEvent> = {};
  runtime.usage.onCall((call) => {
    session.emit({
      type: 'model-call',
      agent: call.agent,
      model: call.model,
      inputTokens: call.inputTokens,
      outputTokens: call.outputTokens,
      costUsd: call.costUsd ?? null,
      latencyMs: Math.round(call.latencyMs),
      replayed: false,
    });
    const spent = runtime.budget.spent();
    const fraction = Math.max(
      limits.maxUsd ? spent.usd / limits.maxUsd : 0,
      limits.maxTokens ? spent.tokens / limits.maxTokens : 0,
    );
    while (warned < budgetWarnings.length && fraction >= budgetWarnings[warned]!) {
      session.emit({
        type: 'budget-warning',
        fraction: budgetWarnings[warned]!,
        spentUsd: spent.usd,
        spentTokens: spent.tokens,
        ...(limits.maxUsd !== undefined ? { limitUsd: limits.maxUsd } : {}),
        ...(limits.maxTokens !== undefined ? { limitTokens: limits.maxTokens } : {}),
      });
      warned++;
    }
  });
  const progress = (extra: Partial<Omit<ProgressEvent, 'type' | 'runId' | 'at'>> = {}) => {
    latest = { ...latest, ...extra };
    const total = runtime.usage.snapshot().total;
    session.emit({
      ...latest,
      type: 'progress',
      elapsedMs: Date.now() - started,
      calls: total.calls,
      replayedCalls: session.journalStats.replayed,
      tokens: total.inputTokens + total.outputTokens,
      costUsd: total.costUsd,
      costKnown: total.costKnown,
    });
  };
  // life signs while waiting on slow models: elapsed time and totals once a second
  const ticker = setInterval(() => progress(), 1000);
  ticker.unref();
  return { progress, stopTicker: () => clearInterval(ticker), started };
}

/** Runs a job's body with its run open, and closes the run (store, progress ticker) however the body ends. */
export async function closingJob<T>(run: JobRun, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } finally {
    run.stopTicker();
    run.store.close();
  }
}

/** The model fields every summary starts with: the run's model, and whether it is the simulated one. */
export function modelFields(runtime: Runtime): { model: string; simulated: boolean } {
  return { model: runtime.defaultModel, simulated: runtime.simulated };
}

/** What a run stopped by its budget spent in the end (all sessions), against its limit. */
function budgetStopMessage(runtime: Runtime): string | undefined {
  const { maxUsd, maxTokens } = runtime.budget.limits;
  const spent = runtime.budget.spent();
  const tripped = runtime.budget.exceeded;
  if (tripped?.limit === 'tokens' && maxTokens !== undefined)
    return `budget reached: spent ${spent.tokens} of ${maxTokens} tokens; the next call would have crossed it`;
  if (maxUsd !== undefined)
    return `budget reached: spent $${spent.usd.toFixed(4)} of $${maxUsd.toFixed(4)}; the next call would have crossed it`;
  return undefined;
}

/** The stored status of a job: how it was stopped, else how it ended. */
export function finalStatus(stopped: unknown, ended: 'completed' | 'failed' | 'partial' | undefined): RunStatus {
  if (stopped)
    return BudgetExceededError.isInstance(stopped)
      ? 'stopped-budget'
      : ModelOutputError.isTooLarge(stopped)
        ? 'failed'
        : 'interrupted';
  return ended ?? 'failed';
}

/** An error that stops a run early and leaves it resumable: the budget, an abort, or an output size cap. */
export type RunStop = BudgetExceededError | AbortedError | ModelOutputError;

/** True for an error {@link catchStop} turns into a stop. */
export function isRunStop(error: unknown): error is RunStop {
  return BudgetExceededError.isInstance(error) || AbortedError.isInstance(error) || ModelOutputError.isTooLarge(error);
}

/**
 * Runs `work`, turning a budget stop, an abort or an output over a size cap into a value (the run is then
 * resumable) and rethrowing the rest.
 */
export async function catchStop<T>(work: () => Promise<T>): Promise<{ value?: T; stopped?: RunStop }> {
  try {
    return { value: await work() };
  } catch (error) {
    if (isRunStop(error)) return { stopped: error };
    throw error;
  }
}

/**
 * The one ending of every job: sets the final status, ends the session
 * (`run-finished`), writes `crosstalk-run.json` into the output directory and
 * says how to resume a run that stopped early.
 * @param ending.summary the job's own fields of `crosstalk-run.json`.
 * @param ending.stored what the run store keeps as the run's result (default: the summary).
 * @param ending.saved what a stopped run kept, for the resume note (e.g. "3 of 5 phases").
 */
export function finishJob<Summary extends object>(
  run: JobRun,
  ending: {
    kind: RunKind;
    status: RunStatus;
    summary: Summary;
    stored?: unknown;
    /** What the run should have produced and did not: a completed run with problems ends `completed-with-problems`. */
    problems?: string[];
    outDir?: string | undefined;
    error?: string | undefined;
    saved?: string;
    /** Say how to resume although the status is not a stop (a run stopped by an output size cap). */
    resumable?: boolean;
  },
): JobResult<Summary> {
  run.stopTicker();
  const { session, runtime } = run;
  const durationMs = Date.now() - run.started;
  // the budget error was raised when a call was refused; calls still in flight then were paid afterwards
  if (ending.status === 'stopped-budget') ending = { ...ending, error: budgetStopMessage(runtime) ?? ending.error };
  const problems = ending.problems ?? [];
  if (ending.status === 'completed' && problems.length > 0) ending = { ...ending, status: 'completed-with-problems' };
  const guard = run.guard.summary();
  const totals = session.finish(
    ending.status,
    ending.stored ?? {
      ...ending.summary,
      ...(ending.error ? { error: ending.error } : {}),
      ...(guard ? { guard } : {}),
      durationMs,
    },
    ending.error,
  );
  const summary = {
    ...ending.summary,
    ...(ending.error ? { error: ending.error } : {}),
    problems,
    ...(guard ? { guard } : {}),
    runId: session.id,
    status: ending.status,
    durationMs,
    totals,
    usage: runtime.usage.snapshot(),
  };
  if (ending.outDir) {
    makeDirectory(ending.outDir);
    writeFileSync(join(ending.outDir, 'crosstalk-run.json'), `${JSON.stringify(summary, null, 2)}\n`);
  }
  const exitCode =
    ending.status === 'completed'
      ? ExitCode.ok
      : ending.status === 'completed-with-problems'
        ? ExitCode.problems
        : ending.status === 'stopped-budget'
          ? ExitCode.budget
          : ending.status === 'interrupted'
            ? ExitCode.interrupted
            : ExitCode.failed;
  // a run stopped by an output size cap is failed (exit 1) but resumable once the cap is raised
  const resumable = ending.status === 'stopped-budget' || ending.status === 'interrupted' || ending.resumable === true;
  return {
    runId: session.id,
    kind: ending.kind,
    status: ending.status,
    exitCode,
    ...(ending.outDir ? { outDir: ending.outDir } : {}),
    summary,
    ...(resumable
      ? {
          stopped: {
            reason: `${ending.error ?? ending.status}${ending.saved ? `; ${ending.saved}` : ''}`,
            ...(run.store.discards
              ? {}
              : {
                  resume: `crosstalk runs resume ${session.id}${ending.status === 'stopped-budget' ? ' --budget-usd <larger>' : ''}`,
                }),
          },
        }
      : {}),
    replayedCalls: session.journalStats.replayed,
  };
}

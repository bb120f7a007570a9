import { z } from 'zod';
import { checkRoleNames } from '../agents/index.js';
import type { ChainEvent, ChainResult, ChainState, PhaseRecord, TestOutcome } from '../software/chain.js';
import { executeChain } from '../software/chain.js';
import { writeCodebase } from '../software/codebase/index.js';
import type { EventInput } from '../events/index.js';
import { inspectChainInputs } from '../guard/index.js';
import type { CodeMetrics } from '../metrics/index.js';
import type { RunSession } from './run-session.js';
import { measureResult } from './run-metrics.js';
import { flagsSchema, languageSchema, resolvedPhaseSchema, roleBookSchema } from './flags.js';
import { reviewBeforeExecution, safetyCheckSchema, selfCorrectionHook, selfCorrectSchema } from './self-correction.js';
import { catchStop, closingJob, finalStatus, finishJob, modelFields, openJob } from './job-run.js';
import type { JobEnvironment, JobResult, JobRun, JobStart } from './job-run.js';

/** A software (ChatDev chain) job's stored configuration: everything needed to run or resume it. */
export const devJobSchema = z.object({
  kind: z.literal('dev'),
  /** What to build, in one line. */
  task: z.string().min(1),
  /** Project name (used for the default output directory). */
  name: z.string().min(1),
  /** Where the project is written; none when absent. */
  outDir: z.string().optional(),
  /** Fixed language (skips the language-choice phase). */
  language: languageSchema.optional(),
  phases: z.array(resolvedPhaseSchema).min(1),
  roles: roleBookSchema,
  /** Starting codebase (incremental mode): file name → content. */
  initial: z.record(z.string(), z.string()).optional(),
  /** Run generated code on the host when there is no sandbox (dangerous). */
  unsafeNoSandbox: z.boolean().default(false),
  /** Strip hidden content and agent-aimed instructions from the task, roles and starting files (`--sanitize-inputs`). */
  sanitizeInputs: z.boolean().optional(),
  /** Answer calls from other runs' identical requests in the store (evaluations rerun tasks this way). */
  cache: z.boolean().optional(),
  /** Self-correction of the code after coding and review (`--self-correct`); off when absent. */
  selfCorrect: selfCorrectSchema.optional(),
  /** A critic's safety review of the code before the sandbox runs it; a veto means it is not run (`--safety-check`). */
  safetyCheck: safetyCheckSchema.optional(),
  flags: flagsSchema,
});

/** A software job's configuration. */
export type DevJobConfig = z.infer<typeof devJobSchema>;

/** What a chain run reports (and writes to `crosstalk-run.json`). */
export interface DevSummary {
  task: string;
  name: string;
  model: string;
  simulated: boolean;
  modality: string | null;
  language: string | null;
  config: { phases: DevJobConfig['phases']; seed: number; concurrency: number; budget: unknown };
  phases: PhaseRecord[];
  test: TestOutcome | null;
  /** Files written (paths), when an output directory was given; else the file names produced. */
  files: string[];
  refusedFiles: Array<{ path: string; reason: string; phase: string }>;
  /** The final code's metrics (see `src/metrics`); null when there was no code or the run stopped early. */
  metrics: CodeMetrics | null;
  error?: string;
}

/** A chain event as a run event: phases become steps, dialogue turns and review rounds are reported. */
export function chainEventToRun(
  event: ChainEvent,
  roles: (phase: string) => { role: string; model: string },
  team?: string,
): EventInput | undefined {
  const step = (phase: string) => ({ kind: 'phase' as const, id: phase, ...roles(phase), ...(team ? { team } : {}) });
  if (event.type === 'phase-started') return { type: 'step-started', step: step(event.phase), attempt: 1 };
  if (event.type === 'turn')
    return {
      type: 'dialogue-turn',
      scope: team ? `${team}/${event.phase}` : event.phase,
      agent: event.agent,
      turn: event.turn,
      final: event.final,
    };
  if (event.type === 'round') return undefined; // its dialogue turns are reported one by one
  if (event.status === 'done')
    return { type: 'step-finished', step: step(event.phase), ...(event.note ? { note: event.note } : {}) };
  if (event.status === 'skipped')
    return { type: 'step-skipped', step: step(event.phase), because: event.note ?? 'nothing to do' };
  return { type: 'step-failed', step: step(event.phase), error: event.note ?? 'failed', attempt: 1, willRetry: false };
}

/** Role and model of a phase's working agent, for step events. */
export function phaseAgent(phases: DevJobConfig['phases'], modelString: (role: string) => string) {
  return (phase: string) => {
    const role = phases.find((p) => p.name === phase)?.assistant ?? 'programmer';
    return { role, model: modelString(role) };
  };
}

/** Every phase's instructor and assistant must be roles of the chain's role book (a typo would fall back in silence). */
export function checkPhaseRoles(config: Pick<DevJobConfig, 'phases' | 'roles'>): void {
  checkRoleNames(
    config.phases.flatMap((p) => [
      { role: p.instructor, where: `phase ${p.name}: instructor` },
      { role: p.assistant, where: `phase ${p.name}: assistant` },
    ]),
    config.roles,
  );
}

/** What a finished chain should have produced and did not: files at all, and the manual when the chain has one. */
export function chainProblems(phases: DevJobConfig['phases'], files: readonly string[]): string[] {
  if (files.length === 0) return ['the chain produced no files'];
  const names = files.map((f) => f.split(/[\\/]/).pop()!.toLowerCase());
  return phases.some((p) => p.name === 'manual') && !names.includes('readme.md')
    ? ['the manual phase wrote no README.md']
    : [];
}

/**
 * The guard's check of a software run's inputs (issue 17 item 4): the task, every role and every starting
 * file are checked for agent-aimed instructions and hidden content; findings become events and the summary's
 * guard. With `sanitizeInputs` the inputs the chain sees are the cleaned ones; the stored configuration keeps
 * what the user gave (cleaning again on resume gives the same text).
 */
export function guardChainInputs<C extends Pick<DevJobConfig, 'task' | 'roles' | 'initial' | 'sanitizeInputs'>>(
  run: JobRun,
  config: C,
): Pick<C, 'task' | 'roles' | 'initial'> {
  if (!run.guard.options.policy.enabled) return config;
  const sanitize = config.sanitizeInputs === true;
  const { findings, inputs } = inspectChainInputs(
    { task: config.task, roles: config.roles, ...(config.initial ? { initial: config.initial } : {}) },
    sanitize,
  );
  if (findings.length === 0) return config;
  // nothing is refused on inputs: they are reported, and stripped when asked (the decision says which)
  const decided = findings.map((f) =>
    sanitize
      ? { ...f, decision: 'block' as const, because: 'stripped (--sanitize-inputs)' }
      : { ...f, decision: 'allow' as const, because: 'reported; --sanitize-inputs strips it' },
  );
  run.guard.record({ scope: 'inputs', decision: 'allow', findings: decided, refused: false });
  return {
    task: inputs.task,
    roles: inputs.roles as C['roles'],
    ...(inputs.initial ? { initial: inputs.initial } : {}),
  };
}

/** Opens a software job (the chain, or teams running it) once its phases' roles are checked. */
export function openChainJob(
  environment: JobEnvironment,
  config: Pick<DevJobConfig, 'flags' | 'task' | 'unsafeNoSandbox' | 'roles' | 'phases' | 'cache'> & {
    kind: 'dev' | 'cross-team';
  },
  start: JobStart,
) {
  checkPhaseRoles(config);
  const run = { kind: config.kind, task: config.task, config };
  return openJob(
    environment,
    {
      flags: config.flags,
      run,
      allowUnsafeSandbox: config.unsafeNoSandbox,
      roles: config.roles,
      ...(config.cache ? { cache: true } : {}),
    },
    start,
  );
}

/** The chain's state after each phase finished by earlier sessions, in order. */
function finishedPhases(session: RunSession, phases: DevJobConfig['phases']): ChainState[] {
  const done = session.doneOutputs();
  return phases.filter((p) => done.has(p.name)).map((p) => JSON.parse(done.get(p.name)!) as ChainState);
}

/**
 * Runs (or resumes) a ChatDev chain through the run store: every model call
 * is journaled and the chain's state is saved after each phase, so a resumed
 * run continues after the last finished phase and pays for no answered call
 * twice.
 */
export async function runDevJob(
  environment: JobEnvironment,
  config: DevJobConfig,
  start: JobStart = {},
): Promise<JobResult<DevSummary>> {
  const run = await openChainJob(environment, config, start);
  const { session, runtime } = run;
  return closingJob(run, async () => {
    const earlier = finishedPhases(session, config.phases);
    const last = earlier.at(-1);
    const remaining = last
      ? config.phases.slice(config.phases.findIndex((p) => p.name === last.phase) + 1)
      : config.phases;
    session.begin({
      model: runtime.defaultModel,
      simulated: runtime.simulated,
      plannedSteps: config.phases.length,
      doneSteps: earlier.length,
    });
    if (last) runtime.logger.info(`${earlier.length} phase(s) already done: ${earlier.map((e) => e.phase).join(', ')}`);
    const inputs = guardChainInputs(run, config);
    const reviewContext = { task: inputs.task, signal: environment.signal };
    const sandbox =
      config.safetyCheck && runtime.sandbox.run
        ? {
            reason: runtime.sandbox.reason,
            run: reviewBeforeExecution(run, runtime.sandbox.run, config.safetyCheck, reviewContext),
          }
        : runtime.sandbox;
    if (!sandbox.run) runtime.logger.warn(`${sandbox.reason}; the testing phase will be skipped`);
    const agentOf = phaseAgent(config.phases, (role) => runtime.modelString(role));
    const finishedNow: ChainState[] = [];
    const { value: chain, stopped } = await catchStop(async (): Promise<ChainResult> => {
      const result = await executeChain({
        task: inputs.task,
        phases: remaining,
        roles: inputs.roles,
        model: (role) => runtime.model(role),
        ...(last
          ? { language: last.language, modality: last.modality, initial: last.files, test: last.test }
          : {
              ...(config.language ? { language: config.language } : {}),
              ...(inputs.initial ? { initial: inputs.initial } : {}),
            }),
        ...(sandbox.run ? { runProgram: sandbox.run } : { noRunnerReason: sandbox.reason }),
        seed: runtime.seed,
        signal: environment.signal,
        limits: runtime.outputLimits,
        ...(config.selfCorrect
          ? {
              selfCorrect: selfCorrectionHook(run, config.selfCorrect, {
                task: inputs.task,
                signal: environment.signal,
              }),
            }
          : {}),
        onPhaseDone: (state) => {
          finishedNow.push(state);
          session.stepDone(state.phase, JSON.stringify(state), {
            status: state.record.status,
            note: state.record.note ?? null,
          });
        },
        onEvent: (event) => {
          const converted = chainEventToRun(event, agentOf);
          if (converted) session.emit(converted);
          if (event.type === 'phase-started')
            run.progress({
              steps: {
                done: earlier.length + finishedNow.length,
                failed: 0,
                skipped: 0,
                running: 1,
                total: config.phases.length,
              },
            });
        },
      });
      return last ? { ...result, phases: [...earlier.map((e) => e.record), ...result.phases] } : result;
    });
    // a stopped run still writes the files of its last finished phase
    const files = chain?.files ?? [...earlier, ...finishedNow].at(-1)?.files;
    // the guard reports what in the files a user's tools would run (install hooks, auto-run tasks, …)
    if (files) await run.guard.checkOutput(files);
    const written = config.outDir && files ? writeCodebase(config.outDir, files) : undefined;
    const status = finalStatus(stopped, chain?.status);
    const error = stopped?.message ?? chain?.error;
    const tested = [...earlier, ...finishedNow].find((state) => state.phase === 'testing');
    const language = chain?.language ?? config.language;
    const metrics =
      chain && !stopped && files
        ? await measureResult(
            runtime,
            session,
            {
              task: config.task,
              files,
              ...(language ? { language } : {}),
              ...(tested ? { test: tested.test, testedFiles: tested.files } : {}),
            },
            sandbox,
          )
        : null;
    const summary: DevSummary = {
      task: config.task,
      name: config.name,
      ...modelFields(runtime),
      modality: chain?.modality ?? null,
      language: chain?.language ?? config.language ?? null,
      config: {
        phases: config.phases,
        seed: runtime.seed,
        concurrency: runtime.concurrency,
        budget: run.loaded.config.budget ?? null,
      },
      phases: chain?.phases ?? [...earlier, ...finishedNow].map((e) => e.record),
      test: chain?.test ?? null,
      files: written?.written ?? Object.keys(files ?? {}),
      refusedFiles: [...(chain?.refused ?? []), ...(written?.refused ?? []).map((r) => ({ ...r, phase: 'write' }))],
      metrics,
    };
    return finishJob(run, {
      kind: 'dev',
      status,
      summary,
      problems: chain ? chainProblems(config.phases, summary.files) : [],
      outDir: config.outDir,
      error,
      resumable: stopped !== undefined,
      saved: 'the phases finished so far are saved',
    });
  });
}

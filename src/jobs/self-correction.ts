import { z } from 'zod';
import type { RoundReport } from '../agents/index.js';
import { codeSelfCorrection } from '../software/self-check.js';
import type { ChainOptions } from '../software/chain.js';
import type { JobRun } from './job-run.js';

/** Self-correction settings of a job (`--self-correct <rounds>`, `--self-correct-threshold`, `--critic-model`). */
export const selfCorrectSchema = z.object({
  /** Attempts at most per hook, the phase's own included (2 = one refinement). */
  rounds: z.number().int().min(1).max(10),
  /** Score (0–10) at which an attempt is good enough. */
  threshold: z.number().min(0).max(10).default(8),
  /** Where the loop runs. */
  hooks: z.array(z.enum(['after-coding', 'after-review'])).default(['after-coding']),
  /** The critic's model string; default: the `critic` role's model (`--role-models critic=…`), else the run's. */
  criticModel: z.string().min(1).optional(),
});

/** A job's self-correction settings. */
export type SelfCorrectConfig = z.infer<typeof selfCorrectSchema>;

/** A round of self-correction as a run event. */
export function emitRound(run: JobRun, hook: string, scope: string, report: RoundReport): void {
  run.session.emit({
    type: 'self-correction',
    hook,
    scope,
    round: report.round,
    score: report.score,
    threshold: report.threshold,
    rejected: report.rejected,
    checks: report.checks.map((c) => ({ name: c.name, passed: c.passed })),
    problems: report.problems.slice(0, 5).map((p) => p.slice(0, 300)),
    rationale: report.rationale.slice(0, 500),
    ...(report.stop ? { stop: report.stop } : {}),
  });
}

/** The critic of a job: `criticModel`, else the `critic` role's model. */
export function criticOf(run: JobRun, criticModel: string | undefined) {
  return criticModel ? run.runtime.modelByString(criticModel) : run.runtime.model('critic');
}

/** The chain's self-correction hook for a job: the programmer refines, the critic scores, every round an event. */
export function selfCorrectionHook(
  run: JobRun,
  config: SelfCorrectConfig,
  context: { task: string; signal: AbortSignal },
): NonNullable<ChainOptions['selfCorrect']> {
  const { runtime } = run;
  return codeSelfCorrection({
    task: context.task,
    author: runtime.model('programmer'),
    critic: criticOf(run, config.criticModel),
    ...(runtime.sandbox.run ? { runProgram: runtime.sandbox.run } : {}),
    rounds: config.rounds,
    threshold: config.threshold,
    hooks: config.hooks,
    seed: runtime.seed,
    signal: context.signal,
    onRound: (hook, scope, report) => emitRound(run, hook, scope, report),
  });
}

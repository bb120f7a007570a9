import { createHash } from 'node:crypto';
import { z } from 'zod';
import { modelCritic, safetyRubric, selfCorrect, type RoundReport } from '../agents/index.js';
import { codeSelfCorrection } from '../software/self-check.js';
import type { ChainOptions, ProgramRunner } from '../software/chain.js';
import { formatCodebase } from '../software/codebase/index.js';
import { pythonCheckFile } from '../software/self-check.js';
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
  /** The runner the checks use (default the runtime's sandbox). */
  runProgram: ProgramRunner | undefined = run.runtime.sandbox.run,
): NonNullable<ChainOptions['selfCorrect']> {
  const { runtime } = run;
  return codeSelfCorrection({
    task: context.task,
    author: runtime.model('programmer'),
    critic: criticOf(run, config.criticModel),
    ...(runProgram ? { runProgram } : {}),
    rounds: config.rounds,
    threshold: config.threshold,
    hooks: config.hooks,
    seed: runtime.seed,
    signal: context.signal,
    onRound: (hook, scope, report) => emitRound(run, hook, scope, report),
  });
}

/** The final-text safety check of a job (`--safety-check`). */
export const safetyCheckSchema = z.object({
  /** Score (0–10) below which the text is withheld; a veto withholds it whatever the score. */
  threshold: z.number().min(0).max(10).default(5),
  criticModel: z.string().min(1).optional(),
});

/** A job's safety-check settings. */
export type SafetyCheckConfig = z.infer<typeof safetyCheckSchema>;

/**
 * The safety review of a final text (issue 17 item 5, `--safety-check`): the critic scores it against
 * {@link safetyRubric} (harmful content, jailbreaks, leaked secrets, dangerous commands); a veto or a score below
 * the threshold withholds it. One round, a `self-correction` event with hook `final-text`. Nothing is rewritten:
 * a withheld text is not shown, and the reason is.
 */
export async function reviewFinalText(
  run: JobRun,
  text: string,
  config: SafetyCheckConfig,
  context: { task: string; scope: string; signal: AbortSignal },
  hook: 'final-text' | 'before-execution' = 'final-text',
): Promise<{ passed: boolean; reason?: string }> {
  const critic = modelCritic({
    model: criticOf(run, config.criticModel),
    rubric: safetyRubric,
    task: context.task,
    agent: 'safety-critic',
    scope: `${hook}/safety-check`,
    seed: run.runtime.seed,
    signal: context.signal,
  });
  const result = await selfCorrect<string>({
    initial: text,
    critique: (t) => critic(t),
    refine: async () => text, // one round: never called
    threshold: config.threshold,
    maxRounds: 1,
    signal: context.signal,
    onRound: (report) => emitRound(run, hook, context.scope, report),
  });
  const attempt = result.attempts[0]!;
  if (result.best && result.best.score >= config.threshold) return { passed: true };
  const problems = attempt.critique?.problems.slice(0, 2).join('; ');
  return {
    passed: false,
    reason: `withheld by --safety-check: ${attempt.critique?.veto ? 'vetoed' : `score ${attempt.score} below ${config.threshold}`}${problems ? ` (${problems})` : ''}`,
  };
}

/**
 * The before-execution safety review (issue 17 item 5, `dev --safety-check`): before the sandbox runs a
 * program, the critic reviews the codebase against {@link safetyRubric}; a veto or a score below the threshold
 * means the program is not run (`not-run`, the rule says why). Each codebase is reviewed once (by content); the
 * syntax check, which runs none of the program, is not reviewed. Every review is a `self-correction` event
 * with hook `before-execution`.
 */
export function reviewBeforeExecution(
  run: JobRun,
  runner: ProgramRunner,
  config: SafetyCheckConfig,
  context: { task: string; signal: AbortSignal },
): ProgramRunner {
  const reviews = new Map<string, Promise<{ passed: boolean; reason?: string }>>();
  return async (files, entry, language, signal) => {
    if (entry !== pythonCheckFile) {
      const text = formatCodebase(files);
      const key = createHash('sha256').update(text).digest('hex');
      let review = reviews.get(key);
      if (!review) {
        review = reviewFinalText(run, text, config, { ...context, scope: `${language} ${entry}` }, 'before-execution');
        reviews.set(key, review);
      }
      const verdict = await review;
      if (!verdict.passed)
        return {
          outcome: 'not-run',
          rule: (verdict.reason ?? 'vetoed').replace(/^withheld by --safety-check/, 'vetoed by the safety review'),
          exitCode: null,
          output: '',
          durationMs: 0,
        };
    }
    return runner(files, entry, language, signal);
  };
}

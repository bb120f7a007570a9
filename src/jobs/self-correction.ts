import type { LanguageModelV3 } from '@ai-sdk/provider';
import { z } from 'zod';
import {
  answerRubric,
  correctText,
  reviewSafety,
  type CheckResult,
  type RoundReport,
  type SafetyVerdict,
} from '../agents/index.js';
import type { NodeExecutor } from '../network/index.js';
import { guessLanguage } from '../software/code-answer.js';
import { parseCodebase } from '../software/codebase/index.js';
import type { ChainOptions, ProgramRunner } from '../software/chain.js';
import { codebaseChecks, codeRubric, codeSelfCorrection, safetyReviewedRunner } from '../software/self-check.js';
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
export function emitRound(run: JobRun, hook: string, scope: string, report: RoundReport, team?: string): void {
  run.session.emit({
    type: 'self-correction',
    hook,
    scope,
    ...(team ? { team } : {}),
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

/**
 * Self-correction of a text job's result (`story --self-correct`, `net --self-correct`): critic only, since no
 * verifiable check exists for prose; no hooks to choose.
 */
export const textSelfCorrectSchema = selfCorrectSchema.omit({ hooks: true });

/** A text job's self-correction settings. */
export type TextSelfCorrectConfig = z.infer<typeof textSelfCorrectSchema>;

/**
 * Self-correction of a final text (issue 17 item 5): the critic scores it by `rubric`, the `author` role rewrites,
 * every round a `self-correction` event (`hook`, `scope`). Returns the best-scored version; the text itself when
 * every attempt was rejected.
 */
export async function correctFinalText(
  run: JobRun,
  text: string,
  config: TextSelfCorrectConfig,
  context: {
    task: string;
    rubric: string;
    author: string;
    hook: string;
    scope: string;
    signal: AbortSignal;
    instruction?: string;
  },
): Promise<string> {
  const result = await correctText({
    text,
    task: context.task,
    rubric: context.rubric,
    author: run.runtime.model(context.author),
    critic: criticOf(run, config.criticModel),
    authorAgent: context.author,
    rounds: config.rounds,
    threshold: config.threshold,
    scope: context.scope,
    seed: run.runtime.seed,
    signal: context.signal,
    ...(context.instruction ? { instruction: context.instruction } : {}),
    onRound: (report) => emitRound(run, context.hook, context.scope, report),
  });
  return result.best?.candidate ?? text;
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
  context: { task: string; scope: string; signal: AbortSignal; team?: string },
  hook: 'final-text' | 'before-execution' = 'final-text',
): Promise<SafetyVerdict> {
  return reviewSafety({
    model: criticOf(run, config.criticModel),
    text,
    threshold: config.threshold,
    task: context.task,
    agent: 'safety-critic',
    scope: `${hook}/safety-check`,
    seed: run.runtime.seed,
    signal: context.signal,
    onRound: (report) => emitRound(run, hook, context.scope, report, context.team),
  });
}

/**
 * The before-execution safety review (issue 17 item 5, `dev --safety-check`): before the sandbox runs a
 * program, the critic reviews the codebase against {@link safetyRubric}; a veto or a score below the threshold
 * means the program is not run (see {@link safetyReviewedRunner}). Every review is a `self-correction` event
 * with hook `before-execution`.
 */
export function reviewBeforeExecution(
  run: JobRun,
  runner: ProgramRunner,
  config: SafetyCheckConfig,
  context: { task: string; signal: AbortSignal },
): ProgramRunner {
  return safetyReviewedRunner(runner, (text, scope) =>
    reviewFinalText(run, text, config, { ...context, scope }, 'before-execution'),
  );
}

/**
 * Self-correction of every network node's artifact (`net --self-correct`, issue 17 item 5): after a node's work
 * (in this process or on a queue worker) its artifact goes through the loop before its successors see it. Code
 * tasks check first — the artifact's files parsed, `py_compile` or acorn, a sandbox run of the entry file (a
 * program the guard refuses fails) — then the critic scores by the code rubric; text and choice tasks have no
 * verifiable check, so the critic alone scores by the answer rubric. The node's actor rewrites; the best-scored
 * version not rejected becomes the node's artifact (and is what a resume reads). Rounds are `self-correction`
 * events with hook `after-node` and the node's id as scope.
 */
export function correctingNodes(
  run: JobRun,
  config: TextSelfCorrectConfig,
  context: { taskType: 'code' | 'text' | 'choice'; runProgram?: ProgramRunner },
  execute: NodeExecutor,
): NodeExecutor {
  const critic = criticOf(run, config.criticModel);
  const checkCode = async (text: string, signal?: AbortSignal): Promise<CheckResult[]> => {
    const { files } = parseCodebase(text);
    if (Object.keys(files).length === 0)
      return [{ name: 'files', passed: false, detail: 'no file in the artifact (a name line, then a fenced block)' }];
    return codebaseChecks({
      language: guessLanguage(files),
      ...(context.runProgram ? { runProgram: context.runProgram } : {}),
    })(files, signal);
  };
  return async (work, node) => {
    const done = await execute(work, node);
    let calls = 0;
    // the loop's calls are the node's: counted into its calls like its edges' and merges'
    const counted = (model: LanguageModelV3): LanguageModelV3 => ({
      specificationVersion: 'v3',
      provider: model.provider,
      modelId: model.modelId,
      supportedUrls: model.supportedUrls,
      doGenerate: (options) => {
        calls++;
        return model.doGenerate(options);
      },
      doStream: (options) => {
        calls++;
        return model.doStream(options);
      },
    });
    const code = context.taskType === 'code';
    const result = await correctText({
      text: done.text,
      task: work.task,
      rubric: code ? codeRubric : answerRubric,
      author: counted(work.agents.actor.model),
      critic: counted(critic),
      authorAgent: work.agents.actor.name,
      system: `You are the ${work.agents.actor.role.title}. ${work.agents.actor.role.persona}`,
      ...(code
        ? {
            verify: checkCode,
            instruction:
              'Fix every problem listed. Reply with the whole improved artifact: every file as its file name on a ' +
              'line of its own followed by a fenced code block with the whole file.',
          }
        : {}),
      rounds: config.rounds,
      threshold: config.threshold,
      scope: work.nodeId,
      seed: run.runtime.seed,
      ...(work.signal ? { signal: work.signal } : {}),
      onRound: (report) => emitRound(run, 'after-node', work.nodeId, report),
    });
    return { ...done, text: result.best?.candidate ?? done.text, calls: done.calls + calls };
  };
}

import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { makeDirectory, mapLimit, removeTree } from '../common/index.js';
import { loadConfig } from '../config/index.js';
import { AbortedError, BudgetExceededError, ConfigError } from '../errors/index.js';
import type { RunOptions } from '../jobs/api.js';
import { extractChoice } from '../network/run-network.js';
import { openQueueExecutor, type QueueExecutor } from '../queue/queue-executor.js';
import type { StepLimits } from '../queue/redis-limiter.js';
import type { StepJournalEntry } from '../queue/step-job.js';
import { evalTaskOutputSchema, type EvalTaskStep } from '../queue/steps/eval-step.js';
import { defaultConcurrency } from '../runtime/runtime.js';
import type { Sandbox } from '../sandbox/index.js';
import { writeCodebase } from '../software/codebase/index.js';
import { proportion, type Proportion } from './confidence.js';
import { conceptCoverage } from './coverage.js';
import { judgeText } from './text-judge.js';
import {
  datasetPath,
  loadChoiceQuestions,
  loadConceptSets,
  loadHumanEval,
  loadSrdd,
  type ChoiceQuestion,
  type HumanEvalProblem,
} from './datasets.js';
import { checkHumanEval, codeFromAnswer, humanEvalScores } from './humaneval.js';
import {
  finishEvalRun,
  openEvalRun,
  recordedRows,
  recordedSpend,
  storedRunOptions,
  storeFileOf,
  type EvalRecorder,
} from './eval-session.js';
import {
  answerWithMethod,
  evalMethodSchema,
  methodLabel,
  taskOutDir,
  type EvalMethod,
  type MethodAnswer,
} from './methods.js';

/** The datasets an evaluation can run (`mc` reads a user's `{question, choices, answer}` JSONL file). */
export const evalDatasetSchema = z.enum(['humaneval', 'srdd', 'commongen', 'mc']);
/** A dataset name. */
export type EvalDataset = z.infer<typeof evalDatasetSchema>;

/** What identifies an evaluation: rerunning into the same folder continues it only when these match. */
export const evalSpecSchema = z.object({
  dataset: evalDatasetSchema,
  /** The file the tasks were read from. */
  datasetFile: z.string(),
  method: evalMethodSchema,
  model: z.string(),
  seed: z.number().int(),
  /** Tasks taken from the start of the dataset (all when absent). */
  limit: z.number().int().positive().optional(),
  /** SRDD categories taken (all when absent). */
  categories: z.array(z.string()).optional(),
  /** Answers per task (HumanEval's n for pass@k). */
  samples: z.number().int().min(1).max(200),
  /** The model that rated texts (CommonGen), when one did. */
  judgeModel: z.string().optional(),
});
/** An evaluation's identity. */
export type EvalSpec = z.infer<typeof evalSpecSchema>;

/** One answered task (one sample of it), as a line of `results.jsonl`. */
export interface EvalRow {
  task: number;
  id: string;
  sample: number;
  runId: string;
  status: string;
  calls: number;
  replayedCalls: number;
  /** Tokens of the paid calls. */
  tokens: number;
  /** Tokens of the replayed calls (absent in rows written before it was counted). */
  replayedTokens?: number;
  costUsd: number | null;
  durationMs: number;
  /** Dataset-specific scores: `passed` (HumanEval), `correct` and `choice` (mc), `coverage` (CommonGen). */
  score: Record<string, number | boolean | string | null>;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  dataset: EvalDataset;
  /** A dataset file or a data folder; default `CROSSTALK_DATA_DIR`. Required for `mc`. */
  datasetPath?: string;
  method: z.input<typeof evalMethodSchema>;
  /** Folder of the evaluation (`eval.json`, `results.jsonl`, `results.json`, `report.md`). Rerunning into it resumes. */
  outDir: string;
  /** Model, store, seed, environment, signal… for every run (the store should be a file to resume for free). */
  run: RunOptions;
  limit?: number;
  /** SRDD: only these categories. */
  categories?: string[];
  samples?: number;
  /** Tasks answered at once. Default 2. */
  concurrency?: number;
  /** Stop the whole evaluation before it spends more than this. */
  budgetUsd?: number;
  /** CommonGen: a model that rates grammar, fluency, relevance and logic (1–10); reports name it. */
  judgeModel?: string;
  /** Runs HumanEval programs; required for `humaneval`. */
  sandbox?: Sandbox;
  /** The command line, written at the top of the report. */
  commandLine?: string;
  /** Called with each row as it is written. */
  onRow?: (row: EvalRow, done: number, total: number) => void;
  /** Continue this stored `eval` run (what `runs resume` passes); refused when it cannot be resumed. */
  resumeId?: string;
  /** Record into this run instead of an own one (a sweep's cells record into the sweep's run); null: nowhere. */
  recorder?: EvalRecorder | null;
  /**
   * `redis://…` or `rediss://…`: each task (each sample) is answered by a `crosstalk worker` through BullMQ;
   * this process scores the answers and records them as it does in process. Not stored (it may hold a password).
   */
  queue?: string;
  /** How long Redis may stay unreachable before the evaluation stops (resumable), ms. Default 5 minutes. */
  queueTimeoutMs?: number;
}

/** The aggregated result of an evaluation. */
export interface EvalSummary {
  spec: EvalSpec;
  status: 'completed' | 'interrupted' | 'budget';
  tasks: number;
  answered: number;
  /** Rows carried over from an earlier, interrupted session. */
  resumed: number;
  simulated: boolean;
  /** What the figures mean: `system check, not quality` on the simulated model. */
  label: string;
  scores: Record<string, number | null | Proportion>;
  /** What a reader must know about the scores (e.g. consistency came from the TF-IDF fallback). */
  notes: string[];
  /** Of the kept answers (rows); a budget-stopped task's calls are in `budget.spentUsd` only. */
  totals: {
    calls: number;
    replayedCalls: number;
    tokens: number;
    replayedTokens: number;
    costUsd: number | null;
    durationMs: number;
  };
  /** With `budgetUsd`: the limit, and everything paid over all sessions (budget-stopped tasks included). */
  budget?: { limitUsd: number; spentUsd: number };
  /** The dataset file's content hash (`sha256:` and 12 hex digits): the version the figures were made on. */
  datasetVersion: string;
  /** Tasks in the dataset file (after `categories`, before `limit`). */
  datasetSize: number;
  /** The `eval` run in the store (absent when runs are not kept: no store file, or a sweep's cell). */
  runId?: string;
}

interface Task {
  id: string;
  prompt: string;
  taskType: 'text' | 'code' | 'choice' | 'software';
  category?: string;
  problem?: HumanEvalProblem;
  question?: ChoiceQuestion;
  concepts?: string[];
}

function loadTasks(dataset: EvalDataset, file: string, categories?: string[]): Task[] {
  if (dataset === 'srdd')
    return loadSrdd(file, categories).map((task) => ({
      id: task.name,
      taskType: 'software',
      category: task.category,
      prompt: task.description,
    }));
  if (dataset === 'humaneval')
    return loadHumanEval(file).map((problem) => ({
      id: problem.task_id,
      taskType: 'code',
      problem,
      prompt:
        'Write the Python function below so that it does what its docstring says. Reply with the complete ' +
        `function (and any imports it needs) in one fenced python block.\n\n${problem.prompt}`,
    }));
  if (dataset === 'mc')
    return loadChoiceQuestions(file).map((question, i) => ({
      id: `q${i + 1}`,
      taskType: 'choice',
      question,
      prompt: `${question.question}\n\n${question.choices
        .map((c, j) => `(${String.fromCharCode(65 + j)}) ${c}`)
        .join('\n')}\n\nEnd with "The answer is (X)".`,
    }));
  return loadConceptSets(file).map((concepts, i) => ({
    id: `set${i + 1}`,
    taskType: 'text',
    concepts,
    prompt: `Write a short, fluent and logical story that uses every one of these words: ${concepts.join(', ')}.`,
  }));
}

/** The Python block of an answer that defines the entry point, else the first code block. */
function humanEvalCompletion(answer: MethodAnswer, problem: HumanEvalProblem): string {
  const defines = new RegExp(`def\\s+${problem.entry_point}\\s*\\(`);
  const file = Object.values(answer.files).find((content) => defines.test(content));
  if (file) return file;
  const blocks = [...answer.text.matchAll(/```[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.find((b) => defines.test(b)) ?? codeFromAnswer(answer.text);
}

async function score(task: Task, answer: MethodAnswer, options: EvaluateOptions): Promise<EvalRow['score']> {
  if (task.problem) {
    if (!options.sandbox)
      throw new ConfigError({ key: 'sandbox', message: 'humaneval runs the answers: it needs a sandbox' });
    const [check] = await checkHumanEval(
      [task.problem],
      new Map([[task.id, [humanEvalCompletion(answer, task.problem)]]]),
      {
        sandbox: options.sandbox,
        ...(options.run.signal ? { signal: options.run.signal } : {}),
      },
    );
    return { passed: check?.passed ?? false, outcome: check?.outcome ?? null };
  }
  if (task.taskType === 'software') {
    const m = answer.metrics;
    return {
      category: task.category ?? null,
      completenessChatdev: m?.completeness.chatdev ?? 0,
      completenessCrosstalk: m?.completeness.crosstalk ?? 0,
      executabilityChatdev: m ? m.executability.chatdev : 0,
      executabilityCrosstalk: m ? m.executability.crosstalk : 0,
      consistency: m?.consistency.value ?? 0,
      consistencyMethod: m?.consistency.method ?? null,
      qualityProduct: m?.quality.product ?? 0,
      qualityMean: m?.quality.mean ?? 0,
    };
  }
  if (task.question) {
    const choice = extractChoice(answer.text) ?? null;
    return { choice, correct: choice === task.question.answer };
  }
  const coverage = conceptCoverage(answer.text, task.concepts ?? []).coverage;
  if (!options.judgeModel) return { coverage };
  const judged = await judgeText(answer.text, task.concepts ?? [], options.judgeModel, options.run);
  const j = judged.judgement;
  return {
    coverage,
    grammar: j?.grammar ?? null,
    fluency: j?.fluency ?? null,
    relevance: j?.relevance ?? null,
    logic: j?.logic ?? null,
    judgeProblem: judged.problem ?? null,
    judgeCalls: judged.calls,
  };
}

const srddKeys = [
  'completenessChatdev',
  'completenessCrosstalk',
  'executabilityChatdev',
  'executabilityCrosstalk',
  'consistency',
  'qualityProduct',
  'qualityMean',
] as const;

/** SRDD means overall and per category (`Action_Game/qualityMean`); executability's mean skips unrun programs. */
function srddScores(rows: readonly EvalRow[]): EvalSummary['scores'] {
  const means = (subset: readonly EvalRow[], prefix: string) =>
    Object.fromEntries(
      srddKeys.map((key) => {
        const values = subset.map((r) => r.score[key]).filter((v): v is number => typeof v === 'number');
        return [`${prefix}${key}`, values.length ? values.reduce((a, b) => a + b, 0) / values.length : null];
      }),
    );
  const categories = [...new Set(rows.map((r) => String(r.score.category)))].sort();
  return {
    ...means(rows, ''),
    ...Object.assign(
      {},
      ...categories.map((c) =>
        means(
          rows.filter((r) => r.score.category === c),
          `${c}/`,
        ),
      ),
    ),
  };
}

function readRows(file: string): EvalRow[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as EvalRow];
      } catch {
        return []; // a line cut by a crash: that task is answered again (free, from the store)
      }
    });
}

function aggregate(dataset: EvalDataset, unordered: readonly EvalRow[]): EvalSummary['scores'] {
  // in task order: the same answers give the same figures to the last bit, however sessions interleaved them
  const rows = [...unordered].sort((a, b) => a.task - b.task || a.sample - b.sample);
  if (dataset === 'humaneval') {
    const checks = rows.map((r) => ({ taskId: r.id, passed: r.score.passed === true }));
    const n = Math.min(...[...new Set(rows.map((r) => r.id))].map((id) => rows.filter((r) => r.id === id).length));
    const ks = [1, 10].filter((k) => k <= n);
    return humanEvalScores(checks as never, ks).passAtK;
  }
  if (dataset === 'srdd') return srddScores(rows);
  if (dataset === 'mc')
    return { accuracy: proportion(rows.filter((r) => r.score.correct === true).length, rows.length) };
  const mean = (key: string) => {
    const values = rows.map((r) => r.score[key]).filter((v): v is number => typeof v === 'number');
    return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
  };
  const judged = rows.some((r) => 'grammar' in r.score);
  return {
    coverage: mean('coverage'),
    ...(judged
      ? {
          grammar: mean('grammar'),
          fluency: mean('fluency'),
          relevance: mean('relevance'),
          logic: mean('logic'),
          unjudged: rows.filter((r) => 'grammar' in r.score && r.score.grammar === null).length,
        }
      : {}),
  };
}

/**
 * Runs an evaluation: every task of the dataset answered by the method (through
 * the public run functions), scored, one line per answer appended to
 * `results.jsonl`; `results.json` and `report.md` are written at the end.
 *
 * With a store file (`run.store`), the evaluation is itself a run of kind
 * `eval` in that store: its configuration is stored, each answer is a done step
 * (`task/<index>/<sample>`, meta naming the inner run), each answer a
 * `step-finished` event (step kind `task`), and it ends with `run-finished`.
 * `resumeRun` / `crosstalk runs resume <id>` continue it; so does rerunning
 * into the same folder (`eval.json` names the run). Answered tasks are kept,
 * and a task that was cut short is answered again from the store's journal,
 * so no call is paid twice.
 */
export async function evaluate(options: EvaluateOptions): Promise<EvalSummary> {
  const method = evalMethodSchema.parse(options.method);
  const file =
    options.dataset === 'mc'
      ? (options.datasetPath ??
        (() => {
          throw new ConfigError({ key: 'dataset-path', message: 'eval mc needs the questions file (JSONL)' });
        })())
      : datasetPath(options.dataset, options.datasetPath, options.run.env);
  if (
    (method.kind === 'chain' || method.kind === 'teams') &&
    options.dataset !== 'humaneval' &&
    options.dataset !== 'srdd'
  )
    throw new ConfigError({
      key: 'method',
      message: `method ${method.kind} builds software; ${options.dataset} needs --method single or net`,
    });
  if (options.judgeModel && options.dataset !== 'commongen')
    throw new ConfigError({ key: 'judge-model', message: '--judge-model rates texts: it applies to commongen only' });
  const all = loadTasks(options.dataset, file, options.categories);
  const tasks = options.limit ? all.slice(0, options.limit) : all;
  const spec: EvalSpec = {
    dataset: options.dataset,
    datasetFile: file,
    method,
    model: options.run.model ?? 'sim',
    seed: options.run.seed ?? 0,
    ...(options.limit ? { limit: options.limit } : {}),
    ...(options.categories?.length ? { categories: options.categories } : {}),
    samples: options.samples ?? 1,
    ...(options.judgeModel ? { judgeModel: options.judgeModel } : {}),
  };
  makeDirectory(options.outDir);
  const specFile = join(options.outDir, 'eval.json');
  let earlierRunId: string | undefined;
  if (existsSync(specFile)) {
    const raw = JSON.parse(readFileSync(specFile, 'utf8')) as { runId?: unknown };
    const before = evalSpecSchema.safeParse(raw);
    if (!before.success || JSON.stringify(before.data) !== JSON.stringify(spec))
      throw new ConfigError({
        key: 'out',
        message: `${options.outDir} holds a different evaluation (eval.json); choose another --out to start a new one`,
      });
    if (typeof raw.runId === 'string') earlierRunId = raw.runId;
  }
  const storeFile = options.recorder !== undefined ? undefined : storeFileOf(options.run);
  const run = storeFile
    ? openEvalRun({
        storeFile,
        task: `eval ${spec.dataset} with ${methodLabel(method)}`,
        config: evalRunConfig(options, method, file, storeFile),
        ...((options.resumeId ?? earlierRunId) ? { resumeId: (options.resumeId ?? earlierRunId)! } : {}),
        // a folder rerun after its run completed (or in another store) starts a new run; `runs resume` does not
        fallback: options.resumeId === undefined,
        model: spec.model,
        plannedSteps: tasks.length * spec.samples,
        ...(options.run.onEvent ? { onEvent: options.run.onEvent } : {}),
      })
    : undefined;
  // a lone evaluation names its run in eval.json, so a rerun into the folder continues the same run
  // a folder rerun of a completed evaluation records nothing new: its figures still name the run that made them
  const runId = run?.session.id ?? (storeFile ? earlierRunId : undefined);
  if (options.recorder === undefined)
    writeFileSync(specFile, `${JSON.stringify({ ...spec, ...(runId ? { runId } : {}) }, null, 2)}\n`);
  else if (!existsSync(specFile)) writeFileSync(specFile, `${JSON.stringify(spec, null, 2)}\n`);
  const recorder = options.recorder ?? run?.recorder ?? undefined;
  try {
    const dataset = {
      datasetVersion: `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12)}`,
      datasetSize: all.length,
    };
    const answered = await answerAll(options, { method, spec, tasks, recorder, dataset });
    const summary = answered.summary;
    const withRun = runId ? { ...summary, runId } : summary;
    writeFileSync(
      join(options.outDir, 'results.json'),
      `${JSON.stringify({ summary: withRun, rows: answered.rows }, null, 2)}\n`,
    );
    writeFileSync(join(options.outDir, 'report.md'), evalReport(withRun, options.commandLine));
    if (run) {
      const status =
        summary.status === 'completed' ? 'completed' : summary.status === 'budget' ? 'stopped-budget' : 'interrupted';
      const t = summary.totals;
      finishEvalRun(
        run,
        status,
        withRun,
        {
          calls: t.calls,
          replayedCalls: t.replayedCalls,
          inputTokens: t.tokens,
          outputTokens: 0,
          costUsd: summary.budget?.spentUsd ?? t.costUsd,
        },
        status === 'stopped-budget'
          ? `budget reached: spent $${(summary.budget?.spentUsd ?? 0).toFixed(4)}`
          : undefined,
      );
    }
    return withRun;
  } catch (error) {
    if (run) {
      run.session.finish('failed', { error: (error as Error).message }, (error as Error).message);
      run.store.close();
    }
    throw error;
  }
}

/** The stored configuration of a lone evaluation's `eval` run: enough for `runs resume` to continue it. */
function evalRunConfig(options: EvaluateOptions, method: EvalMethod, file: string, storeFile: string) {
  return {
    type: 'evaluate',
    dataset: options.dataset,
    datasetPath: file,
    method,
    outDir: resolve(options.run.cwd ?? process.cwd(), options.outDir),
    ...(options.limit ? { limit: options.limit } : {}),
    ...(options.categories?.length ? { categories: options.categories } : {}),
    ...(options.samples ? { samples: options.samples } : {}),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.budgetUsd !== undefined ? { budgetUsd: options.budgetUsd } : {}),
    ...(options.judgeModel ? { judgeModel: options.judgeModel } : {}),
    ...(options.commandLine ? { commandLine: options.commandLine } : {}),
    run: storedRunOptions(options.run, storeFile),
  };
}

/**
 * The budget share of a task about to start: what is left after the spending so far and the shares of the tasks in
 * flight, split evenly over the slots that may still start (this one included). The shares in flight never add up
 * to more than what is left, so the evaluation's spending stays within its budget except for the calls in flight
 * inside a task's run when that run's own share runs out (each run stops before a call that would cross its share;
 * calls already sent are paid).
 */
export function budgetShare(left: { budgetUsd: number; spentUsd: number; reservedUsd: number }, slots: number) {
  return Math.max(0, left.budgetUsd - left.spentUsd - left.reservedUsd) / Math.max(1, slots);
}

async function answerAll(
  options: EvaluateOptions,
  context: {
    method: EvalMethod;
    spec: EvalSpec;
    tasks: Task[];
    recorder: EvalRecorder | undefined;
    dataset: Pick<EvalSummary, 'datasetVersion' | 'datasetSize'>;
  },
): Promise<{ summary: EvalSummary; rows: EvalRow[] }> {
  const { method, spec, tasks, recorder } = context;
  const rowsFile = join(options.outDir, 'results.jsonl');
  const earlier = readRows(rowsFile);
  const key = (r: { task: number; sample: number }) => `${r.task}/${r.sample}`;
  const done = new Set(earlier.map(key));
  // rows the run store kept but the folder lost (a crash between the two writes, a copied folder): written back
  for (const row of recorder ? recordedRows<EvalRow>(recorder) : [])
    if (!done.has(key(row))) {
      done.add(key(row));
      earlier.push(row);
      appendFileSync(rowsFile, `${JSON.stringify(row)}\n`);
    }
  const rows = [...earlier];
  const work = tasks.flatMap((task, index) =>
    Array.from({ length: spec.samples }, (_, sample) => ({ task, index, sample })).filter(
      (w) => !done.has(`${w.index}/${w.sample}`),
    ),
  );
  const total = tasks.length * spec.samples;
  const concurrency = options.concurrency ?? 2;
  // everything paid so far, budget-stopped tasks included (their rows are not kept, their calls are)
  let spent = Math.max(
    earlier.reduce((sum, r) => sum + (r.costUsd ?? 0), 0),
    recorder ? recordedSpend(recorder) : 0,
  );
  let reserved = 0;
  let inFlight = 0;
  // tasks waiting to run alone (a retry after their share of the budget ran out); woken one at a time
  const waiting: Array<() => void> = [];
  const whenAlone = () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((wake) => waiting.push(wake)));
  let started = 0;
  let status = 'completed' as EvalSummary['status'];
  let simulated = spec.model === 'sim';
  const ledger = () => recorder?.session.stepDone(`${recorder.prefix}ledger`, JSON.stringify({ spentUsd: spent }), {});
  const queue = options.queue
    ? await openQueueExecutor({
        queue: options.queue,
        runId: recorder?.session.id ?? `eval-${randomUUID()}`,
        ...(options.queueTimeoutMs !== undefined ? { timeoutMs: options.queueTimeoutMs } : {}),
        modelOf: () => spec.model,
        limits: queueLimits(options.run, concurrency),
        ...(recorder
          ? { log: (message: string) => recorder.session.emit({ type: 'note', level: 'info', message }) }
          : {}),
        // the workers' calls join the evaluation's journal (a later session answers them from the store)
        ...(recorder ? { onJournal: (entries: StepJournalEntry[]) => recorder.session.recordStepCalls(entries) } : {}),
      })
    : undefined;
  try {
    await mapLimit(
      work,
      concurrency,
      async ({ task, index, sample }) => {
        try {
          if (status === 'budget') return;
          started++;
          const startedAt = Date.now();
          const outDir = task.taskType === 'software' ? taskOutDir(options.outDir, index) : undefined;
          let answer: MethodAnswer | undefined;
          // with a budget, a task whose share ran out while others held shares waits until it runs alone and
          // tries again with all that is left (its paid calls come back free from the journal); alone and still
          // short, the evaluation stops on its budget
          for (let attempt = 0; ; attempt++) {
            let share: number | undefined;
            let alone = true;
            if (options.budgetUsd !== undefined) {
              if (attempt > 0) await whenAlone();
              if ((status as string) === 'budget') return;
              alone = inFlight === 0;
              const slots = attempt > 0 ? 1 : Math.min(concurrency - inFlight, work.length - started + 1);
              share = budgetShare({ budgetUsd: options.budgetUsd, spentUsd: spent, reservedUsd: reserved }, slots);
              alone &&= slots === 1 || work.length - started === 0;
              if (share <= 0) {
                if (inFlight > 0 && attempt < concurrency) continue; // the others' shares come back when they end
                status = 'budget';
                return;
              }
              reserved += share;
            }
            inFlight++;
            if (outDir) removeTree(outDir); // a task cut short earlier: answered again, its calls replayed free
            const run: RunOptions = {
              ...options.run,
              seed: spec.seed + sample,
              ...(share !== undefined ? { budgetUsd: share } : {}),
            };
            try {
              answer = queue
                ? await answerOnQueue(queue, { method, task, index, sample, run, outDir })
                : await answerWithMethod(
                    method,
                    { prompt: task.prompt, taskType: task.taskType, ...(outDir ? { outDir } : {}) },
                    run,
                  );
            } catch (error) {
              if (BudgetExceededError.isInstance(error)) {
                status = 'budget';
                return;
              }
              // the queue lost for good: the evaluation stops as interrupted (its answered tasks are kept)
              if (queue && AbortedError.isInstance(error)) {
                if ((status as string) !== 'budget') status = 'interrupted';
                return;
              }
              throw error;
            } finally {
              inFlight--;
              if (share !== undefined) reserved -= share;
              if (inFlight === 0) waiting.shift()?.();
            }
            spent += answer.costUsd ?? 0;
            if (answer.status !== 'interrupted' && answer.status !== 'stopped-budget') break;
            // not kept: answered again (on retry or resume), its calls replayed free from the journal; its run is the
            // evaluation's all the same: linked, so `runs list` files it under the evaluation
            recorder?.session.stepDone(`${recorder.prefix}cut/${answer.runId}`, '', {
              runId: answer.runId,
              task: index,
              sample,
              status: answer.status,
            });
            ledger();
            if (answer.status === 'interrupted') {
              if ((status as string) !== 'budget') status = 'interrupted';
              return;
            }
            if (alone || attempt >= concurrency) {
              status = 'budget';
              return;
            }
          }
          simulated ||= answer.simulated;
          const row: EvalRow = {
            task: index,
            id: task.id,
            sample,
            runId: answer.runId,
            status: answer.status,
            calls: answer.calls,
            replayedCalls: answer.replayedCalls,
            tokens: answer.tokens,
            replayedTokens: answer.replayedTokens,
            costUsd: answer.costUsd,
            durationMs: answer.durationMs,
            score: await score(task, answer, options),
          };
          appendFileSync(rowsFile, `${JSON.stringify(row)}\n`);
          if (recorder) {
            const step = `${recorder.prefix}task/${index}/${sample}`;
            recorder.session.stepDone(step, JSON.stringify(row), { runId: row.runId, id: row.id, sample });
            ledger();
            recorder.session.emit({
              type: 'step-finished',
              step: { kind: 'task', id: `${recorder.prefix}${task.id}${sample ? `#${sample}` : ''}` },
              durationMs: Date.now() - startedAt,
              note: `run ${row.runId}`,
            });
          }
          rows.push(row);
          options.onRow?.(row, rows.length, total);
        } finally {
          // a worker that ends (or gives up) while nothing runs lets the next waiting retry go
          if (inFlight === 0) waiting.shift()?.();
        }
      },
      options.run.signal,
    );
  } finally {
    await queue?.close({ keepJournal: status !== 'completed' });
  }
  if (options.run.signal?.aborted && status !== 'budget') status = 'interrupted';
  const summary: EvalSummary = {
    spec,
    status: rows.length < total && status === 'completed' ? 'interrupted' : status,
    tasks: tasks.length,
    answered: rows.length,
    resumed: earlier.length,
    simulated,
    label: simulated
      ? 'system check, not quality: answers came from the simulated model'
      : `quality of ${spec.model} with ${methodLabel(method)}`,
    scores: aggregate(options.dataset, rows),
    notes: scoreNotes(rows),
    totals: {
      calls: rows.reduce((s, r) => s + r.calls, 0),
      replayedCalls: rows.reduce((s, r) => s + r.replayedCalls, 0),
      tokens: rows.reduce((s, r) => s + r.tokens, 0),
      replayedTokens: rows.reduce((s, r) => s + (r.replayedTokens ?? 0), 0),
      // summed in task order: floating-point sums depend on order, and tasks finish in any order
      costUsd: rows.some((r) => r.costUsd === null)
        ? null
        : [...rows].sort((a, b) => a.task - b.task || a.sample - b.sample).reduce((s, r) => s + (r.costUsd ?? 0), 0),
      durationMs: rows.reduce((s, r) => s + r.durationMs, 0),
    },
    ...(options.budgetUsd !== undefined ? { budget: { limitUsd: options.budgetUsd, spentUsd: spent } } : {}),
    ...context.dataset,
  };
  return { summary, rows };
}

/**
 * The evaluation's limits per model for the workers' shared limiter: the config's requests and tokens per minute,
 * and as many calls at once as the evaluation makes in process (tasks at once × each task run's concurrency).
 */
function queueLimits(run: RunOptions, tasksAtOnce: number): StepLimits {
  const { config } = loadConfig({
    cwd: run.cwd ?? process.cwd(),
    env: run.env ?? process.env,
    flags: {
      ...(run.configFile !== undefined ? { config: run.configFile } : {}),
      ...(run.model !== undefined ? { model: run.model } : {}),
    },
  });
  const perRun = run.concurrency ?? config.limits?.concurrency ?? defaultConcurrency;
  return {
    concurrency: tasksAtOnce * perRun,
    ...(config.limits?.requestsPerMinute ? { requestsPerMinute: config.limits.requestsPerMinute } : {}),
    ...(config.limits?.tokensPerMinute ? { tokensPerMinute: config.limits.tokensPerMinute } : {}),
  };
}

/**
 * Answers one task (one sample) on a queue worker: the same method and run settings as in process. The worker
 * keeps no folder: a software task's files come back with the answer and are written into the task's folder.
 */
async function answerOnQueue(
  queue: QueueExecutor,
  work: { method: EvalMethod; task: Task; index: number; sample: number; run: RunOptions; outDir: string | undefined },
): Promise<MethodAnswer> {
  const { run } = work;
  const step: Omit<EvalTaskStep, 'runId' | 'attempt'> = {
    kind: 'eval-task',
    stepId: `task/${work.index}/${work.sample}`,
    method: work.method,
    task: { prompt: work.task.prompt, taskType: work.task.taskType },
    ...(run.seed !== undefined ? { seed: run.seed } : {}),
    run: {
      ...(run.model !== undefined ? { model: run.model } : {}),
      ...(run.roleModels !== undefined ? { roleModels: run.roleModels } : {}),
      ...(run.concurrency !== undefined ? { concurrency: run.concurrency } : {}),
      ...(run.budgetUsd !== undefined ? { budgetUsd: run.budgetUsd } : {}),
      ...(run.maxTokens !== undefined ? { maxTokens: run.maxTokens } : {}),
      ...(run.timeoutMs !== undefined ? { timeoutMs: run.timeoutMs } : {}),
      ...(run.embeddingModel !== undefined ? { embeddingModel: run.embeddingModel } : {}),
      ...(run.allowUnsafeSandbox !== undefined ? { allowUnsafeSandbox: run.allowUnsafeSandbox } : {}),
    },
  };
  const outcome = await queue.send(step, run.signal ? { signal: run.signal } : {});
  const answer = evalTaskOutputSchema.parse(outcome.output) as MethodAnswer;
  if (work.outDir && Object.keys(answer.files).length > 0) writeCodebase(join(work.outDir, 'project'), answer.files);
  return answer;
}

function scoreNotes(rows: readonly EvalRow[]): string[] {
  const methods = new Set(rows.map((r) => r.score.consistencyMethod).filter((m) => typeof m === 'string'));
  const notes: string[] = [];
  if (methods.has('tf-idf-fallback'))
    notes.push(
      'consistency: the local TF-IDF fallback (no embedding model; pass --embedding-model), on a lower scale than ' +
        'embedding similarity and not comparable with the papers’ figures',
    );
  if (methods.has('embedding')) notes.push('consistency: cosine similarity of the embedding model’s vectors');
  return notes;
}

function formatScore(value: number | null | Proportion): string {
  if (value === null) return 'n/a';
  if (typeof value === 'number') return value.toFixed(3);
  return `${value.value.toFixed(3)} (95 % CI ${value.low.toFixed(3)}–${value.high.toFixed(3)}, ${value.successes}/${value.total})`;
}

/** The Markdown report of an evaluation: what ran (model, dataset, seed, method, command), then the scores. */
export function evalReport(summary: EvalSummary, commandLine?: string): string {
  const { spec, totals } = summary;
  const lines = [
    `# Evaluation: ${spec.dataset} with ${methodLabel(spec.method)}`,
    '',
    `- model: ${spec.model}${summary.simulated ? ' (simulated)' : ''}`,
    `- dataset: ${spec.dataset} ${summary.datasetVersion}, ${summary.tasks} of its ${summary.datasetSize} tasks` +
      `${spec.categories ? ` (categories ${spec.categories.join(', ')})` : ''}, read from ${spec.datasetFile}`,
    `- seed: ${spec.seed}; samples per task: ${spec.samples}`,
    ...(spec.judgeModel ? [`- judge (grammar, fluency, relevance, logic, 1–10): ${spec.judgeModel}`] : []),
    `- method: ${methodLabel(spec.method)}`,
    ...(commandLine ? [`- command: \`${commandLine}\``] : []),
    `- status: ${summary.status}; answers: ${summary.answered} (${summary.resumed} from an earlier session)` +
      `${summary.runId ? `; run ${summary.runId}` : ''}`,
    ...(summary.budget
      ? [
          `- budget: $${summary.budget.limitUsd.toFixed(4)}, ` +
            `spent $${summary.budget.spentUsd.toFixed(4)} (all sessions)`,
        ]
      : []),
    '',
    `**${summary.label}.**`,
    '',
    '| score | value |',
    '| --- | --- |',
    ...Object.entries(summary.scores).map(([name, value]) => `| ${name} | ${formatScore(value)} |`),
    '',
    ...summary.notes.map((note) => `- ${note}`),
    ...(summary.notes.length ? [''] : []),
    `Calls ${totals.calls} paid, ${totals.replayedCalls} replayed; ${totals.tokens} tokens; ` +
      `cost ${totals.costUsd === null ? 'unknown' : `$${totals.costUsd.toFixed(4)}`}. ` +
      'Every figure comes from the rows of results.jsonl (and results.json).',
    '',
  ];
  return lines.join('\n');
}

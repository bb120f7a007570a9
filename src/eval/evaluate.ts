import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { makeDirectory, mapLimit, removeTree } from '../common/index.js';
import { BudgetExceededError, ConfigError } from '../errors/index.js';
import type { RunOptions } from '../jobs/api.js';
import { extractChoice } from '../network/run-network.js';
import type { Sandbox } from '../sandbox/index.js';
import { proportion, type Proportion } from './confidence.js';
import { conceptCoverage } from './coverage.js';
import { judgeText } from './text-judge.js';
import {
  datasetPath,
  loadChoiceQuestions,
  loadConceptSets,
  loadHumanEval,
  type ChoiceQuestion,
  type HumanEvalProblem,
} from './datasets.js';
import { checkHumanEval, codeFromAnswer, humanEvalScores } from './humaneval.js';
import { answerWithMethod, evalMethodSchema, methodLabel, taskOutDir, type MethodAnswer } from './methods.js';

/** The datasets an evaluation can run (`mc` reads a user's `{question, choices, answer}` JSONL file). */
export const evalDatasetSchema = z.enum(['humaneval', 'commongen', 'mc']);
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
  tokens: number;
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
  totals: { calls: number; replayedCalls: number; tokens: number; costUsd: number | null; durationMs: number };
}

interface Task {
  id: string;
  prompt: string;
  taskType: 'text' | 'code' | 'choice';
  problem?: HumanEvalProblem;
  question?: ChoiceQuestion;
  concepts?: string[];
}

function loadTasks(dataset: EvalDataset, file: string): Task[] {
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
 * Rerunning into the same folder continues where it stopped: answered tasks
 * are kept, and a task that was cut short is answered again from the store's
 * journal, so no call is paid twice.
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
  if ((method.kind === 'chain' || method.kind === 'teams') && options.dataset !== 'humaneval')
    throw new ConfigError({
      key: 'method',
      message: `method ${method.kind} builds software; ${options.dataset} needs --method single or net`,
    });
  if (options.judgeModel && options.dataset !== 'commongen')
    throw new ConfigError({ key: 'judge-model', message: '--judge-model rates texts: it applies to commongen only' });
  const all = loadTasks(options.dataset, file);
  const tasks = options.limit ? all.slice(0, options.limit) : all;
  const spec: EvalSpec = {
    dataset: options.dataset,
    datasetFile: file,
    method,
    model: options.run.model ?? 'sim',
    seed: options.run.seed ?? 0,
    ...(options.limit ? { limit: options.limit } : {}),
    samples: options.samples ?? 1,
    ...(options.judgeModel ? { judgeModel: options.judgeModel } : {}),
  };
  makeDirectory(options.outDir);
  const specFile = join(options.outDir, 'eval.json');
  if (existsSync(specFile)) {
    const before = evalSpecSchema.safeParse(JSON.parse(readFileSync(specFile, 'utf8')));
    if (!before.success || JSON.stringify(before.data) !== JSON.stringify(spec))
      throw new ConfigError({
        key: 'out',
        message: `${options.outDir} holds a different evaluation (eval.json); choose another --out to start a new one`,
      });
  } else writeFileSync(specFile, `${JSON.stringify(spec, null, 2)}\n`);
  const rowsFile = join(options.outDir, 'results.jsonl');
  const earlier = readRows(rowsFile);
  const done = new Set(earlier.map((r) => `${r.task}/${r.sample}`));
  const rows = [...earlier];
  const work = tasks.flatMap((task, index) =>
    Array.from({ length: spec.samples }, (_, sample) => ({ task, index, sample })).filter(
      (w) => !done.has(`${w.index}/${w.sample}`),
    ),
  );
  const total = tasks.length * spec.samples;
  let spent = earlier.reduce((sum, r) => sum + (r.costUsd ?? 0), 0);
  let status: EvalSummary['status'] = 'completed';
  let simulated = spec.model === 'sim';
  await mapLimit(
    work,
    options.concurrency ?? 2,
    async ({ task, index, sample }) => {
      if (options.budgetUsd !== undefined && spent >= options.budgetUsd) {
        status = 'budget';
        return;
      }
      const outDir = task.taskType === 'code' ? undefined : taskOutDir(options.outDir, index);
      if (outDir) removeTree(outDir); // a task cut short earlier: answered again, its calls replayed free
      const run: RunOptions = {
        ...options.run,
        seed: spec.seed + sample,
        ...(options.budgetUsd !== undefined ? { budgetUsd: Math.max(0, options.budgetUsd - spent) } : {}),
      };
      let answer: MethodAnswer;
      try {
        answer = await answerWithMethod(method, { prompt: task.prompt, taskType: task.taskType }, run);
      } catch (error) {
        if (BudgetExceededError.isInstance(error)) {
          status = 'budget';
          return;
        }
        throw error;
      }
      if (answer.status === 'interrupted') {
        status = 'interrupted';
        return;
      }
      if (answer.status === 'stopped-budget') status = 'budget';
      simulated ||= answer.simulated;
      spent += answer.costUsd ?? 0;
      const row: EvalRow = {
        task: index,
        id: task.id,
        sample,
        runId: answer.runId,
        status: answer.status,
        calls: answer.calls,
        replayedCalls: answer.replayedCalls,
        tokens: answer.tokens,
        costUsd: answer.costUsd,
        durationMs: answer.durationMs,
        score: await score(task, answer, options),
      };
      appendFileSync(rowsFile, `${JSON.stringify(row)}\n`);
      rows.push(row);
      options.onRow?.(row, rows.length, total);
    },
    options.run.signal,
  );
  if (options.run.signal?.aborted) status = 'interrupted';
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
    totals: {
      calls: rows.reduce((s, r) => s + r.calls, 0),
      replayedCalls: rows.reduce((s, r) => s + r.replayedCalls, 0),
      tokens: rows.reduce((s, r) => s + r.tokens, 0),
      costUsd: rows.some((r) => r.costUsd === null) ? null : rows.reduce((s, r) => s + (r.costUsd ?? 0), 0),
      durationMs: rows.reduce((s, r) => s + r.durationMs, 0),
    },
  };
  writeFileSync(join(options.outDir, 'results.json'), `${JSON.stringify({ summary, rows }, null, 2)}\n`);
  writeFileSync(join(options.outDir, 'report.md'), evalReport(summary, options.commandLine));
  return summary;
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
    `- dataset: ${spec.dataset}, ${summary.tasks} tasks, read from ${spec.datasetFile}`,
    `- seed: ${spec.seed}; samples per task: ${spec.samples}`,
    ...(spec.judgeModel ? [`- judge (grammar, fluency, relevance, logic, 1–10): ${spec.judgeModel}`] : []),
    `- method: ${methodLabel(spec.method)}`,
    ...(commandLine ? [`- command: \`${commandLine}\``] : []),
    `- status: ${summary.status}; answers: ${summary.answered} (${summary.resumed} from an earlier session)`,
    '',
    `**${summary.label}.**`,
    '',
    '| score | value |',
    '| --- | --- |',
    ...Object.entries(summary.scores).map(([name, value]) => `| ${name} | ${formatScore(value)} |`),
    '',
    `Calls ${totals.calls} paid, ${totals.replayedCalls} replayed; ${totals.tokens} tokens; ` +
      `cost ${totals.costUsd === null ? 'unknown' : `$${totals.costUsd.toFixed(4)}`}. ` +
      'Every figure comes from the rows of results.jsonl (and results.json).',
    '',
  ];
  return lines.join('\n');
}

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { topologyNames } from '../graph/index.js';
import type { RunOptions } from '../jobs/api.js';
import type { Sandbox } from '../sandbox/index.js';
import { evaluate, type EvalDataset, type EvalSummary } from './evaluate.js';
import { finishEvalRun, openEvalRun, storedRunOptions, storeFileOf } from './eval-session.js';
import { fitLogistic, logistic, type LogisticFit } from './logistic-fit.js';
import type { EvalMethod } from './methods.js';
import { costQualityChart, paretoFront, qualityChart, renderSvg, svgToPng, tokensChart } from './plots.js';

/** The grid of a sweep. */
export const sweepGridSchema = z.object({
  topologies: z.array(z.enum(topologyNames)).min(1),
  agents: z.array(z.number().int().min(1).max(100_000)).min(1),
  /** Team counts, run as the cross-team method (software datasets only). */
  teams: z.array(z.number().int().min(1).max(64)).default([]),
});

/** One cell of a sweep: a method at one size, and what it scored. */
export interface SweepRow {
  topology: string;
  agents: number;
  teams: number | null;
  metric: string;
  quality: number | null;
  tasks: number;
  answered: number;
  status: EvalSummary['status'];
  /** Calls paid by this cell (all sessions). */
  calls: number;
  /** Calls this cell got free from the journal (an identical request of another cell or of a cut session). */
  replayedCalls: number;
  /** Tokens of the paid calls. */
  tokens: number;
  /** Tokens of the replayed calls, exact (each replayed call reports its tokens). */
  replayedTokens: number;
  /** What the paid calls cost (USD; null when a model's price is unknown). */
  costUsd: number | null;
  /**
   * What the replayed calls would have cost: their tokens at the cell's paid cost per token (the sweep's when the
   * cell paid nothing). Null when no rate is known.
   */
  replayedCostUsd: number | null;
  /** (tokens + replayedTokens) / answered. */
  tokensPerTask: number;
  /** (costUsd + replayedCostUsd) / answered (USD; null when unknown). */
  costPerTaskUsd: number | null;
  durationMs: number;
  model: string;
  seed: number;
}

/** Options of {@link sweep}. */
export interface SweepOptions {
  dataset: EvalDataset;
  datasetPath?: string;
  grid: z.input<typeof sweepGridSchema>;
  outDir: string;
  run: RunOptions;
  limit?: number;
  concurrency?: number;
  sandbox?: Sandbox;
  /** The recommendation picks the cheapest cell within this distance of the best quality. Default 0.02. */
  within?: number;
  commandLine?: string;
  /**
   * The whole grid's budget (USD). Each cell gets what the cells before it left (their spending over all sessions);
   * the sweep stops with status `budget` at the first cell stopped by it, and a resume with a larger budget goes on.
   */
  budgetUsd?: number;
  /** Continue this stored `eval` run of a sweep (what `runs resume` passes). */
  resumeId?: string;
  onCell?: (row: SweepRow, done: number, total: number) => void;
  /** `redis://…` or `rediss://…`: each cell's tasks are answered by `crosstalk worker`s (see {@link evaluate}). */
  queue?: string;
  /** How long Redis may stay unreachable before the sweep stops (resumable), ms. Default 5 minutes. */
  queueTimeoutMs?: number;
}

/** What a sweep produced. */
export interface SweepResult {
  status: 'completed' | 'interrupted' | 'budget';
  rows: SweepRow[];
  fits: Record<string, LogisticFit | null>;
  recommendation: SweepRow | null;
  files: string[];
  /** The sweep's `eval` run in the store (absent without a store file). */
  runId?: string;
  /** With `budgetUsd`: the limit, and what the cells paid over all sessions. */
  budget?: { limitUsd: number; spentUsd: number };
}

const primary: Record<EvalDataset, string> = {
  humaneval: 'pass@1',
  srdd: 'qualityMean',
  mc: 'accuracy',
  commongen: 'coverage',
};

function quality(summary: EvalSummary): number | null {
  const value = summary.scores[primary[summary.spec.dataset]];
  if (value === null || value === undefined) return null;
  return typeof value === 'number' ? value : value.value;
}

function csv(rows: readonly SweepRow[]): string {
  const header = Object.keys(rows[0] ?? ({} as SweepRow)) as (keyof SweepRow)[];
  const cell = (v: unknown) => {
    const text = v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return `${[header.join(','), ...rows.map((r) => header.map((h) => cell(r[h])).join(','))].join('\n')}\n`;
}

/**
 * Runs an evaluation grid — every topology at every agent count (and every
 * team count) — one {@link evaluate} per cell in its own folder, so cells
 * already done are skipped and cut ones continue for free from the journal.
 * Writes `results.csv` and `results.json` (one row per cell), fits the
 * scaling law per topology, renders the plots as SVG and PNG, and writes a
 * `report.md` that ends with a recommendation.
 */
export async function sweep(options: SweepOptions): Promise<SweepResult> {
  const grid = sweepGridSchema.parse(options.grid);
  if (grid.teams.length > 0 && options.dataset !== 'humaneval' && options.dataset !== 'srdd')
    throw new ConfigError({
      key: 'teams',
      message: `--teams builds software; ${options.dataset} has no code to merge`,
    });
  const cells: Array<{ name: string; method: EvalMethod; topology: string; agents: number; teams: number | null }> = [
    ...grid.topologies.flatMap((topology) =>
      grid.agents.map((agents) => ({
        name: `${topology}-${agents}`,
        method: { kind: 'net' as const, topology, agents },
        topology,
        agents,
        teams: null,
      })),
    ),
    ...grid.teams.map((teams) => ({
      name: `teams-${teams}`,
      method: { kind: 'teams' as const, teams },
      topology: 'teams',
      agents: teams,
      teams,
    })),
  ];
  const storeFile = storeFileOf(options.run);
  // the folder names its run (sweep.json), so rerunning into it continues the same run
  const runFile = join(options.outDir, 'sweep.json');
  const earlierRunId = existsSync(runFile)
    ? (JSON.parse(readFileSync(runFile, 'utf8')) as { runId?: unknown }).runId
    : undefined;
  const resumeId = options.resumeId ?? (typeof earlierRunId === 'string' ? earlierRunId : undefined);
  const run = storeFile
    ? openEvalRun({
        storeFile,
        task: `eval sweep ${options.dataset}: ${grid.topologies.join(',')} × ${grid.agents.join(',')}`,
        config: {
          type: 'sweep',
          dataset: options.dataset,
          ...(options.datasetPath ? { datasetPath: options.datasetPath } : {}),
          grid,
          outDir: resolve(options.run.cwd ?? process.cwd(), options.outDir),
          ...(options.limit ? { limit: options.limit } : {}),
          ...(options.concurrency ? { concurrency: options.concurrency } : {}),
          ...(options.within !== undefined ? { within: options.within } : {}),
          ...(options.budgetUsd !== undefined ? { budgetUsd: options.budgetUsd } : {}),
          ...(options.commandLine ? { commandLine: options.commandLine } : {}),
          run: storedRunOptions(options.run, storeFile),
        },
        ...(resumeId ? { resumeId } : {}),
        fallback: options.resumeId === undefined,
        model: options.run.model ?? 'sim',
        plannedSteps: cells.length,
        ...(options.run.onEvent ? { onEvent: options.run.onEvent } : {}),
      })
    : undefined;
  // a folder rerun of a completed sweep records nothing new: its figures still name the run that made them
  const runId = run?.session.id ?? (storeFile ? resumeId : undefined);
  if (runId) {
    mkdirSync(options.outDir, { recursive: true });
    writeFileSync(runFile, `${JSON.stringify({ runId }, null, 2)}\n`);
  }
  const rows: SweepRow[] = [];
  // the sweep's paid tokens and cost so far: the rate that prices a cell's replayed tokens when it paid nothing
  const paid: { tokens: number; costUsd: number | null } = { tokens: 0, costUsd: 0 };
  let status: SweepResult['status'] = 'completed';
  let dataset: SweepDataset | undefined;
  // what the cells run so far paid over all their sessions (each cell's evaluation knows its own earlier sessions)
  let spentUsd = 0;
  try {
    for (const cell of cells) {
      if (options.run.signal?.aborted) {
        status = 'interrupted';
        break;
      }
      const left = options.budgetUsd === undefined ? undefined : Math.max(0, options.budgetUsd - spentUsd);
      const summary = await evaluate({
        dataset: options.dataset,
        ...(options.datasetPath ? { datasetPath: options.datasetPath } : {}),
        method: cell.method,
        outDir: join(options.outDir, 'cells', cell.name),
        run: options.run,
        ...(options.limit ? { limit: options.limit } : {}),
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
        ...(options.sandbox ? { sandbox: options.sandbox } : {}),
        ...(left !== undefined ? { budgetUsd: left } : {}),
        ...(options.queue ? { queue: options.queue } : {}),
        ...(options.queueTimeoutMs !== undefined ? { queueTimeoutMs: options.queueTimeoutMs } : {}),
        // cells record into the sweep's run (nowhere when rerunning a completed sweep's folder)
        ...(storeFile ? { recorder: run ? { session: run.session, prefix: `cell/${cell.name}/` } : null } : {}),
      });
      dataset ??= {
        file: summary.spec.datasetFile,
        version: summary.datasetVersion,
        size: summary.datasetSize,
        tasks: summary.tasks,
      };
      spentUsd += summary.budget?.spentUsd ?? summary.totals.costUsd ?? 0;
      const row = cellRow(cell, summary, paid, primary[options.dataset]);
      rows.push(row);
      run?.session.stepDone(`cell/${cell.name}`, JSON.stringify(row), { cell: cell.name });
      options.onCell?.(row, rows.length, cells.length);
      if (summary.status !== 'completed') {
        status = summary.status;
        break;
      }
    }
  } catch (error) {
    if (run) {
      run.session.finish('failed', { error: (error as Error).message }, (error as Error).message);
      run.store.close();
    }
    throw error;
  }
  const budget = options.budgetUsd !== undefined ? { budget: { limitUsd: options.budgetUsd, spentUsd } } : {};
  const result = { ...(await writeSweep(options, rows, status, dataset, runId, spentUsd)), ...budget };
  if (!run) return runId ? { ...result, runId } : result;
  const sum = (pick: (r: SweepRow) => number) => rows.reduce((total, r) => total + pick(r), 0);
  finishEvalRun(
    run,
    status === 'completed' ? 'completed' : status === 'budget' ? 'stopped-budget' : 'interrupted',
    { ...result, runId: run.session.id },
    {
      calls: sum((r) => r.calls),
      replayedCalls: sum((r) => r.replayedCalls),
      inputTokens: sum((r) => r.tokens),
      outputTokens: 0,
      costUsd: rows.some((r) => r.costUsd === null) ? null : sum((r) => r.costUsd ?? 0),
    },
  );
  return { ...result, runId: run.session.id };
}

/**
 * A cell's row. Calls a cell got from the journal (an identical request of another cell, or of a session cut short)
 * are this configuration's work too: their tokens are counted exactly, and their cost at the cell's own paid cost
 * per token (the sweep's so far when the cell paid nothing), so cells compare fairly however the grid shares calls.
 * Paid calls are never counted twice: `calls`, `tokens` and `costUsd` are what this cell paid.
 */
export function cellRow(
  cell: { topology: string; agents: number; teams: number | null },
  summary: EvalSummary,
  paid: { tokens: number; costUsd: number | null },
  metric: string,
): SweepRow {
  const t = summary.totals;
  paid.tokens += t.tokens;
  paid.costUsd = paid.costUsd === null || t.costUsd === null ? null : paid.costUsd + t.costUsd;
  const rate =
    t.tokens > 0
      ? t.costUsd === null
        ? null
        : t.costUsd / t.tokens
      : paid.tokens > 0 && paid.costUsd !== null
        ? paid.costUsd / paid.tokens
        : null;
  const replayedCostUsd = t.replayedTokens === 0 ? 0 : rate === null ? null : t.replayedTokens * rate;
  const answered = Math.max(1, summary.answered);
  return {
    topology: cell.topology,
    agents: cell.agents,
    teams: cell.teams,
    metric,
    quality: quality(summary),
    tasks: summary.tasks,
    answered: summary.answered,
    status: summary.status,
    calls: t.calls,
    replayedCalls: t.replayedCalls,
    tokens: t.tokens,
    replayedTokens: t.replayedTokens,
    costUsd: t.costUsd,
    replayedCostUsd,
    tokensPerTask: Math.round((t.tokens + t.replayedTokens) / answered),
    costPerTaskUsd: t.costUsd === null || replayedCostUsd === null ? null : (t.costUsd + replayedCostUsd) / answered,
    durationMs: t.durationMs,
    model: summary.spec.model,
    seed: summary.spec.seed,
  };
}

/** The dataset a sweep ran on, as its first cell read it. */
interface SweepDataset {
  file: string;
  version: string;
  size: number;
  tasks: number;
}

async function writeSweep(
  options: SweepOptions,
  rows: SweepRow[],
  status: SweepResult['status'],
  dataset: SweepDataset | undefined,
  runId: string | undefined,
  spentUsd: number,
): Promise<SweepResult> {
  const complete = rows.filter((r) => r.status === 'completed' && r.quality !== null);
  const fits: Record<string, LogisticFit | null> = {};
  for (const topology of new Set(complete.map((r) => r.topology))) {
    const own = complete.filter((r) => r.topology === topology);
    fits[topology] =
      new Set(own.map((r) => r.agents)).size >= 2
        ? fitLogistic(
            own.map((r) => Math.log2(r.agents)),
            own.map((r) => r.quality!),
          )
        : null;
  }
  const best = Math.max(...complete.map((r) => r.quality!));
  const within = options.within ?? 0.02;
  const recommendation =
    complete
      .filter((r) => r.quality! >= best - within)
      .sort(
        (a, b) => (a.costPerTaskUsd ?? Infinity) - (b.costPerTaskUsd ?? Infinity) || a.tokensPerTask - b.tokensPerTask,
      )[0] ?? null;
  mkdirSync(options.outDir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, content: string | Buffer) => {
    writeFileSync(join(options.outDir, name), content);
    files.push(name);
  };
  write('results.csv', csv(rows));
  write('results.json', `${JSON.stringify({ status, rows, fits, recommendation }, null, 2)}\n`);
  const metric = primary[options.dataset];
  const points = complete.map((r) => ({
    series: r.topology,
    agents: r.agents,
    quality: r.quality!,
    tokens: r.tokensPerTask,
    costUsd: r.costPerTaskUsd ?? 0,
  }));
  const curves = Object.entries(fits).flatMap(([series, fit]) => {
    if (!fit) return [];
    const xs = complete.filter((r) => r.topology === series).map((r) => Math.log2(r.agents));
    const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
    return Array.from({ length: 41 }, (_, i) => {
      const x = lo + ((hi - lo) * i) / 40;
      return { series, agents: 2 ** x, quality: logistic(fit.params, x) };
    });
  });
  if (points.length > 0)
    for (const [name, spec] of [
      ['quality', qualityChart(points, curves, metric)],
      ['tokens', tokensChart(points)],
      ['cost-quality', costQualityChart(points, metric)],
    ] as const) {
      const svg = await renderSvg(spec);
      write(`${name}.svg`, svg);
      write(`${name}.png`, svgToPng(svg));
    }
  write('report.md', sweepReport(options, rows, fits, recommendation, status, within, dataset, runId, spentUsd));
  return { status, rows, fits, recommendation, files };
}

function sweepReport(
  options: SweepOptions,
  rows: readonly SweepRow[],
  fits: Record<string, LogisticFit | null>,
  recommendation: SweepRow | null,
  status: SweepResult['status'],
  within: number,
  dataset: SweepDataset | undefined,
  runId: string | undefined,
  spentUsd: number,
): string {
  const simulated = rows.some((r) => r.model.startsWith('sim'));
  const metric = primary[options.dataset];
  const fmt = (v: number | null, digits = 3) => (v === null ? 'n/a' : v.toFixed(digits));
  const lines = [
    `# Sweep: ${options.dataset}`,
    '',
    `- model: ${rows[0]?.model ?? options.run.model ?? 'sim'}${simulated ? ' (simulated)' : ''}`,
    dataset
      ? `- dataset: ${options.dataset} ${dataset.version}, ${dataset.tasks} of its ${dataset.size} tasks per cell, ` +
        `read from ${dataset.file}`
      : `- dataset: ${options.dataset}${options.limit ? `, first ${options.limit} tasks` : ''}`,
    `- seed: ${rows[0]?.seed ?? options.run.seed ?? 0}`,
    `- method: MacNet networks per topology and size${rows.some((r) => r.teams) ? ', and cross-team runs' : ''}` +
      ` (${[...new Set(rows.map((r) => r.topology))].join(', ')} × ` +
      `${[...new Set(rows.map((r) => r.agents))].join(', ')})`,
    ...(options.commandLine ? [`- command: \`${options.commandLine}\``] : []),
    `- status: ${status}, ${rows.length} cells${runId ? `; run ${runId}` : ''}`,
    ...(options.budgetUsd !== undefined
      ? [`- budget: $${options.budgetUsd.toFixed(4)} for the grid, spent $${spentUsd.toFixed(4)} (all sessions)`]
      : []),
    '',
    simulated
      ? '**System check, not quality: the answers came from the simulated model; the fits and the recommendation show the pipeline works, not which topology is better.**'
      : `**Quality of ${rows[0]?.model} as ${metric}.**`,
    '',
    `| topology | agents | ${metric} | tokens / task | cost / task (USD) | calls | status |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.topology} | ${r.agents} | ${fmt(r.quality)} | ${r.tokensPerTask} | ${fmt(r.costPerTaskUsd, 5)} | ${r.calls} | ${r.status} |`,
    ),
    '',
    '## Scaling law per topology',
    '',
    'f(x) = γ / (1 + e^(−β(x − α))) + δ with x = log₂ agents (± standard error).',
    '',
    '| topology | α | β | γ | δ | R² |',
    '| --- | --- | --- | --- | --- | --- |',
    ...Object.entries(fits).map(([topology, fit]) => {
      if (!fit) return `| ${topology} | fewer than 2 sizes: no fit | | | | |`;
      const se = fit.standardErrors;
      const p = (k: keyof LogisticFit['params']) => `${fit.params[k].toFixed(3)}${se ? ` ± ${se[k].toFixed(3)}` : ''}`;
      return `| ${topology} | ${p('alpha')} | ${p('beta')} | ${p('gamma')} | ${p('delta')} | ${fmt(fit.r2)} |`;
    }),
    '',
    '![quality](quality.svg)',
    '',
    '![tokens](tokens.svg)',
    '',
    '![cost against quality](cost-quality.svg)',
    '',
    '## Recommendation',
    '',
    recommendation
      ? `The cheapest configuration within ${within} of the best ${metric}: **${recommendation.topology} with ${recommendation.agents} agent${recommendation.agents === 1 ? '' : 's'}** (${metric} ${fmt(recommendation.quality)}, ${recommendation.tokensPerTask} tokens and ${fmt(recommendation.costPerTaskUsd, 5)} USD per task). Pareto front: ${paretoFront(
          rows
            .filter((r) => r.quality !== null)
            .map((r) => ({ ...r, costUsd: r.costPerTaskUsd ?? 0, quality: r.quality! })),
        )
          .map((r) => `${r.topology}×${r.agents}`)
          .join(' → ')}.`
      : 'No completed cell yet.',
    '',
    'Every number above is a row of results.csv: tokens / task = (tokens + replayedTokens) / answered, cost / task = ' +
      '(costUsd + replayedCostUsd) / answered. Calls a cell got free from the journal (identical requests of another ' +
      "cell, or of a session cut short) count with their exact tokens, priced at the cell's paid cost per token; " +
      'the calls column is what the cell paid, so no call is counted as paid twice.',
    '',
  ];
  return lines.join('\n');
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { topologyNames } from '../graph/index.js';
import type { RunOptions } from '../jobs/api.js';
import type { Sandbox } from '../sandbox/index.js';
import { evaluate, type EvalDataset, type EvalSummary } from './evaluate.js';
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
  calls: number;
  replayedCalls: number;
  /** Tokens per answered task (replayed calls counted at the paid calls' average). */
  tokensPerTask: number;
  /** Cost per answered task (USD; null when a model's price is unknown). */
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
  onCell?: (row: SweepRow, done: number, total: number) => void;
}

/** What a sweep produced. */
export interface SweepResult {
  status: 'completed' | 'interrupted' | 'budget';
  rows: SweepRow[];
  fits: Record<string, LogisticFit | null>;
  recommendation: SweepRow | null;
  files: string[];
}

const primary: Record<EvalDataset, string> = { humaneval: 'pass@1', mc: 'accuracy', commongen: 'coverage' };

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
  if (grid.teams.length > 0 && options.dataset !== 'humaneval')
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
  const rows: SweepRow[] = [];
  const paid: { calls: number; tokens: number; costUsd: number | null } = { calls: 0, tokens: 0, costUsd: 0 };
  let status: SweepResult['status'] = 'completed';
  for (const cell of cells) {
    if (options.run.signal?.aborted) {
      status = 'interrupted';
      break;
    }
    const summary = await evaluate({
      dataset: options.dataset,
      ...(options.datasetPath ? { datasetPath: options.datasetPath } : {}),
      method: cell.method,
      outDir: join(options.outDir, 'cells', cell.name),
      run: options.run,
      ...(options.limit ? { limit: options.limit } : {}),
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(options.sandbox ? { sandbox: options.sandbox } : {}),
    });
    const answered = Math.max(1, summary.answered);
    // calls answered from the journal (an identical request of another cell, or of a session cut short) are this
    // configuration's work too: count them at the average of the paid calls so cells compare fairly
    const { calls, replayedCalls } = summary.totals;
    paid.calls += calls;
    paid.tokens += summary.totals.tokens;
    paid.costUsd =
      paid.costUsd === null || summary.totals.costUsd === null ? null : paid.costUsd + summary.totals.costUsd;
    // a cell whose every call was replayed has no price of its own: the sweep's average per call stands in
    const perCall =
      calls > 0
        ? {
            tokens: summary.totals.tokens / calls,
            costUsd: summary.totals.costUsd === null ? null : summary.totals.costUsd / calls,
          }
        : {
            tokens: paid.tokens / Math.max(1, paid.calls),
            costUsd: paid.costUsd === null ? null : paid.costUsd / Math.max(1, paid.calls),
          };
    const all = calls + replayedCalls;
    const row: SweepRow = {
      topology: cell.topology,
      agents: cell.agents,
      teams: cell.teams,
      metric: primary[options.dataset],
      quality: quality(summary),
      tasks: summary.tasks,
      answered: summary.answered,
      status: summary.status,
      calls: summary.totals.calls,
      replayedCalls: summary.totals.replayedCalls,
      tokensPerTask: Math.round((perCall.tokens * all) / answered),
      costPerTaskUsd: perCall.costUsd === null ? null : (perCall.costUsd * all) / answered,
      durationMs: summary.totals.durationMs,
      model: summary.spec.model,
      seed: summary.spec.seed,
    };
    rows.push(row);
    options.onCell?.(row, rows.length, cells.length);
    if (summary.status !== 'completed') {
      status = summary.status;
      break;
    }
  }
  return writeSweep(options, rows, status);
}

async function writeSweep(
  options: SweepOptions,
  rows: SweepRow[],
  status: SweepResult['status'],
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
  write('report.md', sweepReport(options, rows, fits, recommendation, status, within));
  return { status, rows, fits, recommendation, files };
}

function sweepReport(
  options: SweepOptions,
  rows: readonly SweepRow[],
  fits: Record<string, LogisticFit | null>,
  recommendation: SweepRow | null,
  status: SweepResult['status'],
  within: number,
): string {
  const simulated = rows.some((r) => r.model.startsWith('sim'));
  const metric = primary[options.dataset];
  const fmt = (v: number | null, digits = 3) => (v === null ? 'n/a' : v.toFixed(digits));
  const lines = [
    `# Sweep: ${options.dataset}`,
    '',
    `- model: ${rows[0]?.model ?? options.run.model ?? 'sim'}${simulated ? ' (simulated)' : ''}`,
    `- dataset: ${options.dataset}${options.limit ? `, first ${options.limit} tasks` : ''}`,
    `- seed: ${rows[0]?.seed ?? options.run.seed ?? 0}`,
    `- method: MacNet networks per topology and size${rows.some((r) => r.teams) ? ', and cross-team runs' : ''}`,
    ...(options.commandLine ? [`- command: \`${options.commandLine}\``] : []),
    `- status: ${status}, ${rows.length} cells`,
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
    'Every number above is a row of results.csv. Tokens and cost per task count the calls a cell got from the ' +
      "journal (identical requests of another cell) at the average of the cell's paid calls.",
    '',
  ];
  return lines.join('\n');
}

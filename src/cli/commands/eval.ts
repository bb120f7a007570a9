import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/index.js';
import { ConfigError } from '../../errors/index.js';
import {
  evalDatasetSchema,
  evaluate,
  methodLabel,
  sweep,
  type EvalMethod,
  type SweepOptions,
} from '../../eval/index.js';
import { isTopologyName, topologyNames, type TopologyName } from '../../graph/index.js';
import { resolveModelString } from '../../model/index.js';
import { parseQueueOptions, queueTimeoutOption } from '../queue-options.js';
import { detectSandbox, type Sandbox } from '../../sandbox/index.js';
import { timestampForName } from '../../software/slug.js';
import { resolveStorePath } from '../../store/store-path.js';
import { defineCommand } from '../define-command.js';
import { simulatedBanner } from '../format.js';
import { configFlags } from '../global-options.js';
import type { Register } from '../main.js';
import type { Output } from '../output.js';
import { wholeNumber } from '../parse-flags.js';

function parseMethod(options: Record<string, unknown>): EvalMethod {
  const kind = String(options.method ?? 'single');
  if (kind === 'single' || kind === 'chain') return { kind };
  if (kind === 'teams') return { kind, teams: wholeNumber('--teams', options.teams, 2, 1, 64) };
  if (kind === 'net') {
    const topology = String(options.topology ?? 'chain');
    if (!isTopologyName(topology))
      throw new ConfigError({
        key: '--topology',
        message: `unknown topology '${topology}' (one of ${topologyNames.join(', ')})`,
      });
    return { kind, topology, agents: wholeNumber('--agents', options.agents, 4, 1, 100_000) };
  }
  throw new ConfigError({ key: '--method', message: `--method must be single, chain, net or teams (got '${kind}')` });
}

/** `crosstalk eval <dataset>`: answer a dataset's tasks with a method, score them, write a report. */
export const registerEval: Register = (program, ctx, run) => {
  const command = defineCommand(program, {
    name: 'eval',
    description:
      'evaluate a method on a dataset (humaneval: pass@k in the sandbox; srdd: completeness, executability, ' +
      'consistency and quality; commongen: concept coverage; ' +
      'mc FILE: multiple-choice accuracy); an evaluation is an eval run in the store: continue an interrupted one ' +
      'with crosstalk runs resume <id>, or rerun with the same --out',
    argument: ['<dataset>', "humaneval, srdd, commongen, mc, or 'sweep' (with --dataset)"],
    options: [
      [
        '--dataset-path <path>',
        'the dataset file or data folder (default $CROSSTALK_DATA_DIR); for mc, the JSONL file',
      ],
      ['--method <m>', 'what answers each task: single (default), chain, net or teams'],
      ['--topology <t>', `net: the topology (${topologyNames.join(', ')}; default chain)`],
      ['--agents <n>', 'net: number of agents (default 4); sweep: a list such as 1,2,4,8'],
      ['--teams <k>', 'teams: number of teams (default 2); sweep: team counts run as cross-team cells, e.g. 2,4'],
      ['--limit <n>', 'only the first n tasks'],
      ['--category <list>', 'srdd: only these categories, comma-separated (e.g. Action_Game,Budgeting)'],
      ['--samples <n>', 'answers per task (HumanEval n for pass@k; default 1)'],
      ['--out <dir>', 'evaluation folder (default ./crosstalk-out/eval-<dataset>-<timestamp>)'],
      ['--dataset <name>', 'sweep: the dataset (humaneval, commongen or mc)'],
      ['--topologies <list>', 'sweep: topologies, comma-separated (e.g. chain,star,mesh)'],
      ['--within <d>', 'sweep: recommend the cheapest cell within d of the best quality (default 0.02)'],
      ['--judge-model <model>', 'commongen: a model that rates grammar, fluency, relevance and logic (1–10)'],
      ['--unsafe-no-sandbox', 'run HumanEval programs on the host when no sandbox exists (dangerous)'],
      ['--queue <url>', 'answer each task on `crosstalk worker`s through BullMQ: redis://[user:pass@]host[:port][/db]'],
      queueTimeoutOption,
    ],
  });
  // `eval mc questions.jsonl`: the questions file may follow the dataset name instead of --dataset-path
  command.argument('[file]', 'the dataset file (same as --dataset-path)');
  command.description(
    `${command.description()}. Here --concurrency is tasks answered at once (default 2) and --budget-usd the whole evaluation's budget.`,
  );
  command.action(
    run(async ([first, file], options, out) => {
      if (typeof file === 'string') {
        if (options.datasetPath !== undefined && options.datasetPath !== file)
          throw new ConfigError({
            key: '--dataset-path',
            message: 'give the dataset file once: as an argument or with --dataset-path',
          });
        options.datasetPath = file;
      }
      const isSweep = first === 'sweep';
      const rawDataset = isSweep ? options.dataset : first;
      if (isSweep && rawDataset === undefined)
        throw new ConfigError({
          key: '--dataset',
          message: 'eval sweep needs --dataset humaneval, srdd, commongen or mc',
        });
      const dataset = evalDatasetSchema.safeParse(rawDataset);
      if (!dataset.success)
        throw new ConfigError({
          key: 'dataset',
          message: `unknown dataset '${String(rawDataset)}' (one of ${evalDatasetSchema.options.join(', ')})`,
        });
      const method = isSweep ? undefined : parseMethod(options);
      const flags = configFlags(options);
      const { concurrency, budgetUsd, queue: _queue, queueTimeout: _timeout, ...runFlags } = flags;
      const loaded = loadConfig({ cwd: ctx.cwd, env: ctx.env, flags: runFlags });
      const model = (await resolveModelString({ config: loaded.config, sources: loaded.sources })).model;
      const limit = options.limit === undefined ? undefined : wholeNumber('--limit', options.limit, 0, 1);
      const budget = budgetUsd === undefined ? undefined : Number(budgetUsd);
      if (budget !== undefined && !(budget >= 0))
        throw new ConfigError({ key: '--budget-usd', message: `--budget-usd must be a number ≥ 0 (got ${budgetUsd})` });
      let sandbox: Sandbox | undefined;
      if (dataset.data === 'humaneval' || dataset.data === 'srdd') {
        const choice = detectSandbox({ allowUnsafe: options.unsafeNoSandbox === true });
        if (!choice.sandbox)
          throw new ConfigError({
            key: 'sandbox',
            message: `${dataset.data} runs the answers and no sandbox is available: ${choice.reason}`,
          });
        sandbox = choice.sandbox;
      }
      const outDir = resolve(
        ctx.cwd,
        typeof options.out === 'string'
          ? options.out
          : join('crosstalk-out', `eval-${dataset.data}-${timestampForName()}`),
      );
      if (model.startsWith('sim')) out.note(simulatedBanner);
      const common = {
        dataset: dataset.data,
        ...(typeof options.datasetPath === 'string' ? { datasetPath: resolve(ctx.cwd, options.datasetPath) } : {}),
        outDir,
        run: {
          model,
          store: resolveStorePath(ctx.cwd, loaded.config),
          cwd: ctx.cwd,
          env: ctx.env,
          signal: ctx.signal,
          ...(runFlags.seed !== undefined ? { seed: wholeNumber('--seed', runFlags.seed, 0) } : {}),
          ...(runFlags.config !== undefined ? { configFile: runFlags.config } : {}),
          ...(runFlags.embeddingModel !== undefined ? { embeddingModel: runFlags.embeddingModel } : {}),
          ...(options.unsafeNoSandbox === true ? { allowUnsafeSandbox: true } : {}),
        },
        ...(limit !== undefined ? { limit } : {}),
        ...(typeof options.category === 'string'
          ? {
              categories: options.category
                .split(',')
                .map((c) => c.trim())
                .filter(Boolean),
            }
          : {}),
        concurrency: wholeNumber('--concurrency', concurrency, 2, 1, 256),
        ...(sandbox ? { sandbox } : {}),
        commandLine: ['crosstalk', ...(ctx.argv ?? [])].join(' '),
      };
      const queued = parseQueueOptions(options); // a bad URL fails before any work
      if (!method)
        return runSweep(out, { ...common, ...(budget !== undefined ? { budgetUsd: budget } : {}), ...queued }, options);
      out.note(`eval ${dataset.data} with ${methodLabel(method)} on ${model}: ${outDir}`);
      const summary = await evaluate({
        ...common,
        method,
        samples: wholeNumber('--samples', options.samples, 1, 1, 200),
        ...(typeof options.judgeModel === 'string' ? { judgeModel: options.judgeModel } : {}),
        ...(budget !== undefined ? { budgetUsd: budget } : {}),
        ...queued,
        onRow: (row, done, total) => {
          const score = Object.entries(row.score)
            .map(([k, v]) => `${k} ${typeof v === 'number' ? Number(v.toFixed(3)) : v}`)
            .join(', ');
          out.note(`[${done}/${total}] ${row.id}${row.sample ? ` #${row.sample}` : ''}: ${score} (${row.calls} calls)`);
        },
      });
      out.result({ ok: true, ...summary, outDir });
      for (const [name, value] of Object.entries(summary.scores))
        out.line(
          `${name}: ${
            value === null
              ? 'n/a'
              : typeof value === 'number'
                ? value.toFixed(3)
                : `${value.value.toFixed(3)} (95 % CI ${value.low.toFixed(3)}–${value.high.toFixed(3)})`
          }`,
        );
      for (const note of summary.notes) out.note(note);
      out.note(`${summary.status}: ${summary.answered} answers; ${summary.label}; report ${join(outDir, 'report.md')}`);
      if (summary.status !== 'completed')
        out.note(
          summary.runId
            ? `crosstalk: continue with: crosstalk runs resume ${summary.runId}` +
                `${summary.status === 'budget' ? ' --budget-usd <larger>' : ''} (answered calls are replayed free)`
            : `crosstalk: continue by rerunning with --out ${outDir}`,
        );
      return summary.status === 'completed' ? 0 : summary.status === 'budget' ? 3 : 130;
    }),
  );
};

function numberList(flag: string, raw: unknown, min: number, max: number): number[] {
  if (raw === undefined) return [];
  return String(raw)
    .split(',')
    .map((part) => wholeNumber(flag, part.trim(), 0, min, max));
}

async function runSweep(
  out: Output,
  common: Omit<SweepOptions, 'grid'>,
  options: Record<string, unknown>,
): Promise<number> {
  const topologies = String(options.topologies ?? 'chain')
    .split(',')
    .map((t) => t.trim());
  for (const topology of topologies)
    if (!isTopologyName(topology))
      throw new ConfigError({
        key: '--topologies',
        message: `unknown topology '${topology}' (one of ${topologyNames.join(', ')})`,
      });
  const agents = numberList('--agents', options.agents ?? '1,2,4,8', 1, 100_000);
  const teams = numberList('--teams', options.teams, 1, 64);
  const within = options.within === undefined ? 0.02 : Number(options.within);
  if (!(within >= 0)) throw new ConfigError({ key: '--within', message: `--within must be a number ≥ 0` });
  out.note(`sweep ${common.dataset}: ${topologies.join(', ')} × ${agents.join(', ')} agents → ${common.outDir}`);
  const result = await sweep({
    ...common,
    grid: { topologies: topologies as TopologyName[], agents, teams },
    within,
    onCell: (row, done, total) =>
      out.note(
        `[${done}/${total}] ${row.topology} ×${row.agents}: ${row.metric} ${row.quality === null ? 'n/a' : row.quality.toFixed(3)} (${row.calls} calls, ${row.status})`,
      ),
  });
  out.result({ ok: true, ...result, outDir: common.outDir });
  const r = result.recommendation;
  out.line(r ? `recommended: ${r.topology} ×${r.agents} (${r.metric} ${r.quality?.toFixed(3)})` : 'no completed cell');
  out.note(`${result.status}: ${result.rows.length} cells; ${result.files.join(', ')} in ${common.outDir}`);
  if (result.status !== 'completed' && result.runId)
    out.note(
      `crosstalk: continue with: crosstalk runs resume ${result.runId}` +
        `${result.status === 'budget' ? ' --budget-usd <larger>' : ''} (answered calls are replayed free)`,
    );
  return result.status === 'completed' ? 0 : result.status === 'budget' ? 3 : 130;
}

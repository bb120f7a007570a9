import { z } from 'zod';
import type { ConfigFlags } from '../config/index.js';
import { ConfigError, ExitCode } from '../errors/index.js';
import type { RunOptions } from '../jobs/api.js';
import type { JobEnvironment, JobResult } from '../jobs/job-run.js';
import type { UsageSnapshot } from '../model/middleware/index.js';
import { detectSandbox } from '../sandbox/index.js';
import type { RunStatus } from '../store/index.js';
import { evalDatasetSchema, evaluate } from './evaluate.js';
import { evalMethodSchema } from './methods.js';
import { sweep, sweepGridSchema } from './sweep.js';

const storedRunSchema = z.object({
  model: z.string().optional(),
  roleModels: z.record(z.string(), z.string()).optional(),
  seed: z.number().int().optional(),
  concurrency: z.number().int().positive().optional(),
  maxTokens: z.number().positive().optional(),
  timeoutMs: z.number().positive().optional(),
  configFile: z.string().optional(),
  guardPolicy: z.string().optional(),
  embeddingModel: z.string().optional(),
  allowUnsafeSandbox: z.boolean().optional(),
  telemetry: z.boolean().optional(),
  store: z.string(),
  cwd: z.string(),
});

/** The stored configuration of an `eval` run: a lone evaluation or a sweep, enough to continue it. */
export const evalRunConfigSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('evaluate'),
    dataset: evalDatasetSchema,
    datasetPath: z.string(),
    method: evalMethodSchema,
    outDir: z.string(),
    limit: z.number().int().positive().optional(),
    categories: z.array(z.string()).optional(),
    samples: z.number().int().min(1).max(200).optional(),
    concurrency: z.number().int().positive().optional(),
    budgetUsd: z.number().min(0).optional(),
    judgeModel: z.string().optional(),
    commandLine: z.string().optional(),
    run: storedRunSchema,
  }),
  z.object({
    type: z.literal('sweep'),
    dataset: evalDatasetSchema,
    datasetPath: z.string().optional(),
    grid: sweepGridSchema,
    outDir: z.string(),
    limit: z.number().int().positive().optional(),
    concurrency: z.number().int().positive().optional(),
    within: z.number().min(0).optional(),
    budgetUsd: z.number().min(0).optional(),
    commandLine: z.string().optional(),
    run: storedRunSchema,
  }),
]);
/** An `eval` run's stored configuration. */
export type EvalRunConfig = z.infer<typeof evalRunConfigSchema>;

const emptyUsage = (): UsageSnapshot => ({
  total: { calls: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costUsd: 0, costKnown: true, retries: 0 },
  perAgent: {},
  perModel: {},
});

/**
 * Continues a stored `eval` run (`crosstalk runs resume <id>`, `resumeRun`): the evaluation or sweep runs again
 * with its stored settings into its own folder; answered tasks are kept (steps and `results.jsonl`) and the calls
 * of tasks cut short are replayed free from the journal. A resume may change `--budget-usd` and `--concurrency`
 * (tasks at once) only.
 */
export async function resumeEvalJob(
  environment: JobEnvironment,
  runId: string,
  config: EvalRunConfig,
  overrides: ConfigFlags & { store?: string },
  how: { queue?: string; queueTimeoutMs?: number } = {},
): Promise<JobResult<object>> {
  const started = Date.now();
  const run: RunOptions = {
    ...config.run,
    store: overrides.store ?? config.run.store,
    env: environment.env,
    signal: environment.signal,
    ...(environment.onEvent ? { onEvent: environment.onEvent } : {}),
  };
  const concurrency = overrides.concurrency !== undefined ? Number(overrides.concurrency) : config.concurrency;
  const budget = overrides.budgetUsd !== undefined ? Number(overrides.budgetUsd) : undefined;
  if (budget !== undefined && !(budget >= 0))
    throw new ConfigError({ key: '--budget-usd', message: `--budget-usd must be a number ≥ 0 (got ${budget})` });
  const needsSandbox = config.dataset === 'humaneval' || config.dataset === 'srdd';
  const choice = needsSandbox ? detectSandbox({ allowUnsafe: config.run.allowUnsafeSandbox === true }) : undefined;
  if (needsSandbox && !choice?.sandbox)
    throw new ConfigError({
      key: 'sandbox',
      message: `${config.dataset} runs the answers and no sandbox is available: ${choice?.reason ?? 'none found'}`,
    });
  const sandbox = choice?.sandbox ? { sandbox: choice.sandbox } : {};
  // what a resume may change (budget, tasks at once) over what was stored, and how to reach the queue
  const limit = budget ?? config.budgetUsd;
  const common = {
    run,
    ...sandbox,
    ...(concurrency ? { concurrency } : {}),
    ...(limit !== undefined ? { budgetUsd: limit } : {}),
    resumeId: runId,
    ...(how.queue ? { queue: how.queue } : {}),
    ...(how.queueTimeoutMs !== undefined ? { queueTimeoutMs: how.queueTimeoutMs } : {}),
  };
  let result: { status: 'completed' | 'interrupted' | 'budget' };
  if (config.type === 'evaluate') {
    const { type: _type, run: _run, budgetUsd: _b, concurrency: _c, ...rest } = config;
    result = await evaluate({ ...rest, ...common });
  } else {
    const { type: _type, run: _run, budgetUsd: _b, concurrency: _c, ...rest } = config;
    result = await sweep({ ...rest, ...common });
  }
  const status = result.status;
  const summary: Record<string, unknown> = { ...result };
  const runStatus: RunStatus =
    status === 'completed' ? 'completed' : status === 'budget' ? 'stopped-budget' : 'interrupted';
  const totals = (summary.totals ?? {}) as { calls?: number; replayedCalls?: number; tokens?: number };
  return {
    runId,
    kind: 'eval',
    status: runStatus,
    exitCode: status === 'completed' ? ExitCode.ok : status === 'budget' ? ExitCode.budget : ExitCode.interrupted,
    outDir: config.outDir,
    summary: {
      ...summary,
      runId,
      status: runStatus,
      durationMs: Date.now() - started,
      problems: [],
      usage: emptyUsage(),
      totals: {
        calls: totals.calls ?? 0,
        replayedCalls: totals.replayedCalls ?? 0,
        inputTokens: totals.tokens ?? 0,
        outputTokens: 0,
        costUsd: null,
      },
    },
    ...(status === 'completed'
      ? {}
      : {
          stopped: {
            reason: status === 'budget' ? 'budget reached' : 'interrupted',
            resume: `crosstalk runs resume ${runId}${status === 'budget' ? ' --budget-usd <larger>' : ''}`,
          },
        }),
    replayedCalls: totals.replayedCalls ?? 0,
  };
}

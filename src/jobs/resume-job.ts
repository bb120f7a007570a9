import { existsSync } from 'node:fs';
import type { ConfigFlags } from '../config/index.js';
import { ConfigError, StoreError } from '../errors/index.js';
import { noStore, SqliteRunStore, type RunRecord } from '../store/index.js';
import { crossTeamJobSchema, runCrossTeamJob } from './cross-team-job.js';
import { devJobSchema, runDevJob } from './dev-job.js';
import type { JobEnvironment, JobResult } from './job-run.js';
import { netJobSchema, runNetJob } from './net-job.js';
import { runStoryJob, storyJobSchema } from './story-job.js';

/** Settings a resume may change: spending and speed, never what the run computes. */
const resumableFlags = ['budgetUsd', 'maxTokens', 'concurrency', 'timeoutMs', 'otel'] as const;
/** Settings that decide what a run computes: a resume keeps the run's own, and refuses to be told otherwise. */
const fixedFlags: Record<string, string> = {
  model: '--model',
  roleModels: '--role-models',
  seed: '--seed',
  config: '--config',
};

/** Reads one run from a store file, or says it is not there. */
export function findRun(storePath: string, runId: string): RunRecord {
  const store = existsSync(storePath) ? new SqliteRunStore(storePath, { readOnly: true }) : undefined;
  try {
    const run = store?.getRun(runId);
    if (!run)
      throw new StoreError({
        code: 'RUN_NOT_FOUND',
        path: storePath,
        message: `no run '${runId}' in ${storePath} (see 'crosstalk runs list')`,
      });
    return run;
  } finally {
    store?.close();
  }
}

/**
 * Continues a stored run that was interrupted, crashed, failed or stopped by
 * its budget, through the same job that started it: work already done is
 * kept and answered model calls are replayed free.
 * @param options.storePath the store the run is in; the run continues there.
 * @param options.flagOverrides a larger budget, another concurrency or timeout.
 * @throws StoreError `RUN_NOT_FOUND`, `RUN_COMPLETED`, `RUN_ACTIVE` (still running in a live process), or
 *   `STORE_CORRUPT` when its stored configuration cannot be read.
 */
export async function resumeJob(
  environment: JobEnvironment,
  options: {
    storePath: string;
    runId: string;
    flagOverrides?: ConfigFlags;
    /**
     * `redis://…`: continue on `crosstalk worker`s through BullMQ (a network's nodes; an evaluation's tasks;
     * teams' segments). A run started on the queue may also resume without it: the workers' calls are in its
     * journal.
     */
    queue?: string;
    /** How long Redis may stay unreachable before the run stops again (resumable), ms. */
    queueTimeoutMs?: number;
  },
): Promise<JobResult<object>> {
  const { storePath } = options;
  if (storePath === noStore)
    throw new StoreError({
      code: 'RUN_NOT_FOUND',
      path: storePath,
      message: `run ${options.runId} cannot be resumed from --store none, which keeps no runs; pass the --store it was written to`,
    });
  const record = findRun(storePath, options.runId);
  if (record.status === 'completed' || record.status === 'completed-with-problems')
    throw new StoreError({
      code: 'RUN_COMPLETED',
      path: storePath,
      message: `run ${record.id} is already completed; nothing to resume`,
    });
  const given = options.flagOverrides ?? {};
  for (const [key, flag] of Object.entries(fixedFlags)) {
    if ((given as Record<string, string | undefined>)[key] === undefined) continue;
    // the journal replays answers by request: another model or seed would make the two halves of one run disagree
    throw new ConfigError({
      key: flag,
      message: `${flag} cannot change when resuming run ${record.id}: it continues with the settings it started with (only --budget-usd, --max-tokens, --concurrency, --timeout-ms and --otel may change); start a new run instead`,
    });
  }
  const flagOverrides = {
    ...Object.fromEntries(resumableFlags.filter((k) => given[k] !== undefined).map((k) => [k, given[k]!])),
    store: storePath,
  };
  const start = { resumeId: record.id, flagOverrides };
  const how = options.queue
    ? {
        queue: options.queue,
        ...(options.queueTimeoutMs !== undefined ? { queueTimeoutMs: options.queueTimeoutMs } : {}),
      }
    : {};
  const unreadable = () =>
    new StoreError({
      code: 'STORE_CORRUPT',
      path: storePath,
      message: `run ${record.id} (${record.kind}) cannot be resumed by this version: its stored configuration is not readable`,
    });
  const parse = <T>(schema: { safeParse: (data: unknown) => { success: true; data: T } | { success: false } }): T => {
    const parsed = schema.safeParse(record.config);
    if (!parsed.success) throw unreadable();
    return parsed.data;
  };
  switch (record.kind) {
    case 'net':
      return runNetJob(environment, parse(netJobSchema), start, how);
    case 'dev':
      return runDevJob(environment, parse(devJobSchema), start);
    case 'cross-team':
      return runCrossTeamJob(environment, parse(crossTeamJobSchema), start, how);
    case 'story':
      return runStoryJob(environment, parse(storyJobSchema), start, how);
    case 'eval': {
      // loaded on demand: the evaluation harness sits on top of the run functions that import this module
      const { evalRunConfigSchema, resumeEvalJob } = await import('../eval/eval-job.js');
      return resumeEvalJob(environment, record.id, parse(evalRunConfigSchema), flagOverrides, how);
    }
    default:
      throw new StoreError({
        code: 'STORE_CORRUPT',
        path: storePath,
        message: `run ${record.id} is a '${record.kind}' run, which cannot be resumed`,
      });
  }
}

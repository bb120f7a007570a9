import { hostname } from 'node:os';
import { Worker, type Job } from 'bullmq';
import { createRedisLimiters, type LimiterClient } from './redis-limiter.js';
import { loadConfig, type ConfigFlags } from '../config/index.js';
import { createRuntime, type Runtime } from '../runtime/index.js';
import type { CallUsage } from '../model/middleware/index.js';
import { parseQueueUrl } from './queue-url.js';
import { redisJournalMiddleware, stepScope, type HashClient, type StepScope } from './redis-journal.js';
import { queuePrefix, stepQueueName, type StepJournalEntry, type StepOutcome } from './step-job.js';
import { stepKindNames, stepKindOf } from './steps/index.js';

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  /** `redis://…` or `rediss://…`. */
  queue: string;
  /** Steps worked on at once. Default 4. */
  concurrency?: number;
  cwd: string;
  /** The worker's own environment: provider keys are read from here, never from Redis. */
  env: NodeJS.ProcessEnv;
  /** Config flags of the worker (config file, limits, timeouts); the model of each agent comes with the step. */
  flags?: ConfigFlags;
  /**
   * How long a model-call slot of the shared (Redis) limiter stays held without renewal, ms (default 30 s): the
   * slots of a worker that dies come back after it.
   */
  limiterLeaseMs?: number;
  /**
   * How long a step's lock lasts without renewal, ms (default 30 s); a worker that dies holds its steps this
   * long before another worker takes them. Tests use a short one.
   */
  lockMs?: number;
  /** Told of each step this worker starts (`stepId`: a node id, a task id, a team's segment). */
  onStepStarted?: (step: StepLabel) => void;
  /** Told of each step this worker finished. */
  onStepDone?: (step: StepLabel & { replayed: number; paid: number }) => void;
  /** Told of each step that failed here. */
  onStepFailed?: (step: { stepId: string; error: string }) => void;
}

/** A step as a worker's messages name it. */
export interface StepLabel {
  runId: string;
  stepId: string;
  kind: string;
}

/** A running worker. */
export interface QueueWorker {
  /** The name this worker shows in `crosstalk queue status`. */
  readonly name: string;
  /** Resolves once the worker is connected and taking steps. */
  ready(): Promise<void>;
  /** Graceful stop: takes no new steps and waits for the steps in hand to finish. */
  close(): Promise<void>;
}

/**
 * Starts a stateless queue worker: it takes ready steps from Redis, runs each with models built from its own
 * environment and config, and returns the step's output and the calls it paid for. Keeps nothing between
 * steps but built models; a step it dies on is taken by another worker once its lock runs out (BullMQ's
 * stalled-job detection), and the calls it had answered are replayed from the run's Redis journal.
 */
export function startWorker(options: WorkerOptions): QueueWorker {
  const { connection } = parseQueueUrl(options.queue);
  const name = `${hostname()}:${process.pid}`;
  const lockMs = options.lockMs ?? 30_000;
  let client: HashClient | undefined;
  // one runtime per default model string: built on first use, reused by every later step
  const runtimes = new Map<string, Promise<Runtime>>();
  const calls = new WeakMap<StepScope, CallUsage[]>();
  // the coordinator's limits (published under its run's key) held across all workers: each call waits for a slot
  const limiters = createRedisLimiters({
    client: () => client as unknown as LimiterClient,
    ...(options.limiterLeaseMs !== undefined ? { leaseMs: options.limiterLeaseMs } : {}),
  });
  const runtimeFor = (model: string, seed: number | undefined): Promise<Runtime> => {
    // the coordinator's seed decides seeded models (sim) as it does in process
    const cacheKey = `${model}\u0000${seed ?? ''}`;
    let runtime = runtimes.get(cacheKey);
    if (!runtime) {
      const flags: ConfigFlags = { ...options.flags, model, ...(seed !== undefined ? { seed: String(seed) } : {}) };
      const loaded = loadConfig({ cwd: options.cwd, env: options.env, flags });
      runtime = createRuntime({
        loaded,
        env: options.env,
        journal: (modelString, price) => ({
          journal: redisJournalMiddleware({ client: client!, model: modelString, price }),
          sent: limiters.middleware(modelString),
        }),
      }).then((r) => {
        r.usage.onCall((call) => {
          const scope = stepScope.getStore();
          if (scope) calls.get(scope)?.push(call);
        });
        return r;
      });
      runtimes.set(cacheKey, runtime);
    }
    return runtime;
  };

  const process_ = async (job: Job): Promise<StepOutcome> => {
    const kind = await stepKindOf(job.data?.kind);
    if (!kind)
      throw new Error(
        `unknown step kind ${JSON.stringify(job.data?.kind)} (this worker runs ${stepKindNames().join(', ')}): ` +
          'is it an older version than the coordinator?',
      );
    const step = kind.schema.parse(job.data) as { kind: string; stepId: string; runId: string; attempt: number } & {
      known?: Record<string, unknown>;
      journalFresh?: boolean;
    };
    const label = { runId: step.runId, stepId: step.stepId, kind: step.kind };
    options.onStepStarted?.(label);
    const scope: StepScope = {
      runId: step.runId,
      attempt: step.attempt,
      occurrences: new Map(),
      replayed: 0,
      ...(step.known ? { known: step.known } : {}),
      journal: [],
      // BullMQ counts starts and stalls: a step taken again after a stall looks its answers up
      fresh: step.journalFresh === true && job.attemptsStarted <= 1 && !job.stalledCounter,
    };
    const paid: CallUsage[] = [];
    calls.set(scope, paid);
    const addCalls = (entries: StepJournalEntry[]) => {
      scope.journal!.push(...entries);
      for (const e of entries)
        if (e.source === 'paid')
          paid.push({
            model: e.model,
            agent: e.agent ?? 'unnamed',
            inputTokens: e.inputTokens,
            outputTokens: e.outputTokens,
            cachedInputTokens: 0,
            costUsd: e.costUsd ?? undefined,
            latencyMs: e.latencyMs,
          });
    };
    const context = {
      runtimeFor,
      cwd: options.cwd,
      env: options.env,
      flags: options.flags ?? {},
      addCalls,
      limiterFor: (modelString: string) => limiters.middleware(modelString),
    };
    const output = await stepScope.run(scope, () => kind.run(step, context));
    const result: StepOutcome = {
      output,
      paid: paid.map((c) => ({
        model: c.model,
        agent: c.agent,
        ...(c.scope !== undefined ? { scope: c.scope } : {}),
        inputTokens: c.inputTokens,
        outputTokens: c.outputTokens,
        cachedInputTokens: c.cachedInputTokens,
        ...(c.costUsd !== undefined ? { costUsd: c.costUsd } : {}),
        latencyMs: c.latencyMs,
      })),
      replayed: scope.replayed,
      journal: scope.journal ?? [],
      worker: name,
    };
    options.onStepDone?.({ ...label, replayed: scope.replayed, paid: paid.length });
    return result;
  };

  const worker = new Worker(stepQueueName, process_, {
    connection,
    prefix: queuePrefix,
    name,
    concurrency: options.concurrency ?? 4,
    lockDuration: lockMs,
    stalledInterval: Math.max(500, Math.round(lockMs / 2)),
    // a step whose workers keep dying is failed after a few tries (the coordinator then retries or fails it)
    maxStalledCount: 5,
    autorun: false,
  });
  worker.on('failed', (job, error) => {
    if (job)
      options.onStepFailed?.({
        stepId: String(job.data?.stepId ?? job.data?.nodeId),
        error: error.message.split('\n')[0]!,
      });
  });
  worker.on('error', () => {}); // connection errors: ioredis reconnects; BullMQ retries
  const started = (async () => {
    client = (await worker.client) as unknown as HashClient;
    await worker.waitUntilReady();
    void worker.run();
  })();
  return {
    name,
    ready: () => started,
    close: async () => {
      await started.catch(() => {});
      await worker.close();
      limiters.close();
    },
  };
}

import { hostname } from 'node:os';
import { Worker, type Job } from 'bullmq';
import { createRedisLimiters, type LimiterClient } from './redis-limiter.js';
import { loadConfig, type ConfigFlags } from '../config/index.js';
import type { Agent } from '../agents/index.js';
import { runNodeWork, type ArtifactRunner } from '../network/index.js';
import { createRuntime, type Runtime } from '../runtime/index.js';
import { runCodeAnswer } from '../software/code-answer.js';
import type { CallUsage } from '../model/middleware/index.js';
import { parseQueueUrl } from './queue-url.js';
import { redisJournalMiddleware, stepScope, type HashClient, type StepScope } from './redis-journal.js';
import {
  nodeStepSchema,
  queuePrefix,
  stepQueueName,
  type AgentSpec,
  type NodeStep,
  type NodeStepResult,
} from './step-job.js';

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
  /** Told of each step this worker starts. */
  onStepStarted?: (step: { runId: string; nodeId: string }) => void;
  /** Told of each step this worker finished. */
  onStepDone?: (step: { runId: string; nodeId: string; replayed: number; paid: number }) => void;
  /** Told of each step that failed here. */
  onStepFailed?: (step: { nodeId: string; error: string }) => void;
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
        journal: (modelString) => ({
          journal: redisJournalMiddleware({ client: client!, model: modelString }),
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

  const process_ = async (job: Job): Promise<NodeStepResult> => {
    const step = nodeStepSchema.parse(job.data);
    options.onStepStarted?.({ runId: step.runId, nodeId: step.nodeId });
    const runtime = await runtimeFor(step.agents.actor.model, step.seed);
    const scope: StepScope = { runId: step.runId, attempt: step.attempt, occurrences: new Map(), replayed: 0 };
    const paid: CallUsage[] = [];
    calls.set(scope, paid);
    const work = await stepScope.run(scope, () => runNode(step, runtime));
    const result: NodeStepResult = {
      text: work.text,
      calls: work.calls,
      maxPromptChars: work.maxPromptChars,
      edges: work.edges,
      ...(work.merge ? { merge: work.merge } : {}),
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
      worker: name,
    };
    options.onStepDone?.({ runId: step.runId, nodeId: step.nodeId, replayed: scope.replayed, paid: paid.length });
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
    if (job) options.onStepFailed?.({ nodeId: String(job.data?.nodeId), error: error.message.split('\n')[0]! });
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

/** Runs a node step with the worker's models. */
async function runNode(step: NodeStep, runtime: Runtime) {
  const agent = (spec: AgentSpec): Agent => ({
    name: spec.name,
    role: spec.role,
    model: runtime.modelByString(spec.model),
    ...(spec.temperature !== undefined ? { temperature: spec.temperature } : {}),
    ...(spec.maxOutputTokens !== undefined ? { maxOutputTokens: spec.maxOutputTokens } : {}),
    ...(spec.personaNote !== undefined ? { personaNote: spec.personaNote } : {}),
  });
  const sandbox = step.codeRuns ? runtime.sandbox : undefined;
  const runArtifact: ArtifactRunner | undefined = sandbox?.run
    ? async (text, signal) => {
        const { test } = await runCodeAnswer(text, sandbox, signal);
        const ok = test.outcome === 'exited-ok' || test.outcome === 'timeout-running';
        const exit = test.exitCode !== null ? `, exit code ${test.exitCode}` : '';
        const output = test.output.trim().slice(-1500);
        return { ok, report: `${test.outcome} (${test.rule})${exit}${output ? `\n${output}` : ''}` };
      }
    : undefined;
  return runNodeWork({
    nodeId: step.nodeId,
    task: step.task,
    taskType: step.taskType,
    agents: {
      actor: agent(step.agents.actor),
      critics: new Map(step.agents.critics.map(([from, spec]) => [from, agent(spec)])),
      defaultCritic: agent(step.agents.defaultCritic),
      aggregator: agent(step.agents.aggregator),
    },
    inputs: step.inputs,
    ...(step.edgeRounds !== undefined ? { edgeRounds: step.edgeRounds } : {}),
    ...(step.aggregationGroupSize !== undefined ? { aggregationGroupSize: step.aggregationGroupSize } : {}),
    ...(step.pruneInputs ? { pruneInputs: step.pruneInputs } : {}),
    ...(step.edgeRuns ? { edgeRuns: step.edgeRuns } : {}),
    ...(runArtifact ? { runArtifact } : {}),
    ...(step.seed !== undefined ? { seed: step.seed } : {}),
    ...(step.maxPromptChars !== undefined ? { maxPromptChars: step.maxPromptChars } : {}),
  });
}

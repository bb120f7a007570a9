import { Job, Queue, QueueEvents, type JobsOptions } from 'bullmq';
import { publishRunLimits, runLimitsKey, type StepLimits } from './redis-limiter.js';
import type { Agent } from '../agents/index.js';
import { AbortedError } from '../errors/index.js';
import type { CallUsage } from '../model/middleware/index.js';
import type { NodeExecutor, NodeWorkResult } from '../network/index.js';
import { parseQueueUrl } from './queue-url.js';
import { journalKey } from './redis-journal.js';
import { nodeStepResultSchema, queuePrefix, stepQueueName, type AgentSpec, type NodeStep } from './step-job.js';

/** Options of {@link openQueueExecutor}. */
export interface QueueExecutorOptions {
  /** `redis://…` or `rediss://…`. */
  queue: string;
  /** The coordinator's run id (the workers' call journal is kept per run). */
  runId: string;
  /** The model string of an agent: the node's own model, else the role's. */
  modelOf: (role: string, nodeModel: string | undefined) => string;
  /** Messages for people watching the run (a stalled step, a lost worker). */
  log?: (message: string) => void;
  /** Told of each call a worker paid for, so the coordinator's usage, budget and events count it. */
  onPaid?: (call: CallUsage) => void;
  /** Called before each step is sent; throwing stops it (the run's budget: a spent budget sends no more steps). */
  beforeSend?: () => Promise<void>;
  /**
   * How often steps sent but not answered are looked up in Redis, ms (default 5 s): a result whose event was
   * missed (a reconnect) is picked up, and a step Redis lost (a restart without persistence) is sent again.
   */
  checkEveryMs?: number;
  /**
   * The coordinator's limits of each model (config `limits`: concurrency, requests and tokens per minute): they
   * are published under the run's key in Redis (again now and then, should Redis restart), and the workers hold
   * them all together through a Redis limiter. Absent: each worker applies only its own config's limits.
   */
  limits?: StepLimits;
}

/** The BullMQ executor of a run: the coordinator's side of the queue. */
export interface QueueExecutor {
  /** Sends a node's work to the workers and waits for its result. */
  executeNode: NodeExecutor;
  /** What the queue did so far. */
  readonly stats: { sent: number; stalled: number; replayed: number; resent: number; workers: Set<string> };
  /** Closes the coordinator's connections and drops the run's Redis journal. */
  close(): Promise<void>;
}

type Pending = {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  data: NodeStep;
  sentAt: number;
};

/**
 * Opens the coordinator's side of the queue. The coordinator keeps the scheduler and the run store (it stays
 * their only writer): each ready node becomes one BullMQ job carrying the task, the node's input artifacts, its
 * agents' roles and model strings, the seed and the options, and never a provider key. A worker's result
 * comes back as the job's return value.
 */
export async function openQueueExecutor(options: QueueExecutorOptions): Promise<QueueExecutor> {
  const { connection } = parseQueueUrl(options.queue);
  const queue = new Queue(stepQueueName, { connection, prefix: queuePrefix });
  const events = new QueueEvents(stepQueueName, { connection, prefix: queuePrefix });
  queue.on('error', () => {}); // reconnects are ioredis's job
  events.on('error', () => {});
  const pending = new Map<string, Pending>();
  const stats = { sent: 0, stalled: 0, replayed: 0, resent: 0, workers: new Set<string>() };
  const attempts = new Map<string, number>();
  events.on('completed', ({ jobId, returnvalue }) => {
    const p = pending.get(jobId);
    if (!p) return;
    pending.delete(jobId);
    p.resolve(typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue);
  });
  events.on('failed', ({ jobId, failedReason }) => {
    const p = pending.get(jobId);
    if (!p) return;
    pending.delete(jobId);
    p.reject(new Error(failedReason || 'the step failed on a worker'));
  });
  events.on('stalled', ({ jobId }) => {
    if (!pending.has(jobId)) return;
    stats.stalled++;
    options.log?.(`step ${jobId} stalled (its worker stopped answering): another worker takes it`);
  });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  // the run's limits, for every worker's shared limiter: written before the first step, and again with each check
  const publishLimits = async () => {
    if (options.limits) await publishRunLimits(await queue.client, options.runId, options.limits);
  };
  await publishLimits();
  const jobOptions: JobsOptions = {
    attempts: 1, // the coordinator's scheduler decides retries; BullMQ only re-runs stalled steps
    // kept a while so a result whose event was missed can still be read (see `check`)
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: { age: 3600, count: 10_000 },
  };
  const checkEveryMs = options.checkEveryMs ?? 5000;
  let checking = false;
  // events can be missed (a reconnect, a Redis restart): steps waiting long are looked up directly
  const check = async () => {
    if (checking) return;
    checking = true;
    try {
      const due = [...pending].filter(([, p]) => Date.now() - p.sentAt >= checkEveryMs).slice(0, 500);
      for (const [jobId, p] of due) {
        const job = await Job.fromId(queue, jobId);
        if (!pending.has(jobId)) continue;
        if (!job) {
          // Redis lost it (restarted without persistence): send it again
          p.sentAt = Date.now();
          stats.resent++;
          options.log?.(`step ${jobId} was lost by Redis: sent again`);
          await queue.add('node', p.data, { ...jobOptions, jobId });
          continue;
        }
        const state = await job.getState();
        if (state === 'completed') {
          pending.delete(jobId);
          p.resolve(job.returnvalue);
        } else if (state === 'failed') {
          pending.delete(jobId);
          p.reject(new Error(job.failedReason || 'the step failed on a worker'));
        } else p.sentAt = Date.now();
      }
    } catch {
      // Redis is away: the next check tries again
    } finally {
      checking = false;
    }
  };
  const timer = setInterval(
    () => {
      void check();
      void publishLimits().catch(() => {});
    },
    Math.max(100, Math.round(checkEveryMs / 2)),
  );
  timer.unref();
  // job ids: the run's id (without ':', which BullMQ refuses) and a counter
  const idBase = options.runId.replace(/[^A-Za-z0-9_-]/g, '_');

  const executeNode: NodeExecutor = async (work, node): Promise<NodeWorkResult> => {
    const spec = (agent: Agent): AgentSpec => ({
      name: agent.name,
      role: agent.role,
      model: options.modelOf(agent.name, node.model),
      ...(agent.temperature !== undefined ? { temperature: agent.temperature } : {}),
      ...(agent.maxOutputTokens !== undefined ? { maxOutputTokens: agent.maxOutputTokens } : {}),
      ...(agent.personaNote !== undefined ? { personaNote: agent.personaNote } : {}),
    });
    const attempt = (attempts.get(work.nodeId) ?? 0) + 1;
    attempts.set(work.nodeId, attempt);
    const data: NodeStep = {
      kind: 'node',
      runId: options.runId,
      attempt,
      nodeId: work.nodeId,
      task: work.task,
      taskType: work.taskType,
      inputs: work.inputs,
      agents: {
        actor: spec(work.agents.actor),
        critics: [...work.agents.critics].map(([from, agent]) => [from, spec(agent)] as [string, AgentSpec]),
        defaultCritic: spec(work.agents.defaultCritic),
        aggregator: spec(work.agents.aggregator),
      },
      ...(work.edgeRounds !== undefined ? { edgeRounds: work.edgeRounds } : {}),
      ...(work.aggregationGroupSize !== undefined ? { aggregationGroupSize: work.aggregationGroupSize } : {}),
      ...(work.pruneInputs ? { pruneInputs: work.pruneInputs } : {}),
      ...(work.edgeRuns ? { edgeRuns: work.edgeRuns } : {}),
      codeRuns: work.runArtifact !== undefined,
      ...(work.seed !== undefined ? { seed: work.seed } : {}),
      ...(work.maxPromptChars !== undefined ? { maxPromptChars: work.maxPromptChars } : {}),
    };
    if (work.signal?.aborted) throw new AbortedError();
    await options.beforeSend?.();
    const jobId = `${idBase}-${++stats.sent}`;
    const done = new Promise<unknown>((resolve, reject) =>
      pending.set(jobId, { resolve, reject, data, sentAt: Date.now() }),
    );
    const onAbort = () => {
      const p = pending.get(jobId);
      pending.delete(jobId);
      p?.reject(new AbortedError());
      void queue.remove(jobId).catch(() => {}); // an active step cannot be removed: its result is ignored
    };
    work.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await queue.add('node', data, { ...jobOptions, jobId });
      const result = nodeStepResultSchema.parse(await done);
      stats.replayed += result.replayed;
      stats.workers.add(result.worker);
      for (const call of result.paid) options.onPaid?.({ ...call, costUsd: call.costUsd });
      return {
        text: result.text,
        calls: result.calls,
        maxPromptChars: result.maxPromptChars,
        edges: result.edges,
        ...(result.merge ? { merge: result.merge } : {}),
      };
    } finally {
      work.signal?.removeEventListener('abort', onAbort);
      pending.delete(jobId);
    }
  };

  return {
    executeNode,
    stats,
    close: async () => {
      clearInterval(timer);
      // the run's published limits go with it (a resumed run publishes them again)
      await (await queue.client).del(runLimitsKey(options.runId)).catch(() => 0);
      for (const p of pending.values()) p.reject(new AbortedError());
      pending.clear();
      const client = await queue.client;
      await client.del(journalKey(options.runId)).catch(() => 0);
      await Promise.all([events.close(), queue.close()]);
    },
  };
}

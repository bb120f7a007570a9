import { randomBytes } from 'node:crypto';
import { Job, Queue, QueueEvents, type JobsOptions } from 'bullmq';
import { publishRunLimits, runLimitsKey, type StepLimits } from './redis-limiter.js';
import type { Agent } from '../agents/index.js';
import { AbortedError, ConfigError } from '../errors/index.js';
import type { CallUsage } from '../model/middleware/index.js';
import type { NodeExecutor, NodeWorkResult } from '../network/index.js';
import { parseQueueUrl } from './queue-url.js';
import { journalKey } from './redis-journal.js';
import {
  nodeOutputSchema,
  queuePrefix,
  stepOutcomeSchema,
  stepQueueName,
  type AgentSpec,
  type NodeStep,
  type StepJournalEntry,
  type StepOutcome,
} from './step-job.js';

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
   * Told of every call of each step that came back, for the coordinator's run store: it journals them as its
   * own, so a resume (with or without the queue) replays them instead of paying again.
   */
  onJournal?: (entries: StepJournalEntry[]) => void;
  /**
   * The answers the coordinator's run store holds for a scope (a node id), by journal key: sent with the step,
   * so a resumed run's worker replays them.
   */
  knownCalls?: (scope: string) => Record<string, unknown> | undefined;
  /**
   * When the run is aborted, how long steps already with workers are waited for, ms (default 30 s): a step that
   * comes back is kept with its calls, so nothing a worker paid for is paid again on resume.
   */
  abortWaitMs?: number;
  /**
   * How often steps sent but not answered are looked up in Redis, ms (default 5 s): a result whose event was
   * missed (a reconnect) is picked up, and a step Redis lost (a restart without persistence) is sent again.
   */
  checkEveryMs?: number;
  /**
   * How long Redis may stay unreachable while steps are out, ms (default 5 minutes): the coordinator waits and
   * reconnects meanwhile; past it, every step in flight fails with an {@link AbortedError} naming the queue, so the
   * run stops cleanly, resumable (with or without the queue). Also how long the first connection may take.
   */
  timeoutMs?: number;
  /**
   * The coordinator's limits of each model (config `limits`: concurrency, requests and tokens per minute): they
   * are published under the run's key in Redis (again now and then, should Redis restart), and the workers hold
   * them all together through a Redis limiter. Absent: each worker applies only its own config's limits.
   */
  limits?: StepLimits;
}

/** The default of {@link QueueExecutorOptions.timeoutMs}: 5 minutes. */
export const defaultQueueTimeoutMs = 5 * 60_000;

/** A step as the coordinator sends it: its kind's data without the fields the executor fills in. */
export type OutgoingStep = { kind: string; stepId: string } & Record<string, unknown>;

/** The BullMQ executor of a run: the coordinator's side of the queue. */
export interface QueueExecutor {
  /** Sends a node's work to the workers and waits for its result. */
  executeNode: NodeExecutor;
  /**
   * Sends one step of any kind and waits for its outcome (its paid calls already counted and journaled).
   * `scope` (or `scopes`) names the journal scopes whose stored answers travel with it.
   */
  send(step: OutgoingStep, options?: { signal?: AbortSignal; scope?: string; scopes?: string[] }): Promise<StepOutcome>;
  /** What the queue did so far. */
  readonly stats: { sent: number; stalled: number; replayed: number; resent: number; workers: Set<string> };
  /**
   * Closes the coordinator's connections and drops the run's Redis journal, unless `keepJournal` (a run that
   * stopped early: a resume through the queue replays the answers of steps that never came back).
   */
  close(options?: { keepJournal?: boolean }): Promise<void>;
}

type Pending = {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  data: Record<string, unknown>;
  sentAt: number;
};

/**
 * Opens the coordinator's side of the queue. The coordinator keeps the scheduler and the run store (it stays
 * their only writer): each ready node becomes one BullMQ job carrying the task, the node's input artifacts, its
 * agents' roles and model strings, the seed and the options, and never a provider key. A worker's result
 * comes back as the job's return value.
 */
export async function openQueueExecutor(options: QueueExecutorOptions): Promise<QueueExecutor> {
  const parsed = parseQueueUrl(options.queue);
  // reconnects go on until the coordinator gives up on Redis: then they stop, so the process can end
  let givenUp = false;
  const connection = {
    ...parsed.connection,
    retryStrategy: (times: number) => (givenUp ? null : Math.max(Math.min(Math.exp(times), 20_000), 1000)),
  };
  const queue = new Queue(stepQueueName, { connection, prefix: queuePrefix });
  const events = new QueueEvents(stepQueueName, { connection, prefix: queuePrefix });
  queue.on('error', () => {}); // reconnects are ioredis's job
  events.on('error', () => {});
  const pending = new Map<string, Pending>();
  const stats = { sent: 0, stalled: 0, replayed: 0, resent: 0, workers: new Set<string>() };
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
  // disconnecting from a Redis that is gone may never settle: given a second at most
  const dropConnections = () => {
    givenUp = true;
    return Promise.race([
      Promise.all([events.disconnect(), queue.disconnect()]).catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, 1000)),
    ]);
  };
  const timeoutMs = options.timeoutMs ?? defaultQueueTimeoutMs;
  const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;
  const { display } = parsed;
  let startTimer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all([queue.waitUntilReady(), events.waitUntilReady()]),
      new Promise((_, reject) => {
        startTimer = setTimeout(
          () =>
            reject(
              new ConfigError({
                key: '--queue',
                message: `cannot reach the queue at ${display} within ${seconds(timeoutMs)} (see --queue-timeout)`,
              }),
            ),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    await dropConnections();
    throw error;
  } finally {
    clearTimeout(startTimer);
  }
  // Redis lost for good: past `timeoutMs` without an answer while steps are out, the run stops (resumable)
  let lost: AbortedError | undefined;
  let lastContact = Date.now();
  let busySince = Date.now();
  let pinging = false;
  const declareLost = () => {
    lost = new AbortedError({
      message:
        `the queue at ${display} was unreachable for ${seconds(timeoutMs)}: the run stopped ` +
        '(resume it with or without --queue)',
    });
    options.log?.(lost.message);
    for (const p of pending.values()) p.reject(lost);
    pending.clear();
    for (const give of givingUp) give(lost);
  };
  const givingUp = new Set<(error: AbortedError) => void>();
  const watch = async () => {
    if (lost) return;
    if (pending.size > 0 && Date.now() - Math.max(lastContact, busySince) > timeoutMs) return declareLost();
    if (pinging) return;
    pinging = true;
    try {
      await ((await queue.client) as unknown as { ping(): Promise<unknown> }).ping();
      lastContact = Date.now();
    } catch {
      // not answered: the next watch looks again
    } finally {
      pinging = false;
    }
  };
  // the run's limits, for every worker's shared limiter: written before the first step, and again with each check
  const publishLimits = async () => {
    if (options.limits) await publishRunLimits(await queue.client, options.runId, options.limits);
  };
  await publishLimits();
  // a run whose Redis journal is empty now (not a resume through the queue): no step's first execution can
  // find answers in it, so workers skip those lookups
  const redis = (await queue.client) as unknown as { exists(key: string): Promise<number> };
  const journalFresh = (await redis.exists(journalKey(options.runId))) === 0;
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
          // its first execution may have answered calls before Redis lost the step: they are looked up
          p.data.journalFresh = false;
          await queue.add(String(p.data.kind), p.data, { ...jobOptions, jobId });
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
  const watcher = setInterval(() => void watch(), Math.max(50, Math.min(1000, Math.round(timeoutMs / 10))));
  watcher.unref();
  timer.unref();
  // job ids: the run's id (without ':', which BullMQ refuses), this session and a counter. The session part
  // matters: Redis keeps finished jobs a while, and a resumed run's job under an old id would not run at all
  // (BullMQ ignores a job whose id it holds) and would be answered with another step's old result
  const idBase = `${options.runId.replace(/[^A-Za-z0-9_-]/g, '_')}-${randomBytes(4).toString('hex')}`;

  const abortWaitMs = options.abortWaitMs ?? 30_000;
  let waitNoted = false;
  const attemptsOf = new Map<string, number>();
  const send = async (
    step: OutgoingStep,
    how: { signal?: AbortSignal | undefined; scope?: string | undefined; scopes?: string[] | undefined } = {},
  ): Promise<StepOutcome> => {
    if (how.signal?.aborted) throw new AbortedError();
    if (lost) throw lost;
    await options.beforeSend?.();
    const attempt = (attemptsOf.get(`${step.kind}\u0000${step.stepId}`) ?? 0) + 1;
    attemptsOf.set(`${step.kind}\u0000${step.stepId}`, attempt);
    let known: Record<string, unknown> | undefined;
    for (const scope of [...(how.scope !== undefined ? [how.scope] : []), ...(how.scopes ?? [])]) {
      const found = options.knownCalls?.(scope);
      if (found) known = { ...known, ...found };
    }
    const data: Record<string, unknown> = {
      ...step,
      runId: options.runId,
      attempt,
      ...(known ? { known } : {}),
      ...(journalFresh ? { journalFresh } : {}),
    };
    const jobId = `${idBase}-${++stats.sent}`;
    if (pending.size === 0) busySince = Date.now();
    const done = new Promise<unknown>((resolve, reject) =>
      pending.set(jobId, { resolve, reject, data, sentAt: Date.now() }),
    );
    done.catch(() => {}); // it may be rejected before it is awaited (sending still waits for Redis)
    // sending waits for Redis while it is away: a loss for good ends the wait
    let giveUpSending: ((error: AbortedError) => void) | undefined;
    const sendingLost = new Promise<never>((_, reject) => {
      giveUpSending = reject;
      givingUp.add(reject);
    });
    sendingLost.catch(() => {});
    let giveUp: NodeJS.Timeout | undefined;
    const onAbort = () => {
      // a waiting step is taken back; one a worker holds is waited for a while, so its paid calls are kept
      void queue.remove(jobId).then(
        (removed) => {
          if (removed === 1) pending.get(jobId)?.reject(new AbortedError());
        },
        () => {},
      );
      if (!waitNoted && abortWaitMs > 0) {
        waitNoted = true;
        options.log?.(
          `waiting up to ${Math.round(abortWaitMs / 1000)} s for steps in flight on workers, so their calls are kept`,
        );
      }
      giveUp = setTimeout(() => pending.get(jobId)?.reject(new AbortedError()), abortWaitMs);
      giveUp.unref();
    };
    how.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([queue.add(step.kind, data, { ...jobOptions, jobId }), sendingLost]);
      lastContact = Date.now();
      const outcome = stepOutcomeSchema.parse(await done);
      stats.replayed += outcome.replayed;
      stats.workers.add(outcome.worker);
      for (const call of outcome.paid) options.onPaid?.({ ...call, costUsd: call.costUsd });
      options.onJournal?.(outcome.journal);
      return outcome;
    } finally {
      givingUp.delete(giveUpSending!);
      if (giveUp) clearTimeout(giveUp);
      how.signal?.removeEventListener('abort', onAbort);
      pending.delete(jobId);
    }
  };

  const executeNode: NodeExecutor = async (work, node): Promise<NodeWorkResult> => {
    const spec = (agent: Agent): AgentSpec => ({
      name: agent.name,
      role: agent.role,
      model: options.modelOf(agent.name, node.model),
      ...(agent.temperature !== undefined ? { temperature: agent.temperature } : {}),
      ...(agent.maxOutputTokens !== undefined ? { maxOutputTokens: agent.maxOutputTokens } : {}),
      ...(agent.personaNote !== undefined ? { personaNote: agent.personaNote } : {}),
    });
    const data: Omit<NodeStep, 'runId' | 'attempt'> = {
      kind: 'node',
      stepId: work.nodeId,
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
    const outcome = await send(data, { signal: work.signal, scope: work.nodeId });
    const result = nodeOutputSchema.parse(outcome.output);
    return {
      text: result.text,
      calls: result.calls,
      maxPromptChars: result.maxPromptChars,
      edges: result.edges,
      ...(result.merge ? { merge: result.merge } : {}),
    };
  };

  return {
    executeNode,
    send,
    stats,
    close: async (how = {}) => {
      clearInterval(timer);
      clearInterval(watcher);
      for (const p of pending.values()) p.reject(new AbortedError());
      pending.clear();
      if (lost) {
        // nothing to say to a Redis that is gone: closing politely would wait for it forever
        await dropConnections();
        return;
      }
      // the run's published limits go with it (a resumed run publishes them again)
      await (await queue.client).del(runLimitsKey(options.runId)).catch(() => 0);
      if (!how.keepJournal) {
        const client = await queue.client;
        await client.del(journalKey(options.runId)).catch(() => 0);
      }
      await Promise.all([events.close(), queue.close()]);
    },
  };
}

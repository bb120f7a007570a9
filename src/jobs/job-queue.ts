import { openQueueExecutor, type QueueExecutor } from '../queue/queue-executor.js';
import type { Runtime } from '../runtime/index.js';
import type { TeamProfile } from '../teams/index.js';
import type { JobRun } from './job-run.js';

/**
 * The model string of a team's agent, as `teamModel` chooses its model: the team's own model serves the team's
 * agents; the judge, the aggregator and the critic serve every team and use the run's (or `overrides`, e.g.
 * `--critic-model`).
 */
export function teamModelString(
  runtime: Runtime,
  team: TeamProfile,
  role: string,
  overrides: Readonly<Record<string, string>> = {},
): string {
  const modelRole = role === 'shared-critic' ? 'critic' : role;
  const shared = ['judge', 'aggregator', 'critic', 'shared-critic'].includes(role);
  return overrides[modelRole] ?? (team.model && !shared ? team.model : runtime.modelString(modelRole));
}

/** How a job runs its steps, apart from its stored configuration. */
export interface QueueRunOptions {
  /**
   * `redis://…` or `rediss://…`: send the job's steps to `crosstalk worker` processes through BullMQ. Not stored
   * with the run (the URL may hold a password). Default: every step runs in this process.
   */
  queue?: string;
  /** How long Redis may stay unreachable before the run stops (resumable), ms. Default 5 minutes. */
  queueTimeoutMs?: number;
}

/** A job's open queue: the executor, and how to close it when the job's work is over. */
export interface JobQueue {
  executor: QueueExecutor;
  /** Closes the queue and notes what it did; `stoppedEarly` keeps the run's Redis journal for a resume. */
  close(stoppedEarly: boolean): Promise<void>;
}

/**
 * Opens the coordinator's side of the queue for a job: the run's limits are published for every worker's shared
 * limiter, workers' paid calls count in the run's usage and budget (checked before each step leaves), their calls
 * join the run's journal, and a resumed run's stored answers travel with its steps. The job stays the run store's
 * only writer.
 */
export async function openJobQueue(run: JobRun, url: string, timeoutMs?: number): Promise<JobQueue> {
  const { runtime, session } = run;
  const executor = await openQueueExecutor({
    queue: url,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    runId: session.id,
    modelOf: (role, nodeModel) => nodeModel ?? runtime.modelString(role),
    log: (message) => runtime.logger.info(message),
    // the run's limits per model, held by all workers together
    limits: {
      concurrency: runtime.concurrency,
      ...(runtime.config.limits?.requestsPerMinute
        ? { requestsPerMinute: runtime.config.limits.requestsPerMinute }
        : {}),
      ...(runtime.config.limits?.tokensPerMinute ? { tokensPerMinute: runtime.config.limits.tokensPerMinute } : {}),
    },
    onPaid: (call) => runtime.usage.record(call),
    // workers cannot see the run's budget: it is checked before each step leaves (a step in flight may pass it)
    beforeSend: async () => (await runtime.budget.reserve(0, 1))(),
    onJournal: (entries) => session.recordStepCalls(entries),
    knownCalls: (scope) => session.knownCalls(scope),
  });
  let open = true;
  return {
    executor,
    close: async (stoppedEarly) => {
      if (!open) return;
      open = false;
      const { sent, stalled, replayed, resent, workers } = executor.stats;
      await executor.close({ keepJournal: stoppedEarly });
      runtime.logger.info(
        `queue: ${sent} steps on ${workers.size} worker(s), ${stalled} stalled and re-run, ${replayed} call(s) replayed` +
          (resent ? `, ${resent} lost by Redis and sent again` : ''),
      );
    },
  };
}

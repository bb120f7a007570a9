import { Queue } from 'bullmq';
import { parseQueueUrl } from './queue-url.js';
import { queuePrefix, stepQueueName } from './step-job.js';

/** What `crosstalk queue status` shows. */
export interface QueueStatus {
  /** The queue's URL without its password. */
  queue: string;
  /** Workers connected now, by name (`host:pid`). */
  workers: string[];
  waiting: number;
  active: number;
  failed: number;
  delayed: number;
  /** Steps being worked on now: run id, kind and step id (a node id, a task id, a team's segment). */
  activeSteps: Array<{ runId: string; kind: string; stepId: string }>;
}

/** Reads the queue's state: connected workers, waiting and active steps. */
export async function queueStatus(url: string, options: { maxActive?: number } = {}): Promise<QueueStatus> {
  const { connection, display } = parseQueueUrl(url);
  // one attempt per command: a status look-up should say the server is down, not wait for it
  const queue = new Queue(stepQueueName, {
    connection: { ...connection, maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: false },
    prefix: queuePrefix,
  });
  queue.on('error', () => {});
  try {
    await queue.waitUntilReady();
    const [workers, counts, active] = await Promise.all([
      queue.getWorkers(),
      queue.getJobCounts('waiting', 'active', 'failed', 'delayed', 'prioritized'),
      queue.getActive(0, (options.maxActive ?? 20) - 1),
    ]);
    return {
      queue: display,
      workers: workers
        .map((w) => {
          const raw = String(w.rawname ?? '');
          return raw.includes(':w:') ? raw.slice(raw.indexOf(':w:') + 3) : String(w.addr ?? w.id ?? '?');
        })
        .sort(),
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      failed: counts.failed ?? 0,
      delayed: counts.delayed ?? 0,
      activeSteps: active.map((job) => ({
        runId: String(job.data?.runId),
        kind: String(job.data?.kind ?? 'node'),
        stepId: String(job.data?.stepId ?? job.data?.nodeId),
      })),
    };
  } finally {
    await queue.close();
  }
}

import { Queue } from 'bullmq';
import { parseQueueUrl } from './queue-url.js';
import { limiterKeys } from './redis-limiter.js';
import { queuePrefix, stepQueueName } from './step-job.js';

/** The shared rate-limit state of one model (the Redis limiter's, across all workers). */
export interface ModelLimitState {
  model: string;
  /** The limits last applied (absent: not limited). */
  concurrency?: number;
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  /** The rate window, ms (60,000 unless a test or benchmark shortened it). */
  windowMs: number;
  /** Calls holding a slot now (leases not run out). */
  inFlight: number;
  /** The most calls ever in flight at once. */
  peakInFlight: number;
  /** Requests and tokens in the window now: the sliding window with a rate limit, else the current minute. */
  windowRequests: number;
  windowTokens: number;
  /** Calls granted in all (the limiter's keys expire a day after their last use). */
  granted: number;
}

/** What `crosstalk queue status` shows. */
export interface QueueStatus {
  /** The queue's URL without its password. */
  queue: string;
  /** Workers connected now, by name (`host:pid`). */
  workers: string[];
  waiting: number;
  active: number;
  failed: number;
  /** Rate-limit state per model, held across all workers. */
  limits: ModelLimitState[];
  delayed: number;
  /** Steps being worked on now: run id, kind and step id (a node id, a task id, a team's segment). */
  activeSteps: Array<{ runId: string; kind: string; stepId: string }>;
}

/** Reads the queue's state: connected workers, waiting and active steps, and the shared limiter's state per model. */
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
      limits: await limitStates((await queue.client) as unknown as LimitClient),
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

/** The commands {@link limitStates} needs (an ioredis client has them). */
interface LimitClient {
  scan(cursor: string, ...args: Array<string | number>): Promise<[string, string[]]>;
  hgetall(key: string): Promise<Record<string, string>>;
  zcount(key: string, min: string | number, max: string | number): Promise<number>;
  zcard(key: string): Promise<number>;
  time(): Promise<[string, string]>;
  hmget(key: string, ...fields: string[]): Promise<Array<string | null>>;
}

/** Reads the shared limiter's state of every model it has keys for. */
async function limitStates(client: LimitClient): Promise<ModelLimitState[]> {
  const stateKeys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await client.scan(cursor, 'MATCH', `${queuePrefix}:limits:*:state`, 'COUNT', 200);
    cursor = next;
    stateKeys.push(...found);
  } while (cursor !== '0' && stateKeys.length < 1000);
  const [seconds, micros] = await client.time();
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const states = await Promise.all(
    [...new Set(stateKeys)].map(async (key): Promise<ModelLimitState> => {
      const model = key.slice(`${queuePrefix}:limits:`.length, -':state'.length);
      const keys = limiterKeys(model);
      const state = await client.hgetall(key);
      const n = (field: string) => Number(state[field] ?? 0);
      const windowMs = n('windowMs') || 60_000;
      const bucket = `${windowMs}:${Math.floor(now / windowMs)}`;
      const sliding = n('requests') > 0 || n('tokens') > 0;
      const [inFlight, logged, [requests, tokens]] = await Promise.all([
        client.zcount(keys.held, `(${now}`, '+inf'),
        client.zcount(keys.log, `(${now - windowMs}`, '+inf'),
        client.hmget(keys.windows, `${bucket}:r`, `${bucket}:t`),
      ]);
      // with a rate limit, the sliding window the limiter decides by; else the current fixed window's counts
      const windowRequests = sliding ? logged : Number(requests ?? 0);
      const windowTokens = sliding ? Math.max(0, n('used')) : Number(tokens ?? 0);
      return {
        model,
        ...(n('concurrency') ? { concurrency: n('concurrency') } : {}),
        ...(n('requests') ? { requestsPerMinute: n('requests') } : {}),
        ...(n('tokens') ? { tokensPerMinute: n('tokens') } : {}),
        windowMs,
        inFlight,
        peakInFlight: n('peak'),
        windowRequests,
        windowTokens,
        granted: n('granted'),
      };
    }),
  );
  return states.sort((a, b) => a.model.localeCompare(b.model));
}

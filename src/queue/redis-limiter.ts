import { createHash, randomBytes } from 'node:crypto';
import type { LanguageModelV3Middleware } from '@ai-sdk/provider';
import { AbortedError } from '../errors/index.js';
import { abortableSleep, limitsMiddleware, type ModelLimiter, type Permit } from '../model/middleware/index.js';
import { z } from 'zod';
import { stepScope } from './redis-journal.js';
import { queuePrefix } from './step-job.js';

/** The Redis commands the limiter needs (an ioredis client, e.g. a BullMQ worker's, has them). */
export interface ScriptClient {
  evalsha(sha: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>;
}

/** What a worker's limiters need of Redis: the scripts, and reading a run's published limits. */
export interface LimiterClient extends ScriptClient {
  get(key: string): Promise<string | null>;
}

/**
 * The coordinator's limits of each model (config `limits`), held by all workers together; they are not secret.
 * `windowMs` is the rate window: one minute unless a test or benchmark shortens it.
 */
export const stepLimitsSchema = z.object({
  concurrency: z.number().int().positive().optional(),
  requestsPerMinute: z.number().int().positive().optional(),
  tokensPerMinute: z.number().int().positive().optional(),
  windowMs: z.number().int().positive().optional(),
});
/** The limits of a run, per model. */
export type StepLimits = z.infer<typeof stepLimitsSchema>;

/** The Redis key under which a run's coordinator publishes its limits. */
export const runLimitsKey = (runId: string) => `${queuePrefix}:run-limits:${runId}`;

/** Publishes a run's limits for its workers (kept a day; the coordinator writes them again now and then). */
export async function publishRunLimits(
  client: { set(key: string, value: string, options: { EX: number }): Promise<unknown> },
  runId: string,
  limits: StepLimits,
): Promise<void> {
  await client.set(runLimitsKey(runId), JSON.stringify(stepLimitsSchema.parse(limits)), { EX: 24 * 3600 });
}

/** The Redis keys of one model's shared limits. */
export function limiterKeys(model: string) {
  const base = `${queuePrefix}:limits:${model}`;
  return {
    /** Sorted set: lease id → lease expiry (ms); a holder that dies stops renewing and its slot comes back. */
    held: `${base}:held`,
    /** Sorted set: `lease|tokens` → grant time (ms); the sliding window of requests and tokens. */
    log: `${base}:log`,
    /** Hash: the limits last applied, tokens in the window, the peak in flight, grants in all. */
    state: `${base}:state`,
    /** Hash: `windowMs:bucket:r|t` → requests and tokens granted in each fixed window (for status and audits). */
    windows: `${base}:windows`,
  };
}

/** Everything the limiter keeps in Redis is dropped a day after its last write. */
const ttlMs = 24 * 3600 * 1000;

/** The script's clock: the caller's (tests) or the Redis server's, one clock for every worker. */
const clock = `
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

// A request counts against the window from its grant until a window after it ends (its log entry's time is
// moved to its end, and to each lease renewal while it runs): a provider counts a request when it arrives,
// which is some time after the grant, and never after the end.
// ARGV: now, lease, leaseMs, concurrency, requests, tokens per window, windowMs, tokens, publish (1: write the
// limits for `queue status` and refresh the keys' expiry)
const acquireScript = `${clock}
local lease, leaseMs = ARGV[2], tonumber(ARGV[3])
local cap, rpm, tpm, win, tokens = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local rate = rpm > 0 or tpm > 0
local held = 0
local wait = -2
if cap > 0 then
  held = redis.call('ZCARD', KEYS[1])
  if held >= cap then
    -- leases that ran out (their holder died) come back
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
    held = redis.call('ZCARD', KEYS[1])
    if held >= cap then wait = -1 end
  end
end
if rate then
  local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - win)
  if #old > 0 then
    local sum = 0
    for i = 1, #old do sum = sum + tonumber(string.match(old[i], '|(%-?%d+)$')) end
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - win)
    redis.call('HINCRBY', KEYS[3], 'used', -sum)
  end
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  local retry = 1
  if oldest[2] then retry = math.max(1, tonumber(oldest[2]) + win - now + 1) end
  if rpm > 0 and redis.call('ZCARD', KEYS[2]) >= rpm then wait = math.max(wait, retry) end
  if tpm > 0 then
    local used = tonumber(redis.call('HGET', KEYS[3], 'used') or '0')
    if used > 0 and used + tokens > tpm then wait = math.max(wait, retry) end
  end
end
if ARGV[9] == '1' then
  redis.call('HSET', KEYS[3], 'concurrency', cap, 'requests', rpm, 'tokens', tpm, 'windowMs', win)
end
if wait > -2 then return {0, wait, now} end
if cap > 0 then
  redis.call('ZADD', KEYS[1], now + leaseMs, lease)
  held = held + 1
  local peak = tonumber(redis.call('HGET', KEYS[3], 'peak') or '0')
  if held > peak then
    -- count only live leases before raising the peak
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
    held = redis.call('ZCARD', KEYS[1])
    if held > peak then redis.call('HSET', KEYS[3], 'peak', held) end
  end
end
if rate then
  redis.call('ZADD', KEYS[2], now, lease .. '|' .. tokens)
  redis.call('HINCRBY', KEYS[3], 'used', tokens)
end
redis.call('HINCRBY', KEYS[3], 'granted', 1)
local bucket = win .. ':' .. math.floor(now / win)
redis.call('HINCRBY', KEYS[4], bucket .. ':r', 1)
redis.call('HINCRBY', KEYS[4], bucket .. ':t', tokens)
if ARGV[9] == '1' then
  local keep = math.max(leaseMs, win) * 2 + 60000
  redis.call('PEXPIRE', KEYS[1], keep)
  if rate then redis.call('PEXPIRE', KEYS[2], keep) end
  redis.call('PEXPIRE', KEYS[3], ${ttlMs})
  redis.call('PEXPIRE', KEYS[4], ${ttlMs})
end
return {1, held, now}
`;

// ARGV: now, lease, estimated tokens, actual tokens ('' = unknown), the grant's fixed-window field
const releaseScript = `${clock}
redis.call('ZREM', KEYS[1], ARGV[2])
local member = ARGV[2] .. '|' .. ARGV[3]
local tokens = ARGV[3]
if ARGV[4] ~= '' then tokens = ARGV[4] end
local delta = tonumber(tokens) - tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[2], member) then
  -- the request stays in the window for a window after its end
  redis.call('ZREM', KEYS[2], member)
  redis.call('ZADD', KEYS[2], now, ARGV[2] .. '|' .. tokens)
  if delta ~= 0 then redis.call('HINCRBY', KEYS[3], 'used', delta) end
end
if delta ~= 0 then redis.call('HINCRBY', KEYS[4], ARGV[5] .. ':t', delta) end
return 1
`;

// ARGV: now, leaseMs, then pairs of lease id and window-log member (only leases still held are renewed)
const renewScript = `${clock}
local n = 0
for i = 3, #ARGV, 2 do
  n = n + redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[i])
  redis.call('ZADD', KEYS[2], 'XX', now, ARGV[i + 1])
end
return n
`;

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const scripts = {
  acquire: { text: acquireScript, sha: sha1(acquireScript) },
  release: { text: releaseScript, sha: sha1(releaseScript) },
  renew: { text: renewScript, sha: sha1(renewScript) },
};

/** Runs a script by its hash, loading it when Redis does not have it (a restart forgets scripts). */
async function runScript(
  client: ScriptClient,
  script: { text: string; sha: string },
  keys: string[],
  args: Array<string | number>,
): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!String((error as Error)?.message).includes('NOSCRIPT')) throw error;
    return client.eval(script.text, keys.length, ...keys, ...args);
  }
}

/** Options of {@link createRedisLimiter}. */
export interface RedisLimiterOptions {
  client: ScriptClient;
  /** The model string the limits are kept for (one set of Redis keys per model). */
  model: string;
  /** The coordinator's limits. A limit left out is not applied. */
  limits: StepLimits;
  /** How long a held slot stays held without renewal, ms (default 30 s); holders renew every third of it. */
  leaseMs?: number;
  /** How often a call waiting for a slot asks Redis again, ms (default 20). */
  pollMs?: number;
  /** Clock in ms for every limiter decision (tests); default the Redis server's clock, shared by all workers. */
  now?: () => number;
  /** Sleep used while waiting (tests pair it with `now`). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A limiter whose state lives in Redis: what one process sees of a model's limits shared by all workers. */
export interface RedisModelLimiter extends ModelLimiter {
  /** Calls this process was let through. */
  readonly granted: number;
  /** Redis round trips this process made (acquire attempts, releases, renewals). */
  readonly roundTrips: number;
  /** Renews the leases held now (also done on a timer every third of the lease). */
  renew(): Promise<void>;
  /** Stops renewing (held slots come back once their leases run out). */
  close(): void;
}

interface Waiter {
  tokens: number;
  resolve: (permit: Permit) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  done: boolean;
}

/**
 * Creates a limiter for one model whose state lives in Redis, so that every worker together keeps the
 * coordinator's limits: a concurrency semaphore of leased slots (a holder renews its leases; a holder that
 * dies stops renewing and its slots come back when the lease runs out), and a sliding window (one minute by
 * default) of request starts and of tokens (estimated at the start, corrected at the end). Each decision is
 * one atomic Lua script on the Redis server's clock. In this process, calls that must wait queue in FIFO
 * order and only the first asks Redis again, so waiting costs Redis one request per poll, not one per call.
 */
export function createRedisLimiter(options: RedisLimiterOptions): RedisModelLimiter {
  const { client } = options;
  const keys = limiterKeys(options.model);
  const keyList = [keys.held, keys.log, keys.state, keys.windows];
  const leaseMs = Math.max(100, options.leaseMs ?? 30_000);
  const pollMs = Math.max(1, options.pollMs ?? 20);
  const sleep = options.sleep ?? abortableSleep;
  const cap = Math.max(0, Math.floor(options.limits.concurrency ?? 0));
  const rpm = Math.max(0, Math.floor(options.limits.requestsPerMinute ?? 0));
  const tpm = Math.max(0, Math.floor(options.limits.tokensPerMinute ?? 0));
  const windowMs = Math.max(1, Math.floor(options.limits.windowMs ?? 60_000));
  const prefix = `${process.pid}.${randomBytes(4).toString('hex')}`;
  let counter = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let granted = 0;
  let roundTrips = 0;
  /** Leases held now, with their window-log members. */
  const held = new Map<string, string>();
  let publishAt = 0;
  const queue: Waiter[] = [];
  let pumping = false;
  let denied = 0;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const renew = async () => {
    if (held.size === 0 || cap === 0) return;
    roundTrips++;
    await runScript(
      client,
      scripts.renew,
      [keys.held, keys.log],
      [options.now ? options.now() : '', leaseMs, ...[...held].flat()],
    );
  };
  const startRenewing = () => {
    if (timer || closed || cap === 0) return;
    timer = setInterval(() => void renew().catch(() => {}), Math.max(50, Math.round(leaseMs / 3)));
    timer.unref();
  };
  const stopRenewingIfIdle = () => {
    if (held.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  /** One attempt: a permit, or how long to wait (-1: until a slot is released). */
  const attempt = async (tokens: number): Promise<Permit | number> => {
    const lease = `${prefix}.${++counter}`;
    // the limits (for `queue status`) and the keys' expiry are written now and then, not on every call
    const publish = Date.now() >= publishAt;
    roundTrips++;
    const [ok, value, now] = (await runScript(client, scripts.acquire, keyList, [
      options.now ? options.now() : '',
      lease,
      leaseMs,
      cap,
      rpm,
      tpm,
      windowMs,
      tokens,
      publish ? 1 : 0,
    ])) as [number, number, number];
    if (ok !== 1) return value;
    if (publish) publishAt = Date.now() + 10_000;
    granted++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    if (cap > 0) {
      held.set(lease, `${lease}|${tokens}`);
      startRenewing();
    }
    const bucket = `${windowMs}:${Math.floor(now / windowMs)}`;
    let released = false;
    return {
      release(actualTokens) {
        if (released) return;
        released = true;
        inFlight--;
        held.delete(lease);
        stopRenewingIfIdle();
        const actual = actualTokens === undefined ? '' : Math.round(actualTokens);
        roundTrips++;
        // not awaited: the call's result does not wait for the bookkeeping; a lost release ends with its lease
        void runScript(client, scripts.release, keyList, [
          options.now ? options.now() : '',
          lease,
          tokens,
          actual,
          bucket,
        ])
          .catch(() => {})
          .finally(() => wake?.());
      },
    };
  };

  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      while (queue.length > 0) {
        const head = queue[0]!;
        if (head.done) {
          queue.shift();
          continue;
        }
        let result: Permit | number;
        try {
          result = await attempt(head.tokens);
        } catch {
          result = pollMs * 10; // Redis is away: ask again a little later
        }
        if (typeof result !== 'number') {
          denied = 0;
          queue.shift();
          if (head.done) result.release();
          else {
            head.done = true;
            head.resolve(result);
          }
          continue;
        }
        // waiting for a slot another worker holds: ask again sooner after a release here, else back off (up to
        // ten polls) so that many waiting workers do not keep Redis busy
        denied = result < 0 ? Math.min(denied * 2 || 1, 10) : 0;
        const waitMs = result < 0 ? pollMs * denied : Math.max(1, Math.min(result, 60_000));
        await new Promise<void>((resolve) => {
          wake = resolve;
          void sleep(waitMs).then(resolve, resolve);
          if (head.signal?.aborted) resolve();
        });
        wake = undefined;
      }
    } finally {
      pumping = false;
    }
  };

  return {
    async acquire(estimatedTokens, signal) {
      if (signal?.aborted) throw new AbortedError();
      const tokens = Math.max(0, Math.round(tpm ? Math.min(estimatedTokens, tpm) : estimatedTokens));
      if (queue.length === 0) {
        // nobody here is waiting: ask at once (calls ask in parallel until one is refused)
        const result = await attempt(tokens).catch(() => pollMs);
        if (typeof result !== 'number') {
          if (!signal?.aborted) return result;
          result.release();
          throw new AbortedError();
        }
      }
      return new Promise<Permit>((resolve, reject) => {
        const waiter: Waiter = { tokens, resolve, reject, signal, done: false };
        const onAbort = () => {
          if (waiter.done) return;
          waiter.done = true;
          reject(new AbortedError());
          wake?.();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiter.resolve = (permit) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(permit);
        };
        queue.push(waiter);
        void pump();
      });
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get queued() {
      return queue.filter((w) => !w.done).length;
    },
    get granted() {
      return granted;
    },
    get roundTrips() {
      return roundTrips;
    },
    renew,
    close() {
      closed = true;
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

/** Redis limiters of one process, one per model and set of limits (built on first use). */
export interface RedisLimiters {
  /** The limiter of a model under the given limits. */
  limiter(model: string, limits: StepLimits): RedisModelLimiter;
  /**
   * Middleware that makes each call of a model wait for the shared limiter, under the limits the coordinator
   * published for the run of the step being worked on ({@link stepScope}); calls outside a step, or of a run
   * with no published limits, pass straight on.
   */
  middleware(model: string): LanguageModelV3Middleware;
  /** Stops every limiter's lease renewal. */
  close(): void;
}

/** How long a worker trusts what it read of a run's limits, ms (a run's limits do not change; a miss may). */
const limitsCacheMs = { found: 10 * 60_000, missing: 2000 };

/** Creates the Redis limiters of a worker process. */
export function createRedisLimiters(
  options: Omit<RedisLimiterOptions, 'model' | 'limits' | 'client'> & { client: () => LimiterClient },
): RedisLimiters {
  const limiters = new Map<string, RedisModelLimiter>();
  const runs = new Map<string, { limits: Promise<StepLimits | undefined>; until: number }>();
  const limitsOf = (runId: string): Promise<StepLimits | undefined> => {
    const now = Date.now();
    const cached = runs.get(runId);
    if (cached && cached.until > now) return cached.limits;
    const entry = { until: now + limitsCacheMs.missing, limits: Promise.resolve<StepLimits | undefined>(undefined) };
    entry.limits = options
      .client()
      .get(runLimitsKey(runId))
      .then((text) => {
        if (text === null) return undefined;
        entry.until = Date.now() + limitsCacheMs.found;
        return stepLimitsSchema.parse(JSON.parse(text));
      })
      .catch(() => {
        entry.until = 0; // Redis is away or the text is bad: ask again next time
        return cached ? cached.limits : undefined;
      });
    runs.set(runId, entry);
    for (const [id, e] of runs) if (e.until < now - limitsCacheMs.found) runs.delete(id);
    return entry.limits;
  };
  const limiter = (model: string, limits: StepLimits) => {
    const key = `${model}\u0000${limits.concurrency ?? ''}:${limits.requestsPerMinute ?? ''}:${
      limits.tokensPerMinute ?? ''
    }:${limits.windowMs ?? ''}`;
    let found = limiters.get(key);
    if (!found) {
      found = createRedisLimiter({ ...options, client: options.client(), model, limits });
      limiters.set(key, found);
    }
    return found;
  };
  return {
    limiter,
    middleware(model) {
      const wrapped = new Map<RedisModelLimiter, LanguageModelV3Middleware>();
      const inner = async () => {
        const scope = stepScope.getStore();
        const limits = scope ? await limitsOf(scope.runId) : undefined;
        if (!limits) return undefined;
        const found = limiter(model, limits);
        let mw = wrapped.get(found);
        if (!mw) {
          mw = limitsMiddleware(found);
          wrapped.set(found, mw);
        }
        return mw;
      };
      return {
        specificationVersion: 'v3',
        wrapGenerate: async (args) => {
          const mw = await inner();
          return mw?.wrapGenerate ? mw.wrapGenerate(args) : args.doGenerate();
        },
        wrapStream: async (args) => {
          const mw = await inner();
          return mw?.wrapStream ? mw.wrapStream(args) : args.doStream();
        },
      };
    },
    close() {
      for (const l of limiters.values()) l.close();
    },
  };
}

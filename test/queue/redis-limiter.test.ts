import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RedisConnection } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { generateTopology, validateGraph } from '../../src/graph/index.js';
import { executeNetwork } from '../../src/network/index.js';
import {
  createRedisLimiter,
  limiterKeys,
  openQueueExecutor,
  parseQueueUrl,
  queueStatus,
  startWorker,
  type LimiterClient,
  type QueueWorker,
  runLimitsKey,
  type ScriptClient,
} from '../../src/queue/index.js';
import { createRuntime } from '../../src/runtime/index.js';
import { runInProcess, tempDir } from '../support/run-cli.js';
import { waitFor } from '../support/wait-for.js';
import { type RedisServer, redisServerPath, startRedisServer } from '../support/redis.js';

const redisServer = redisServerPath();

/** The commands the tests read Redis with (an ioredis client has them). */
type Client = ScriptClient & {
  hgetall(key: string): Promise<Record<string, string>>;
  hget(key: string, field: string): Promise<string | null>;
  flushdb(): Promise<unknown>;
  del(key: string): Promise<number>;
};

/** Requests (`:r`) or tokens (`:t`) granted in each fixed window of a model, from the limiter's own record. */
async function perWindow(client: Client, model: string, what: 'r' | 't'): Promise<number[]> {
  const windows = await client.hgetall(limiterKeys(model).windows);
  return Object.entries(windows)
    .filter(([field]) => field.endsWith(`:${what}`))
    .map(([, value]) => Number(value));
}

/** A clock the tests move: waiting advances it instead of taking time. */
function fakeClock() {
  const clock = { t: 1_000_000_000 };
  return {
    clock,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

describe.skipIf(!redisServer)(
  'the Redis limiter with a real redis-server (skipped: redis-server not installed)',
  () => {
    let server: RedisServer;
    const connections: RedisConnection[] = [];
    const connect = async (): Promise<Client> => {
      const connection = new RedisConnection(parseQueueUrl(server.url).connection);
      connections.push(connection);
      return (await connection.client) as unknown as Client;
    };
    let admin: Client;

    beforeAll(async () => {
      server = await startRedisServer(tempDir('crosstalk-redis-'));
      admin = await connect();
    });
    afterAll(async () => {
      await Promise.all(connections.map((c) => c.close()));
      await server?.stop();
    });

    it('several clients in parallel never hold more slots than the concurrency cap', async () => {
      const model = 'sim?case=concurrency';
      const limits = { concurrency: 3 };
      const clients = await Promise.all([connect(), connect(), connect(), connect()]);
      const limiters = clients.map((client) => createRedisLimiter({ client, model, limits, pollMs: 2 }));
      let holding = 0;
      let peak = 0;
      await Promise.all(
        limiters.flatMap((limiter) =>
          Array.from({ length: 25 }, async () => {
            const permit = await limiter.acquire(10);
            holding++;
            peak = Math.max(peak, holding);
            // hold the slot across a Redis round trip, so the other clients ask meanwhile
            await admin.hget(limiterKeys(model).state, 'peak');
            holding--;
            permit.release(10);
          }),
        ),
      );
      for (const limiter of limiters) limiter.close();
      const state = await admin.hgetall(limiterKeys(model).state);
      expect(Number(state.granted)).toBe(100);
      expect(Number(state.peak)).toBeLessThanOrEqual(3);
      expect(Number(state.peak)).toBeGreaterThanOrEqual(2); // the calls did overlap
      expect(peak).toBeLessThanOrEqual(3);
      expect(limiters.reduce((sum, l) => sum + l.granted, 0)).toBe(100);
    });

    it('requests and tokens per window are never exceeded (an injected clock and a 1 s window)', async () => {
      const model = 'sim?case=rate';
      const { now, sleep } = fakeClock();
      // one connection: commands reach Redis in the order their clock readings were taken
      const client = await connect();
      const limits = { requestsPerMinute: 5, tokensPerMinute: 400, windowMs: 1000 };
      const limiters = [0, 1, 2].map(() => createRedisLimiter({ client, model, limits, now, sleep }));
      await Promise.all(
        limiters.flatMap((limiter, i) =>
          Array.from({ length: 14 }, async (_, j) => {
            // tokens: 60 or 120 estimated; the tokens limit binds in some windows, the requests limit in others
            const permit = await limiter.acquire((i + j) % 3 === 0 ? 120 : 60);
            permit.release();
          }),
        ),
      );
      const requests = await perWindow(admin, model, 'r');
      const tokens = await perWindow(admin, model, 't');
      expect(requests.reduce((a, b) => a + b, 0)).toBe(42);
      expect(Math.max(...requests)).toBeLessThanOrEqual(5);
      expect(requests.length).toBeGreaterThanOrEqual(Math.ceil(42 / 5));
      expect(Math.max(...tokens)).toBeLessThanOrEqual(400);
    });

    it('the slots of a SIGKILLed worker process come back once their lease runs out', async () => {
      const model = 'sim?case=sigkill';
      const fixture = fileURLToPath(new URL('./fixtures/hold-slots.ts', import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, server.url, model, '2', '2', '5000'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout!.on('data', (d) => (out += String(d)));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      await waitFor(() => out.includes('held'), 'the child to hold both slots', { timeoutMs: 60_000 });
      const limiter = createRedisLimiter({ client: await connect(), model, limits: { concurrency: 2 }, pollMs: 5 });
      let granted = false;
      const waiting = limiter.acquire(1).then((permit) => {
        granted = true;
        return permit;
      });
      // while the holder lives (and renews its 5 s leases), its slots stay taken
      await waitFor(() => limiter.queued === 1, 'the call to wait for a slot');
      expect(granted).toBe(false);
      child.kill('SIGKILL');
      await exited;
      const permit = await waiting; // its leases ran out: a slot came back
      expect(granted).toBe(true);
      permit.release();
      limiter.close();
    }, 90_000);

    it('a request counts against the window until a window after it ends (a provider counts it on arrival)', async () => {
      const model = 'sim?case=long-call';
      const { clock, now, sleep } = fakeClock();
      const limits = { concurrency: 4, requestsPerMinute: 1, windowMs: 1000 };
      const limiter = createRedisLimiter({ client: await connect(), model, limits, now, sleep, leaseMs: 600 });
      const start = clock.t;
      const long = await limiter.acquire(1);
      // the call runs for 1.5 windows; its lease is renewed meanwhile
      clock.t += 500;
      await limiter.renew();
      clock.t += 1000;
      await limiter.renew();
      long.release();
      const next = await limiter.acquire(1);
      expect(clock.t - start).toBeGreaterThanOrEqual(2500);
      next.release();
      limiter.close();
    });

    it("a killed holder's slots come back once its lease runs out, and not while it renews them", async () => {
      const model = 'sim?case=lease';
      const { clock, now, sleep } = fakeClock();
      const limits = { concurrency: 2 };
      const holder = createRedisLimiter({ client: await connect(), model, limits, now, sleep, leaseMs: 300 });
      const other = createRedisLimiter({ client: await connect(), model, limits, now, sleep, leaseMs: 300 });
      const start = clock.t;
      await holder.acquire(1);
      await holder.acquire(1);
      clock.t += 250;
      await holder.renew(); // alive: the leases now run to start + 550
      holder.close(); // then killed: it never renews or releases again
      const permit = await other.acquire(1);
      expect(clock.t - start).toBeGreaterThanOrEqual(550);
      permit.release();
      other.close();
      const state = await admin.hgetall(limiterKeys(model).state);
      expect(Number(state.peak)).toBe(2);
    });

    it("the coordinator publishes its run's limits for the workers, and again after Redis lost them", async () => {
      const limits = { concurrency: 5, requestsPerMinute: 100 };
      const queue = await openQueueExecutor({
        queue: server.url,
        runId: 'limits-published',
        modelOf: () => 'sim',
        limits,
        checkEveryMs: 200,
      });
      const read = async () => {
        const text = await (admin as unknown as LimiterClient).get(runLimitsKey('limits-published'));
        return text === null ? undefined : JSON.parse(text);
      };
      expect(await read()).toEqual(limits);
      await admin.del(runLimitsKey('limits-published')); // as a Redis restart without persistence would
      await waitFor(async () => (await read()) !== undefined, 'the limits to be published again');
      expect(await read()).toEqual(limits);
      await queue.close();
      expect(await read()).toBeUndefined(); // a finished run leaves nothing behind
    });

    it('a queued net run on 2 workers keeps a requests-per-window limit; waiting workers keep their step locks', async () => {
      const cwd = tempDir();
      const windowMs = 2000;
      const limits = { concurrency: 4, requestsPerMinute: 12, windowMs };
      const graph = validateGraph(generateTopology('small-world', { n: 12, seed: 3 }));
      const runtime = await createRuntime({
        loaded: loadConfig({ cwd, env: {}, flags: { model: 'sim', seed: '7' } }),
        env: {},
      });
      const options = {
        graph,
        task: 'Write a haiku about limits.',
        taskType: 'text' as const,
        model: () => runtime.modelByString('sim'),
        concurrency: 6,
        seed: 7,
      };
      const local = await executeNetwork(options);
      // the coordinator's own calls (the final merge) are made here, outside the workers' limiter
      const coordinator = await createRuntime({
        loaded: loadConfig({ cwd, env: {}, flags: { model: 'sim', seed: '7' } }),
        env: {},
      });

      let started = 0;
      // locks of 2 s: a step's calls wait on the limiter for several seconds in all, longer than one lock
      const workers: QueueWorker[] = [0, 1].map(() =>
        startWorker({
          queue: server.url,
          concurrency: 4,
          cwd,
          env: {},
          lockMs: 2000,
          flags: { store: 'none' },
          onStepStarted: () => started++,
        }),
      );
      await Promise.all(workers.map((w) => w.ready()));
      const queue = await openQueueExecutor({ queue: server.url, runId: 'limits-e2e', modelOf: () => 'sim', limits });
      const queued = executeNetwork({
        ...options,
        model: () => coordinator.modelByString('sim'),
        executeNode: queue.executeNode,
      });
      // the rate-limit state as `queue status` shows it, read while the run waits on the limiter
      const model = 'sim';
      await waitFor(async () => Number(await admin.hget(limiterKeys(model).state, 'granted')) >= 12, 'calls', {
        timeoutMs: 60_000,
      });
      const status = await queueStatus(server.url);
      const result = await queued;
      const { stalled } = queue.stats;
      await queue.close();
      await Promise.all(workers.map((w) => w.close()));

      expect(result.status).toBe(local.status);
      expect(result.final).toBe(local.final);
      // lock renewal went on while steps waited for the limiter: no step was taken from its worker and run again
      expect(stalled).toBe(0);
      expect(started).toBe(graph.spec.nodes.length);
      const requests = await perWindow(admin, model, 'r');
      expect(requests.reduce((a, b) => a + b, 0)).toBe(result.calls - coordinator.usage.snapshot().total.calls);
      expect(requests.length).toBeGreaterThan(1); // the run outlasted one window: the limit really bound
      expect(Math.max(...requests)).toBeLessThanOrEqual(12);
      const state = await admin.hgetall(limiterKeys(model).state);
      expect(Number(state.peak)).toBeLessThanOrEqual(4);
      const shown = status.limits.find((l) => l.model === model);
      expect(shown).toMatchObject({ concurrency: 4, requestsPerMinute: 12, windowMs });
      expect(shown!.windowRequests).toBeLessThanOrEqual(12);
      // as people see it
      const printed = await runInProcess(['queue', 'status', '--queue', server.url], { cwd });
      expect(printed.code).toBe(0);
      expect(printed.stdout).toMatch(
        /^limits of sim: 0\/4 in flight \(peak [1-4]\), \d+\/12 requests and \d+ tokens this 2000 ms$/m,
      );
    }, 120_000);
  },
);

/**
 * Issue 19's queue benchmarks: a network run in process beside the same run on BullMQ workers, with a
 * redis-server of its own on 127.0.0.1 (a free port, nothing kept on disk). Workers are child processes
 * (`bin/crosstalk.js worker`, built by `npm run bench`), so each has its own event loop as on separate
 * machines; on a small shared machine they compete for the same cores. The coordinator runs in this process.
 *
 * `BENCH_QUEUE_WINDOW_MS=10000 npm run bench -- queue` shortens the rate-limit window of the adherence run
 * (the headline figure uses real minutes: the default); `BENCH_QUEUE_PARTS=b` runs only part (b) (default `abc`).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedisConnection } from 'bullmq';
import { loadConfig } from '../src/config/index.js';
import { generateTopology, validateGraph, type ValidatedGraph } from '../src/graph/index.js';
import { executeNetwork } from '../src/network/index.js';
import { limiterKeys, openQueueExecutor, parseQueueUrl, type StepLimits } from '../src/queue/index.js';
import { createRuntime, type Runtime } from '../src/runtime/index.js';
import { startFakeOpenAIServer } from '../src/testing/index.js';
import { median, printTable } from './table.js';

const cliPath = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/crosstalk.js');
const task = 'Write a haiku about queues.';

/** The commands the bench reads Redis with (an ioredis client has them). */
interface Client {
  ping(): Promise<string>;
  info(section: string): Promise<string>;
  hgetall(key: string): Promise<Record<string, string>>;
  flushdb(): Promise<unknown>;
}

function redisServerPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A child process and a promise of its exit. */
interface Child {
  child: ChildProcess;
  stderr: string;
  exited: Promise<void>;
}

function spawnChild(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Child {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const proc: Child = { child, stderr: '', exited: new Promise((done) => child.on('exit', () => done())) };
  child.stderr!.on('data', (d) => (proc.stderr += String(d)));
  return proc;
}

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`queue bench: timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

/** Starts `count` worker processes (each `--concurrency` steps at once) and waits until all take steps. */
async function startWorkers(
  url: string,
  count: number,
  concurrency: number,
  cwd: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ stop(): Promise<void>; cpuSeconds(): number }> {
  const workers = Array.from({ length: count }, () =>
    spawnChild(
      process.execPath,
      [cliPath, 'worker', '--queue', url, '--concurrency', String(concurrency), '--store', 'none'],
      cwd,
      // the worker's own per-model cap (config limits.concurrency) is set above its steps, so the steps at once
      // and the shared limiter are what bind
      { PATH: process.env.PATH, HOME: process.env.HOME, CROSSTALK_CONCURRENCY: '256', ...env },
    ),
  );
  await until(() => workers.every((w) => w.stderr.includes(' ready on ')), `${count} worker(s) to be ready`);
  return {
    cpuSeconds: () => workers.reduce((sum, w) => sum + processCpuSeconds(w.child.pid), 0),
    stop: async () => {
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
    },
  };
}

async function simRuntime(cwd: string, model: string): Promise<Runtime> {
  return createRuntime({
    loaded: loadConfig({ cwd, env: {}, flags: { model, seed: '1', concurrency: '256', store: 'none' } }),
    env: {},
  });
}

/** Commands Redis has processed so far (commands inside scripts included) and its CPU seconds. */
async function redisCounters(client: Client): Promise<{ commands: number; cpuS: number }> {
  const stats = await client.info('stats');
  const cpu = await client.info('cpu');
  const field = (text: string, name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(text)?.[1] ?? 0);
  return {
    commands: field(stats, 'total_commands_processed'),
    cpuS: field(cpu, 'used_cpu_user') + field(cpu, 'used_cpu_sys'),
  };
}

/** CPU seconds a process has used so far (Linux /proc; 0 elsewhere). */
function processCpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return 0;
  }
}

/** The machine's load, for the tables' titles: other people's work shares these cores. */
const machine = () => `load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`;

interface RunOptions {
  graph: ValidatedGraph;
  model: string;
  /** Nodes in flight at the coordinator. */
  concurrency: number;
  /** Queue URL: absent for the in-process run. */
  url?: string;
  limits?: StepLimits;
  signal?: AbortSignal;
  /** CPU seconds used so far by the other processes of the run (workers, Redis). */
  otherCpu?: () => Promise<number>;
}

/** One network run, in process or through the queue; its wall time, answer and calls. */
async function runNetwork(cwd: string, options: RunOptions, runId: string) {
  const runtime = await simRuntime(cwd, options.url ? 'sim' : options.model);
  const queue = options.url
    ? await openQueueExecutor({
        queue: options.url,
        runId,
        modelOf: () => options.model,
        ...(options.limits ? { limits: options.limits } : {}),
        checkEveryMs: 30_000,
      })
    : undefined;
  const otherBefore = (await options.otherCpu?.()) ?? 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await executeNetwork({
    graph: options.graph,
    task,
    taskType: 'text',
    // the coordinator's own calls (the final merge) use the in-process sim
    model: () => runtime.modelByString(options.url ? 'sim' : options.model),
    concurrency: options.concurrency,
    seed: 1,
    ...(queue ? { executeNode: queue.executeNode } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const ms = performance.now() - started;
  const own = process.cpuUsage(cpuBefore);
  const cpuS = (own.user + own.system) / 1e6 + ((await options.otherCpu?.()) ?? 0) - otherBefore;
  const workers = queue?.stats.workers.size ?? 0;
  await queue?.close();
  return { ms, final: result.final, calls: result.calls, status: result.status, workers, cpuS };
}

export async function benchQueue(): Promise<void> {
  const redisServer = redisServerPath();
  if (!redisServer) {
    process.stdout.write('\n## Queue (BullMQ on Redis)\n\nskipped: redis-server is not installed\n');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-bench-queue-'));
  const port = await freePort();
  const server = spawn(
    redisServer,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const serverExited = new Promise<void>((done) => server.on('exit', () => done()));
  let serverOut = '';
  server.stdout.on('data', (d) => (serverOut += String(d)));
  server.stderr.on('data', (d) => (serverOut += String(d)));
  const url = `redis://127.0.0.1:${port}`;
  let connection: RedisConnection | undefined;
  try {
    await until(() => serverOut.includes('Ready to accept connections'), 'redis-server to be ready', 10_000);
    connection = new RedisConnection(parseQueueUrl(url).connection);
    const client = (await connection.client) as unknown as Client;
    const parts = process.env.BENCH_QUEUE_PARTS ?? 'abc';
    if (parts.includes('a')) await zeroLatency(url, client, dir);
    if (parts.includes('b')) await withLatency(url, client, dir);
    if (parts.includes('c')) await rateAdherence(url, client, dir);
  } finally {
    await connection?.close().catch(() => {});
    server.kill('SIGTERM');
    await serverExited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** (a) A zero-latency 5,000-step run in process and on 1, 2 and 4 workers: steps per second and Redis's share. */
async function zeroLatency(url: string, client: Client, cwd: string): Promise<void> {
  const graph = validateGraph(generateTopology('small-world', { n: 5000, seed: 1 }));
  const steps = graph.spec.nodes.length;
  const concurrency = 64;
  // one Redis round trip from this process, median of 500
  const rtts: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t = performance.now();
    await client.ping();
    rtts.push(performance.now() - t);
  }
  const rttMs = median(rtts);
  const local = await runNetwork(cwd, { graph, model: 'sim', concurrency }, 'bench-local');
  const rows: Array<Array<string | number>> = [
    [
      'in process',
      '-',
      local.ms / 1000,
      steps / (local.ms / 1000),
      1,
      '-',
      '-',
      '-',
      local.cpuS / (local.ms / 1000),
      'yes',
    ],
  ];
  for (const count of [1, 2, 4]) {
    const pool = await startWorkers(url, count, 16, cwd);
    const before = await redisCounters(client);
    const run = await runNetwork(
      cwd,
      {
        graph,
        model: 'sim',
        concurrency,
        url,
        limits: { concurrency: 256 },
        otherCpu: async () => pool.cpuSeconds() + (await redisCounters(client)).cpuS,
      },
      `bench-zero-${count}`,
    );
    const after = await redisCounters(client);
    await pool.stop();
    const perStep = (after.commands - before.commands) / steps;
    rows.push([
      `queue, ${count} worker(s) × 16`,
      count,
      run.ms / 1000,
      steps / (run.ms / 1000),
      local.ms / run.ms,
      perStep,
      ((after.cpuS - before.cpuS) * 1e6) / steps,
      (run.ms - local.ms) / steps,
      run.cpuS / (run.ms / 1000),
      run.final === local.final ? 'yes' : 'NO',
    ]);
  }
  printTable(
    `Queue (a): ${steps}-step small-world network, zero-latency sim, coordinator 64 nodes in flight; ` +
      `workers are child processes; one Redis round trip from here: ${(rttMs * 1000).toFixed(0)} µs (median of 500 ` +
      `PINGs); ${machine()}`,
    [
      'mode',
      'workers',
      'wall s',
      'steps/s',
      'speed vs in-process',
      'Redis commands/step (incl. in scripts)',
      'Redis CPU µs/step',
      'extra wall ms/step',
      'CPU cores busy (all processes)',
      'same answer',
    ],
    rows,
  );
}

/**
 * (b) Latency-bound runs: 4 workers × 16 steps against 1 worker × 16 (target at 20 ms a call: ≥ 3.5×). A 200 ms
 * row on a wider graph shows the same comparison when waiting on the model, not the CPU, is what limits a worker.
 * Beside them, the same slots in one process (16 and 64, no queue work): their ratio is what the graph's depth, the
 * latency and the cores allow, the ceiling the workers' ratio is read against.
 */
async function withLatency(url: string, client: Client, cwd: string): Promise<void> {
  const rows: Array<Array<string | number>> = [];
  for (const [latency, n] of [
    [20, 1500],
    [200, 1600],
  ] as const) {
    const graph = validateGraph(generateTopology('small-world', { n, seed: 2 }));
    const model = `sim?latency=${latency}ms`;
    const results: Array<{ count: number; ms: number; calls: number; cpuS: number; same: boolean }> = [];
    let reference: string | undefined;
    // the same slots in one process, where a step costs no queue work: what the graph and the model's latency allow
    const inProcess: Array<{ slots: number; ms: number; calls: number; cpuS: number; same: boolean }> = [];
    for (const slots of [16, 64]) {
      const run = await runNetwork(
        cwd,
        { graph, model, concurrency: slots },
        `bench-latency-${latency}-local-${slots}`,
      );
      reference ??= run.final;
      inProcess.push({ slots, ms: run.ms, calls: run.calls, cpuS: run.cpuS, same: run.final === reference });
    }
    for (const count of [1, 4]) {
      const pool = await startWorkers(url, count, 16, cwd);
      const run = await runNetwork(
        cwd,
        {
          graph,
          model,
          concurrency: 16 * count,
          url,
          limits: { concurrency: 256 },
          otherCpu: async () => pool.cpuSeconds() + (await redisCounters(client)).cpuS,
        },
        `bench-latency-${latency}-${count}`,
      );
      await pool.stop();
      reference ??= run.final;
      results.push({ count, ms: run.ms, calls: run.calls, cpuS: run.cpuS, same: run.final === reference });
    }
    const one = results[0]!.ms;
    const ratio = one / results[1]!.ms;
    for (const r of inProcess)
      rows.push([
        `${latency} ms`,
        n,
        'in process',
        r.slots,
        r.ms / 1000,
        n / (r.ms / 1000),
        r.calls / (r.ms / 1000),
        inProcess[0]!.ms / r.ms,
        r.cpuS / (r.ms / 1000),
        r.same ? 'yes' : 'NO',
        '-',
      ]);
    for (const r of results)
      rows.push([
        `${latency} ms`,
        n,
        r.count,
        16 * r.count,
        r.ms / 1000,
        n / (r.ms / 1000),
        r.calls / (r.ms / 1000),
        one / r.ms,
        r.cpuS / (r.ms / 1000),
        r.same ? 'yes' : 'NO',
        r.count === 1 || latency !== 20 ? '-' : ratio >= 3.5 ? 'yes' : 'NO',
      ]);
  }
  printTable(
    `Queue (b): small-world network on sim with latency; 1 vs 4 worker processes × 16 steps (target: at 20 ms, ` +
      `4 workers ≥ 3.5× one worker's throughput). The in-process rows run the same slots with no queue work: their ` +
      `ratio (64 against 16 slots) is what the graph and the latency allow; ${machine()}`,
    [
      'latency',
      'steps',
      'workers',
      'steps at once',
      'wall s',
      'steps/s',
      'calls/s',
      'ratio vs 1 worker (in process: vs 16 slots)',
      'CPU cores busy (all processes)',
      'same answer',
      'target met',
    ],
    rows,
  );
}

/**
 * (c) Global rate-limit adherence: 4 workers (16 steps each) call an OpenAI-compatible fake provider (20 ms a
 * call) under a configured requests-per-minute limit, for several windows; the provider's own log counts the
 * requests that reached it in each window from the first one, and in the busiest sliding window.
 */
async function rateAdherence(url: string, client: Client, cwd: string): Promise<void> {
  const windowMs = Number(process.env.BENCH_QUEUE_WINDOW_MS ?? 60_000);
  const windows = 3;
  const limit = 240;
  const provider = await startFakeOpenAIServer({ latencyMs: 20 });
  const model = 'openai:gpt-4o-mini';
  await client.flushdb();
  const pool = await startWorkers(url, 4, 16, cwd, { OPENAI_API_KEY: 'bench-key', OPENAI_BASE_URL: provider.url });
  const stop = new AbortController();
  // far more work than the limit lets through in the windows measured: the run is stopped after them
  const graph = validateGraph(generateTopology('small-world', { n: 2000, seed: 3 }));
  const limits: StepLimits = { concurrency: 64, requestsPerMinute: limit, windowMs };
  const run = runNetwork(cwd, { graph, model, concurrency: 64, url, limits, signal: stop.signal }, 'bench-rate');
  await until(() => provider.stats.requests > 0, 'the first request', 60_000);
  const first = provider.stats.log[0]!.at;
  await new Promise((done) => setTimeout(done, windows * windowMs + 1000));
  stop.abort();
  await run.catch(() => {});
  await pool.stop();
  await provider.close();
  const times = provider.stats.log.map((r) => r.at).sort((a, b) => a - b);
  const perWindow = Array.from(
    { length: windows },
    (_, k) => times.filter((t) => t >= first + k * windowMs && t < first + (k + 1) * windowMs).length,
  );
  // the busiest sliding window over the whole run (two pointers)
  let busiest = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while (times[j]! - times[i]! >= windowMs) i++;
    busiest = Math.max(busiest, j - i + 1);
  }
  const recorded = await client.hgetall(limiterKeys(model).windows);
  const limiterMax = Math.max(
    0,
    ...Object.entries(recorded)
      .filter(([field]) => field.endsWith(':r'))
      .map(([, v]) => Number(v)),
  );
  const state = await client.hgetall(limiterKeys(model).state);
  const unit = windowMs === 60_000 ? 'minute' : `${windowMs / 1000} s window`;
  printTable(
    `Queue (c): global rate limit ${limit} requests per ${unit}, 4 worker processes × 16 steps, fake ` +
      `OpenAI-compatible provider (20 ms a call); requests counted by the provider as they arrived (target: ≤ limit ` +
      `in every ${unit}); ${machine()}`,
    [unit, 'requests at the provider', 'limit', 'target met'],
    [
      ...perWindow.map((count, k) => [`${unit} ${k + 1}`, count, limit, count <= limit ? 'yes' : 'NO']),
      [`busiest sliding ${unit}`, busiest, limit, busiest <= limit ? 'yes' : 'NO'],
      [`limiter's own record: busiest fixed ${unit}`, limiterMax, limit, limiterMax <= limit ? 'yes' : 'NO'],
      ['limiter: peak calls in flight (cap 64)', Number(state.peak ?? 0), 64, Number(state.peak) <= 64 ? 'yes' : 'NO'],
    ],
  );
}

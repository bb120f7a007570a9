import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTopology, validateGraph, type ScheduleEvent } from '../src/graph/index.js';
import { RunSession } from '../src/jobs/index.js';
import { SimulatedModel } from '../src/model/index.js';
import { buildModelStack, createModelLimiter, UsageTracker } from '../src/model/middleware/index.js';
import { runNetwork } from '../src/network/index.js';
import { SqliteRunStore } from '../src/store/index.js';
import { median, printTable } from './table.js';

const graph = validateGraph(generateTopology('random', { n: 1000, seed: 3 }));

async function once(withStore: boolean, latencyMs = 0): Promise<{ ms: number; calls: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-bench-store-'));
  const store = withStore ? new SqliteRunStore(join(dir, 'runs.db'), { writeBehind: true }) : undefined;
  const session = store ? RunSession.start(store, { kind: 'net', task: 'bench', config: {} }) : undefined;
  const parts = session?.journal('sim', { input: 0.5, output: 1.5 });
  const model = buildModelStack({
    model: new SimulatedModel({ seed: 3, latency: { kind: 'fixed', ms: latencyMs } }),
    tracker: new UsageTracker(),
    limiter: createModelLimiter({ concurrency: 64 }),
    timeoutMs: 60_000,
    ...(parts ? parts : {}),
  });
  const onEvent = session
    ? (e: ScheduleEvent) => {
        if (e.type === 'step-started') session.stepStarted(e.id, e.attempt);
      }
    : undefined;
  // the store is opened before the clock starts: a first write waits until its writer thread is up
  session?.event('bench-started', null);
  store?.flush();
  const started = performance.now();
  const result = await runNetwork({
    graph,
    task: 'Write a haiku about the sea.',
    taskType: 'text',
    model: () => model,
    concurrency: 64,
    seed: 3,
    ...(onEvent ? { onEvent } : {}),
    ...(session ? { onNodeDone: (id: string, out: { text: string }) => session.stepDone(id, out.text, null) } : {}),
  });
  if (session) session.finish('completed', { answer: result.final });
  // closing is part of the run: it commits the last writes and checkpoints the WAL
  store?.close();
  const ms = performance.now() - started;
  rmSync(dir, { recursive: true, force: true });
  return { ms, calls: result.calls };
}

/** Issue 6: cost of persisting a 1,000-step run (journal, steps, artifacts, events) on zero-latency sim. */
export async function benchStoreOverhead(): Promise<void> {
  await once(false);
  await once(true);
  const without: number[] = [];
  const withStore: number[] = [];
  let calls = 0;
  for (let i = 0; i < 5; i++) {
    const a = await once(false);
    const b = await once(true);
    without.push(a.ms);
    withStore.push(b.ms);
    calls = b.calls;
  }
  const ratio = median(withStore) / median(without);
  // the same with model latency: 1 ms (far faster than any hosted model) and 20 ms
  const latencyRows: Array<Array<string | number>> = [];
  for (const latency of [1, 20]) {
    const plain: number[] = [];
    const stored: number[] = [];
    for (let i = 0; i < 3; i++) {
      plain.push((await once(false, latency)).ms);
      stored.push((await once(true, latency)).ms);
    }
    const a = median(plain);
    const b = median(stored);
    latencyRows.push([`without store, sim latency ${latency} ms`, 1000, calls, a, 1, '-'], [`with store, sim latency ${latency} ms`, 1000, calls, b, b / a, b / a <= 1.15 ? 'yes' : 'NO']);
  }
  printTable(
    'Store overhead: 1,000-node random network, zero-latency sim, SQLite WAL, timed until the store is closed (zero latency: median of 5 interleaved runs, 1 ms and 20 ms: median of 3; target ratio ≤ 1.15)',
    ['run', 'steps', 'calls', 'median ms', 'ratio', 'target met'],
    [
      ['without store', 1000, calls, median(without), 1, '-'],
      ['with store (journal + steps + artifacts + events)', 1000, calls, median(withStore), ratio, ratio <= 1.15 ? 'yes' : 'NO'],
      ...latencyRows,
    ],
  );
  process.stdout.write(
    'At zero latency the sim answers a call in ~30 µs, and journaling a call (canonical JSON and sha256 of the request, then the SQLite row of ~1.7 KB, written with 16 KiB pages) costs more than half as much again, so the zero-latency ratio stays near 2. Moving the writes to a writer thread through a shared-memory ring (branch experiment/store-ring) measured 1.9–2.0×: encoding costs the main thread little, but the thread\'s SQLite work slows the main thread on this 2-vCPU machine. At 1 ms per call with 64 calls in flight the run is still CPU-bound (about 18 calls per millisecond), so the cost shows; at 20 ms, still far faster than a hosted model, it disappears in the waiting.\n',
  );
}

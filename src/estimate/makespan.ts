import { ReadyQueue } from '../graph/ready-queue.js';
/**
 * The calls of one step (a network node): stages run one after another; the
 * chains of a stage run side by side; the calls of a chain one after another.
 * Each call is named by the model string that serves it.
 */
export type StepCalls = ReadonlyArray<ReadonlyArray<ReadonlyArray<string>>>;

/** A step of a planned schedule. */
export interface PlannedStep {
  /** Indices of the steps it waits for. */
  deps: readonly number[];
  stages: StepCalls;
  /** Priority: longer remaining work starts first (as the real scheduler ranks ready steps). */
  rank: number;
}

/** Options of {@link planMakespan}. */
export interface PlanOptions {
  steps: readonly PlannedStep[];
  /** Calls made after every step finished (a network's final merge). */
  finish?: StepCalls;
  /** Steps running at once. */
  concurrency: number;
  /** Calls in flight per model string (each model has its own limiter). */
  callConcurrency: number;
}

/** Result of {@link planMakespan}, in units of one call's latency. */
export interface PlannedMakespan {
  /** Call latencies from the first call to the last, with the limits. */
  calls: number;
  /** The same with unlimited concurrency: the longest dependency path. */
  criticalPathCalls: number;
}

interface CallRef {
  step: number;
  chain: number;
  pos: number;
}

/**
 * List-scheduling simulation of a run in which every call takes the same
 * time: ready steps start, highest rank first, while fewer than
 * `concurrency` run; each model serves at most `callConcurrency` calls at a
 * time, first come first served (the FIFO model limiter). Because all calls
 * last one unit, time advances in whole units and the simulation is exact
 * for this greedy policy. O(calls + steps·log steps).
 */
export function planMakespan(options: PlanOptions): PlannedMakespan {
  const { steps } = options;
  const n = steps.length;
  const finishIndex = n; // the final merge as a pseudo-step after all the others
  const stagesOf = (s: number): StepCalls => (s === finishIndex ? (options.finish ?? []) : steps[s]!.stages);
  const succ: number[][] = steps.map(() => []);
  const waiting = new Int32Array(n);
  steps.forEach((s, i) => {
    for (const d of s.deps) {
      succ[d]!.push(i);
      waiting[i]!++;
    }
  });
  const ready = new ReadyQueue(steps.map((s) => s.rank));
  for (let i = 0; i < n; i++) if (waiting[i] === 0) ready.push(i);
  const stageAt = new Int32Array(n + 1);
  const chainsLeft = new Int32Array(n + 1);
  const queues = new Map<string, { items: CallRef[]; head: number }>();
  const enqueue = (ref: CallRef) => {
    const model = stagesOf(ref.step)[stageAt[ref.step]!]![ref.chain]![ref.pos]!;
    let q = queues.get(model);
    if (!q) queues.set(model, (q = { items: [], head: 0 }));
    q.items.push(ref);
  };
  const cap = Math.max(1, Math.floor(options.callConcurrency));
  const slots = Math.max(1, Math.floor(options.concurrency));
  let running = 0;
  let finished = 0;
  let finishStarted = false;

  /** Starts the next non-empty stage of a step; returns false when the step has none left (it is done). */
  const beginStage = (s: number, from: number): boolean => {
    const stages = stagesOf(s);
    for (let k = from; k < stages.length; k++) {
      const chains = stages[k]!.map((c, i) => ({ c, i })).filter((x) => x.c.length > 0);
      if (chains.length === 0) continue;
      stageAt[s] = k;
      chainsLeft[s] = chains.length;
      for (const { i } of chains) enqueue({ step: s, chain: i, pos: 0 });
      return true;
    }
    return false;
  };
  const stepDone = (s: number) => {
    if (s === finishIndex) return;
    running--;
    finished++;
    for (const w of succ[s]!) if (--waiting[w]! === 0) ready.push(w);
  };

  let time = 0;
  for (;;) {
    while (running < slots && ready.size > 0) {
      const s = ready.pop()!;
      running++;
      if (!beginStage(s, 0)) stepDone(s);
    }
    if (finished === n && !finishStarted) {
      finishStarted = true;
      beginStage(finishIndex, 0);
    }
    const inFlight: CallRef[] = [];
    for (const q of queues.values()) {
      const take = Math.min(cap, q.items.length - q.head);
      for (let k = 0; k < take; k++) inFlight.push(q.items[q.head++]!);
      if (q.head > 1024 && q.head * 2 > q.items.length) {
        q.items.splice(0, q.head);
        q.head = 0;
      }
    }
    if (inFlight.length === 0) {
      if (running === 0 && ready.size === 0) break;
      continue; // steps finished without calls released others: launch them at the same time
    }
    time++;
    for (const ref of inFlight) {
      const chain = stagesOf(ref.step)[stageAt[ref.step]!]![ref.chain]!;
      if (ref.pos + 1 < chain.length) {
        enqueue({ ...ref, pos: ref.pos + 1 });
        continue;
      }
      if (--chainsLeft[ref.step]! > 0) continue;
      if (!beginStage(ref.step, stageAt[ref.step]! + 1)) stepDone(ref.step);
    }
  }
  return { calls: time, criticalPathCalls: criticalPath(steps, options.finish ?? []) };
}

/** Length of a step in calls with unlimited concurrency: per stage, its longest chain. */
export function stepLength(stages: StepCalls): number {
  return stages.reduce((sum, chains) => sum + Math.max(0, ...chains.map((c) => c.length)), 0);
}

function criticalPath(steps: readonly PlannedStep[], finish: StepCalls): number {
  // steps are indexed in any order: relax in a topological order (Kahn)
  const n = steps.length;
  const succ: number[][] = steps.map(() => []);
  const indegree = new Int32Array(n);
  steps.forEach((s, i) => s.deps.forEach((d) => (succ[d]!.push(i), indegree[i]!++)));
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (indegree[i] === 0) order.push(i);
  for (let h = 0; h < order.length; h++) for (const w of succ[order[h]!]!) if (--indegree[w]! === 0) order.push(w);
  const end = new Float64Array(n);
  let longest = 0;
  for (const v of order) {
    let start = 0;
    for (const d of steps[v]!.deps) start = Math.max(start, end[d]!);
    end[v] = start + stepLength(steps[v]!.stages);
    longest = Math.max(longest, end[v]!);
  }
  return longest + stepLength(finish);
}

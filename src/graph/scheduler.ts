import { setMaxListeners } from 'node:events';
import { GraphSpecError } from '../errors/index.js';
import { ReadyQueue } from './ready-queue.js';

/** One unit of work in a schedule. */
export interface ScheduleStep {
  id: string;
  /** Ids of steps whose outputs this step needs. */
  deps: readonly string[];
  /** Expected duration (any unit) for critical-path priority. Default 1. */
  weight?: number;
}

/** Events a schedule emits. */
export type ScheduleEvent =
  | { type: 'step-started'; id: string; attempt: number }
  | { type: 'step-finished'; id: string; attempt: number; durationMs: number }
  | { type: 'step-failed'; id: string; attempt: number; error: unknown; willRetry: boolean }
  | { type: 'step-skipped'; id: string; because: string }
  | { type: 'progress'; done: number; failed: number; skipped: number; running: number; total: number };

/** Context handed to a running step. */
export interface StepContext {
  attempt: number;
  signal: AbortSignal;
  /** Dependencies that failed or were skipped (only with `onFailedInput: 'continue'`): their outputs are absent. */
  missing: readonly string[];
}

/** Options of {@link runSchedule}. */
export interface ScheduleOptions<T> {
  steps: readonly ScheduleStep[];
  /** Maximum steps running at once. */
  concurrency: number;
  /** Runs one step with its dependencies' outputs. */
  run: (step: ScheduleStep, inputs: ReadonlyMap<string, T>, context: StepContext) => Promise<T>;
  /** Outputs of steps already done (resume): they are not run again. */
  done?: ReadonlyMap<string, T>;
  signal?: AbortSignal;
  /** Attempts per step including the first (default 1) and the pause between them. */
  retry?: { maxAttempts?: number; backoffMs?: number };
  /** Errors that should not be retried (default: none). */
  isRetryable?: (error: unknown) => boolean;
  /** Errors that stop the whole schedule, e.g. a spent budget (default: none). */
  isFatal?: (error: unknown) => boolean;
  onEvent?: (event: ScheduleEvent) => void;
  /**
   * What a failed step means for the steps that depend on it: `skip` them and
   * everything after them (default), or `continue`: a step runs with the
   * inputs that finished (told which are missing) and is skipped only when
   * none of its inputs finished.
   */
  onFailedInput?: 'skip' | 'continue';
  /**
   * Which ready step starts first when more are ready than may run:
   * `critical-path` (default) the one with the longest remaining weighted
   * path, `fifo` the one that became ready first (ties by position in `steps`).
   */
  priority?: SchedulePriority;
}

/** Order in which ready steps start: see {@link ScheduleOptions.priority}. */
export type SchedulePriority = 'critical-path' | 'fifo';

/** How a schedule ended. */
export type ScheduleStatus = 'completed' | 'partial' | 'failed' | 'aborted' | 'stopped';

/** Result of {@link runSchedule}. */
export interface ScheduleResult<T> {
  status: ScheduleStatus;
  outputs: Map<string, T>;
  failed: Map<string, unknown>;
  skipped: string[];
  /** Steps never started because the schedule was aborted or stopped. */
  notStarted: string[];
  /** The error that stopped the schedule (`stopped`). */
  stopError?: unknown;
  makespanMs: number;
}

/**
 * Runs a DAG of steps: a step starts as soon as all its dependencies are
 * done, at most `concurrency` at a time, the ready step with the longest
 * remaining path first (or the first ready, with `priority: 'fifo'`). A step that keeps failing fails only its
 * descendants; independent branches carry on and the result is `partial`.
 * Independent of models: networks, teams and workers all reuse it.
 * O((V + E) log V).
 */
export async function runSchedule<T>(options: ScheduleOptions<T>): Promise<ScheduleResult<T>> {
  const started = performance.now();
  const steps = options.steps;
  const n = steps.length;
  const index = new Map<string, number>();
  steps.forEach((s, i) => {
    if (index.has(s.id)) throw new GraphSpecError({ message: `duplicate step id '${s.id}'`, nodes: [s.id] });
    index.set(s.id, i);
  });
  const succ: number[][] = steps.map(() => []);
  const waiting = new Int32Array(n);
  steps.forEach((s, i) => {
    for (const d of s.deps) {
      const j = index.get(d);
      if (j === undefined)
        throw new GraphSpecError({ message: `step '${s.id}' depends on unknown step '${d}'`, nodes: [s.id, d] });
      succ[j]!.push(i);
      waiting[i]!++;
    }
  });

  // critical-path rank: longest remaining weighted path (reverse topological order via Kahn)
  const indegree = Int32Array.from(waiting);
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (indegree[i] === 0) order.push(i);
  for (let h = 0; h < order.length; h++) for (const w of succ[order[h]!]!) if (--indegree[w]! === 0) order.push(w);
  if (order.length !== n) throw new GraphSpecError({ message: 'steps contain a cycle' });
  const rank = new Float64Array(n);
  for (let k = n - 1; k >= 0; k--) {
    const v = order[k]!;
    let best = 0;
    for (const w of succ[v]!) best = Math.max(best, rank[w]!);
    rank[v] = best + (steps[v]!.weight ?? 1);
  }

  const outputs = new Map<string, T>();
  const failed = new Map<string, unknown>();
  const skipped: string[] = [];
  const state = new Uint8Array(n); // 0 waiting, 1 ready/running, 2 done, 3 failed, 4 skipped
  // fifo: the priority is the (negated) moment a step became ready, set just before it enters the queue
  const fifo = options.priority === 'fifo';
  const arrival = new Float64Array(n);
  let arrivals = 0;
  const queue = new ReadyQueue(fifo ? arrival : rank);
  const ready = {
    get size() {
      return queue.size;
    },
    push(v: number) {
      if (fifo) arrival[v] = -arrivals++;
      queue.push(v);
    },
    pop: () => queue.pop(),
  };
  const emit = options.onEvent ?? (() => {});
  const maxAttempts = Math.max(1, options.retry?.maxAttempts ?? 1);
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // one listener per running step and model call
  const onOuterAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted) controller.abort(options.signal.reason);
  let running = 0;
  let finishedCount = 0;
  let stopError: unknown;
  let stopped = false;

  const progress = () =>
    emit({ type: 'progress', done: outputs.size, failed: failed.size, skipped: skipped.length, running, total: n });

  const complete = (v: number) => {
    for (const w of succ[v]!) if (--waiting[w]! === 0 && state[w] === 0) (state[w] = 1), ready.push(w);
  };
  // continue mode: a failed or skipped dependency counts as resolved, and is remembered as missing
  const missing = new Map<number, string[]>();
  const resolveFailed = (v: number) => {
    const stack = [v];
    while (stack.length > 0) {
      const u = stack.pop()!;
      for (const w of succ[u]!) {
        if (state[w] !== 0) continue;
        missing.set(w, [...(missing.get(w) ?? []), steps[u]!.id]);
        if (--waiting[w]! > 0) continue;
        if (missing.get(w)!.length < steps[w]!.deps.length) {
          state[w] = 1;
          ready.push(w);
          continue;
        }
        // none of its inputs finished: nothing to work on
        state[w] = 4;
        finishedCount++;
        skipped.push(steps[w]!.id);
        emit({
          type: 'step-skipped',
          id: steps[w]!.id,
          because: `none of its inputs finished (${missing.get(w)!.join(', ')})`,
        });
        stack.push(w);
      }
    }
  };
  const skipDescendants = (v: number) => {
    if (options.onFailedInput === 'continue') return resolveFailed(v);
    const stack = [...succ[v]!];
    while (stack.length > 0) {
      const w = stack.pop()!;
      if (state[w] === 4 || state[w] === 2) continue;
      state[w] = 4;
      finishedCount++;
      skipped.push(steps[w]!.id);
      emit({ type: 'step-skipped', id: steps[w]!.id, because: steps[v]!.id });
      stack.push(...succ[w]!);
    }
  };

  // pre-filled outputs (resume) count as done
  for (let i = 0; i < n; i++) {
    const id = steps[i]!.id;
    if (options.done?.has(id)) {
      state[i] = 2;
      outputs.set(id, options.done.get(id)!);
      finishedCount++;
    }
  }
  for (let i = 0; i < n; i++) if (state[i] === 2) for (const w of succ[i]!) waiting[w]!--;
  for (let i = 0; i < n; i++) if (state[i] === 0 && waiting[i] === 0) (state[i] = 1), ready.push(i);

  await new Promise<void>((resolveAll) => {
    const maybeFinish = () => {
      if (running === 0 && (finishedCount === n || controller.signal.aborted || stopped || ready.size === 0))
        resolveAll();
    };
    const launch = () => {
      while (running < concurrency && ready.size > 0 && !controller.signal.aborted && !stopped) {
        const v = ready.pop()!;
        running++;
        void attempt(v, 1);
      }
      maybeFinish();
    };
    const attempt = async (v: number, attemptNo: number): Promise<void> => {
      const step = steps[v]!;
      const inputs = new Map<string, T>();
      for (const d of step.deps) if (outputs.has(d)) inputs.set(d, outputs.get(d)!);
      emit({ type: 'step-started', id: step.id, attempt: attemptNo });
      const t0 = performance.now();
      try {
        const output = await options.run(step, inputs, {
          attempt: attemptNo,
          signal: controller.signal,
          missing: missing.get(v) ?? [],
        });
        outputs.set(step.id, output);
        state[v] = 2;
        finishedCount++;
        emit({ type: 'step-finished', id: step.id, attempt: attemptNo, durationMs: performance.now() - t0 });
        complete(v);
      } catch (error) {
        if (controller.signal.aborted) {
          state[v] = 0;
        } else if (options.isFatal?.(error)) {
          stopped = true;
          stopError = error;
          state[v] = 0;
          emit({ type: 'step-failed', id: step.id, attempt: attemptNo, error, willRetry: false });
        } else {
          const willRetry = attemptNo < maxAttempts && (options.isRetryable?.(error) ?? true);
          emit({ type: 'step-failed', id: step.id, attempt: attemptNo, error, willRetry });
          if (willRetry) {
            if (options.retry?.backoffMs)
              await new Promise((r) => setTimeout(r, options.retry!.backoffMs! * 2 ** (attemptNo - 1)));
            if (!controller.signal.aborted && !stopped) return attempt(v, attemptNo + 1);
            state[v] = 0;
          } else {
            state[v] = 3;
            failed.set(step.id, error);
            finishedCount++;
            skipDescendants(v);
          }
        }
      }
      running--;
      progress();
      launch();
    };
    controller.signal.addEventListener('abort', () => maybeFinish(), { once: true });
    launch();
  });
  options.signal?.removeEventListener('abort', onOuterAbort);

  const notStarted = steps.filter((_, i) => state[i] === 0 || state[i] === 1).map((s) => s.id);
  let status: ScheduleStatus;
  if (stopped) status = 'stopped';
  else if (controller.signal.aborted && notStarted.length > 0) status = 'aborted';
  else if (failed.size === 0) status = 'completed';
  else status = outputs.size > 0 ? 'partial' : 'failed';
  return {
    status,
    outputs,
    failed,
    skipped,
    notStarted,
    ...(stopped ? { stopError } : {}),
    makespanMs: performance.now() - started,
  };
}

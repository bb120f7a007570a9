import { resolve } from 'node:path';
import { StoreError } from '../errors/index.js';
import type { RunOptions } from '../jobs/api.js';
import { RunSession } from '../jobs/run-session.js';
import { noStore, SqliteRunStore, type RunStatus, type RunStore, type RunTotals } from '../store/index.js';

/**
 * Where an evaluation records itself in the run store: its session, and the
 * prefix of its step ids (`cell/chain-4/` for a sweep's cell, '' for a lone
 * evaluation). Each answered task is a done step `<prefix>task/<index>/<sample>`
 * whose output is the row's JSON and whose meta names the inner run.
 */
export interface EvalRecorder {
  session: RunSession;
  prefix: string;
}

/** The store file of the run options, or undefined when runs are not kept (in memory, `none`). */
export function storeFileOf(run: RunOptions): string | undefined {
  if (!run.store || run.store === ':memory:' || run.store === noStore) return undefined;
  return resolve(run.cwd ?? process.cwd(), run.store);
}

/** The run options as stored in an `eval` run's config: what a resume needs to answer the same way. */
export function storedRunOptions(run: RunOptions, store: string): Record<string, unknown> {
  const keys = [
    'model',
    'roleModels',
    'seed',
    'concurrency',
    'maxTokens',
    'timeoutMs',
    'configFile',
    'guardPolicy',
    'embeddingModel',
    'allowUnsafeSandbox',
    'telemetry',
  ] as const;
  return {
    ...Object.fromEntries(keys.filter((k) => run[k] !== undefined).map((k) => [k, run[k]])),
    store,
    cwd: run.cwd ?? process.cwd(),
  };
}

/** An open `eval` run: its store connection and session. */
export interface EvalRun {
  store: RunStore;
  session: RunSession;
  recorder: EvalRecorder;
}

/**
 * Opens the `eval` run of an evaluation or sweep: resumes `resumeId` when given
 * (a vanished one is replaced by a new run when `fallback` is set), else starts
 * a new run with `config` as its stored configuration. Announces it with
 * `run-started`. Returns undefined when `fallback` is set and `resumeId`
 * already completed: a folder rerun of a finished evaluation has nothing to
 * record (its figures are recomputed from the folder).
 * @throws StoreError `RUN_COMPLETED` (without `fallback`), `RUN_ACTIVE`.
 */
export function openEvalRun(options: {
  storeFile: string;
  task: string;
  config: unknown;
  resumeId?: string;
  /** When `resumeId` is not in the store (another store, removed), start a new run instead. */
  fallback?: boolean;
  model: string;
  plannedSteps: number;
  onEvent?: RunOptions['onEvent'];
}): EvalRun | undefined {
  const store = new SqliteRunStore(options.storeFile, { writeBehind: true });
  try {
    let session: RunSession | undefined;
    if (options.resumeId) {
      try {
        session = RunSession.resume(store, options.resumeId, options.storeFile);
      } catch (error) {
        if (options.fallback && StoreError.isInstance(error) && (error as StoreError).code === 'RUN_COMPLETED') {
          store.close();
          return undefined;
        }
        const code = StoreError.isInstance(error) ? (error as StoreError).code : undefined;
        if (!options.fallback || code !== 'RUN_NOT_FOUND') throw error;
      }
    }
    session ??= RunSession.start(store, { kind: 'eval', task: options.task, config: options.config });
    if (options.onEvent) session.subscribe(options.onEvent);
    session.begin({
      model: options.model,
      simulated: options.model.startsWith('sim'),
      plannedSteps: options.plannedSteps,
    });
    return { store, session, recorder: { session, prefix: '' } };
  } catch (error) {
    store.close();
    throw error;
  }
}

/** The rows an earlier session of the run recorded under the recorder's prefix. */
export function recordedRows<Row>(recorder: EvalRecorder): Row[] {
  const rows: Row[] = [];
  const pattern = new RegExp(`^${recorder.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}task/\\d+/\\d+$`);
  for (const [id, text] of recorder.session.doneOutputs()) {
    if (!pattern.test(id)) continue;
    try {
      rows.push(JSON.parse(text) as Row);
    } catch {
      // an unreadable row: that task is answered again, free from the journal
    }
  }
  return rows;
}

/** What the evaluation spent (USD, all sessions, stopped tasks included), as its ledger step last said. */
export function recordedSpend(recorder: EvalRecorder): number {
  const text = recorder.session.doneOutputs().get(`${recorder.prefix}ledger`);
  if (!text) return 0;
  try {
    const spent = (JSON.parse(text) as { spentUsd?: unknown }).spentUsd;
    return typeof spent === 'number' ? spent : 0;
  } catch {
    return 0;
  }
}

/**
 * Ends an `eval` run: its status, its result (the summary) and, as its totals,
 * the sum of the inner runs' (the eval run itself calls no model), so
 * `crosstalk runs list` shows what the evaluation cost.
 */
export function finishEvalRun(run: EvalRun, status: RunStatus, result: unknown, totals: RunTotals, error?: string) {
  run.session.finish(status, result, error);
  run.store.updateRun(run.session.id, { totals });
  run.store.close();
}

/**
 * The runs that answered an evaluation's tasks, each with the `eval` run it belongs to (read from the eval runs'
 * task steps, whose meta names the inner run). `crosstalk runs list` hides them unless asked for all runs.
 */
export function evalChildRuns(store: RunStore, runs: readonly { id: string; kind: string }[]): Map<string, string> {
  const parents = new Map<string, string>();
  for (const run of runs) {
    if (run.kind !== 'eval') continue;
    for (const step of store.getSteps(run.id)) {
      const inner = (step.meta as { runId?: unknown } | null)?.runId;
      if (typeof inner === 'string') parents.set(inner, run.id);
    }
  }
  return parents;
}

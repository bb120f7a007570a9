import { loadConfig, type ConfigFlags, type LoadedConfig } from '../config/index.js';
import { RunSession } from '../jobs/index.js';
import { createRuntime, type Runtime } from '../runtime/index.js';
import { AbortedError, BudgetExceededError } from '../errors/index.js';
import { SqliteRunStore, type NewRun, type RunStatus } from '../store/index.js';
import type { CliContext } from './context.js';
import { resolveStorePath } from './store-path.js';

/** A job's config flags, the store, its session and a journaled runtime. */
export interface DurableRun {
  loaded: LoadedConfig;
  store: SqliteRunStore;
  session: RunSession;
  runtime: Runtime;
}

/**
 * Opens what every stored job needs: the config (the job's own flags, with
 * overrides on resume), the run store, a new or resumed session, and a
 * runtime whose models journal every call and whose budget counts what
 * earlier sessions spent. Call `store.close()` when done.
 */
export async function openDurableRun(
  ctx: CliContext,
  job: { flags: ConfigFlags; run: NewRun; cache?: boolean },
  options: { resumeId?: string; flagOverrides?: ConfigFlags } = {},
): Promise<DurableRun> {
  const loaded = loadConfig({ cwd: ctx.cwd, env: ctx.env, flags: { ...job.flags, ...(options.flagOverrides ?? {}) } });
  const storePath = resolveStorePath(ctx.cwd, loaded.config);
  const store = new SqliteRunStore(storePath, { writeBehind: true });
  try {
    const session = options.resumeId ? RunSession.resume(store, options.resumeId, storePath) : RunSession.start(store, job.run);
    const before = session.run.totals;
    const runtime = await createRuntime({
      loaded,
      env: ctx.env,
      signal: ctx.signal,
      journal: (model, price) => session.journal(model, price, job.cache === true),
      spentBefore: { usd: before.costUsd ?? 0, tokens: before.inputTokens + before.outputTokens },
    });
    return { loaded, store, session, runtime };
  } catch (error) {
    store.close();
    throw error;
  }
}

/** The stored status of a job: how it was stopped, else how it ended. */
export function finalStatus(stopped: BudgetExceededError | AbortedError | undefined, ended: 'completed' | 'failed' | undefined): RunStatus {
  if (stopped) return BudgetExceededError.isInstance(stopped) ? 'stopped-budget' : 'interrupted';
  return ended ?? 'failed';
}

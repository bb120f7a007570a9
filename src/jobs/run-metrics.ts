import { measureCode, sameCode, type CodeMetrics } from '../metrics/index.js';
import type { Runtime } from '../runtime/index.js';
import type { ChainLanguage, TestOutcome } from '../software/chain.js';
import type { Files } from '../software/codebase/index.js';
import type { RunSession } from './run-session.js';

/** What a job measures at its end: the final code, and the last run of it, if any. */
export interface ResultCode {
  task: string;
  files: Files;
  language?: ChainLanguage;
  /** The last sandbox run the job made. */
  test?: TestOutcome;
  /** The files that run ran: when their code equals `files`, the run is reused instead of running again. */
  testedFiles?: Files;
}

/**
 * Measures a run's final code with `src/metrics` (the runtime's embedding
 * model, or the labelled TF-IDF fallback; the sandbox for executability,
 * reusing the job's last run when it ran the same code), emits a `metrics`
 * event and returns the metrics for the run's summary. `null` when there is
 * no code, or when measuring failed (a warning note says why); cancellation
 * is not swallowed.
 */
export async function measureResult(
  runtime: Runtime,
  session: RunSession,
  code: ResultCode,
  /** Runs the program instead of the runtime's sandbox (one wrapped in a safety review). */
  sandboxOverride?: Runtime['sandbox'],
): Promise<CodeMetrics | null> {
  if (Object.keys(code.files).length === 0) return null;
  const reusable =
    code.test &&
    code.testedFiles &&
    code.test.outcome !== 'not-run' &&
    code.test.outcome !== 'sandbox-error' &&
    sameCode(code.testedFiles, code.files);
  const sandbox = sandboxOverride ?? runtime.sandbox;
  try {
    const metrics = await measureCode({
      task: code.task,
      files: code.files,
      ...(code.language ? { language: code.language } : {}),
      ...(reusable ? { test: code.test } : {}),
      ...(sandbox.run ? { runProgram: sandbox.run } : { noRunReason: sandbox.reason }),
      ...(runtime.embedding ? { embedding: runtime.embedding } : {}),
      signal: runtime.signal,
    });
    session.emit({ type: 'metrics', scope: 'result', metrics });
    return metrics;
  } catch (error) {
    if (runtime.signal.aborted) throw error;
    runtime.logger.warn(`the metrics could not be measured: ${(error as Error).message.split('\n')[0]}`);
    return null;
  }
}

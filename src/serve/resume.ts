import { EventStream } from '../events/index.js';
import { resumeRun } from '../jobs/index.js';
import type { LiveRuns } from './live-runs.js';

/** The new limits a resume from the viewer may set. */
export interface ResumeLimits {
  budgetUsd?: number;
  maxTokens?: number;
}

/** Resumes a stopped run of the store in this process; resolves once it runs (its events then stream live). */
export type ViewerResume = (runId: string, limits: ResumeLimits) => Promise<void>;

/**
 * Resumes runs of the store at `storePath` in this process (`--allow-control`): each is registered in `live` while
 * it runs, so the viewer streams its events and may stop it again. Rejects with the job's typed error when the run
 * cannot be resumed (completed, active elsewhere, unreadable).
 */
export function viewerResume(live: LiveRuns, storePath: string, cwd?: string): ViewerResume {
  return async (runId, limits) => {
    const stream = new EventStream();
    const handle = resumeRun({
      runId,
      store: storePath,
      ...(cwd ? { cwd } : {}),
      ...(limits.budgetUsd !== undefined ? { budgetUsd: limits.budgetUsd } : {}),
      ...(limits.maxTokens !== undefined ? { maxTokens: limits.maxTokens } : {}),
      onEvent: (event) => stream.push(event),
    });
    const remove = live.add(runId, { events: stream, abort: (reason) => handle.abort(reason) });
    const ended = handle.result.finally(() => {
      stream.close();
      remove();
    });
    // the run has claimed its record (it is running), or it could not start: say which
    await Promise.race([handle.runId, ended]);
    ended.catch(() => {});
  };
}

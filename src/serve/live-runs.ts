import { setMaxListeners } from 'node:events';
import { EventStream, type CrosstalkEvent } from '../events/index.js';
import type { JobEnvironment } from '../jobs/index.js';

/** A run executing in this process: its buffered events (from its start) and, when it may be stopped, how. */
export interface LiveRun {
  /** Every event of the run from its start, in order; iteration ends when the run ends. */
  events: AsyncIterable<CrosstalkEvent>;
  /** Stops the run (it ends `interrupted`, resumable); absent when the viewer may not stop it. */
  abort?: (reason?: unknown) => void;
}

/**
 * The runs this process executes, by run id: the viewer streams their events
 * (model calls and progress included) as they happen, instead of following
 * the store. Runs of other processes are followed from the store.
 */
export class LiveRuns {
  private readonly runs = new Map<string, LiveRun>();

  /** Registers a run; returns a function that removes it. */
  add(runId: string, run: LiveRun): () => void {
    this.runs.set(runId, run);
    return () => {
      if (this.runs.get(runId) === run) this.runs.delete(runId);
    };
  }

  get(runId: string): LiveRun | undefined {
    return this.runs.get(runId);
  }
}

/**
 * Feeds a job's events to the viewer: returns the environment to run the job with. Its events also go to
 * `environment.onEvent`; once the run has an id it is registered in `live` (removed when the job's events end),
 * and with `allowControl` the viewer may stop it (as Ctrl-C would: it ends `interrupted`, resumable).
 */
export function feedLive(
  live: LiveRuns,
  environment: JobEnvironment,
  options: { allowControl?: boolean; onRunStarted?: (runId: string) => void } = {},
): { environment: JobEnvironment; end: () => void } {
  const stream = new EventStream();
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // every model call in flight listens to it
  const outer = environment.signal;
  if (outer.aborted) controller.abort(outer.reason);
  else outer.addEventListener('abort', () => controller.abort(outer.reason), { once: true });
  let remove: (() => void) | undefined;
  return {
    environment: {
      ...environment,
      signal: controller.signal,
      onEvent: (event) => {
        environment.onEvent?.(event);
        if (!remove && event.type === 'run-started') {
          remove = live.add(event.runId, {
            events: stream,
            ...(options.allowControl ? { abort: (reason?: unknown) => controller.abort(reason) } : {}),
          });
          options.onRunStarted?.(event.runId);
        }
        stream.push(event);
      },
    },
    end: () => stream.close(),
  };
}

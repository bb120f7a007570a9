import type { CrosstalkEvent } from '../events/index.js';

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

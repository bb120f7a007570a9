import type { RunStore } from '../store/index.js';
import { keysByScope } from './run-data.js';

/** The fields of an event the marker reads. */
interface MarkableEvent {
  type: string;
  at: number;
  step?: unknown;
  resumed?: unknown;
}

/**
 * Marks, in a run's event stream, the steps a resumed session answers wholly from the journal as they finish: a
 * `step-finished` after the resume (`run-claimed`, or a live `run-started` that resumed) whose step's journaled calls
 * were all answered before the resume gets `replayed: true`. A page following the run live then shows the step
 * `replayed` as it finishes, not only once the run has ended (`replayedSteps` applies the same rule to a whole run).
 *
 * The journal's keys (which name each call's node or phase) are read again only when a step finished after the last
 * read, and at most every `minReadMs` (the stream waits): a resumed 1,000-node run reads them a few times a second at
 * most; a finished run's stream reads them once.
 */
export class ReplayedMarker {
  private resumedAt: number | undefined;
  private keys: { readAt: number; byScope: Map<string, string[]> } | undefined;

  constructor(
    private readonly store: () => RunStore | undefined,
    private readonly runId: string,
    private readonly minReadMs = 250,
  ) {}

  /** The event as it is to be streamed: as given, or a copy with `replayed: true`. */
  async mark<E extends MarkableEvent>(event: E): Promise<E> {
    if (event.type === 'run-claimed' || (event.type === 'run-started' && event.resumed === true))
      this.resumedAt = event.at;
    if (event.type !== 'step-finished' || this.resumedAt === undefined) return event;
    const id = (event.step as { id?: unknown } | undefined)?.id;
    const store = this.store();
    if (typeof id !== 'string' || !store) return event;
    // the step's calls are journaled before it finishes: keys read before then may miss some
    if (!this.keys || this.keys.readAt <= event.at) {
      const wait = (this.keys?.readAt ?? 0) + this.minReadMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const readAt = Date.now();
      const byScope = keysByScope(store.listCallKeys(this.runId));
      this.keys = { readAt, byScope };
    }
    const keys = this.keys.byScope.get(id) ?? [];
    const resumedAt = this.resumedAt;
    const replayed =
      keys.length > 0 &&
      keys.every((key) => (store.findCall(this.runId, key)?.at ?? Number.POSITIVE_INFINITY) < resumedAt);
    return replayed ? { ...event, replayed: true } : event;
  }
}

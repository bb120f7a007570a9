import { abortableSleep } from '../model/middleware/index.js';
import type { EventRecord, RunStore } from '../store/index.js';
import { ownerState, runOwner } from './run-owner.js';

/** A stored event as one JSON object: its type, run, time and sequence number, then its fields. */
export type StoredEvent = { type: string; runId: string; at: number; seq: number } & Record<string, unknown>;

/** A stored event row as the event object it was emitted as (plus its sequence number). */
export function storedEvent(record: EventRecord): StoredEvent {
  const data =
    record.data && typeof record.data === 'object' ? (record.data as Record<string, unknown>) : { data: record.data };
  return { ...data, type: record.type, runId: record.runId, at: record.at, seq: record.seq };
}

/** How {@link readRunEvents} ended. */
export type EventsEnd = 'finished' | 'not-following' | 'process-gone' | 'aborted';

/**
 * Reads a run's stored events in order. With `follow`, keeps polling for new
 * ones until the run is no longer running, its process is gone (a killed run
 * never writes `run-finished`) or `signal` aborts.
 * @returns how it ended.
 */
export async function readRunEvents(
  store: RunStore,
  runId: string,
  options: { follow?: boolean; signal?: AbortSignal; pollMs?: number; onEvent: (event: StoredEvent) => void },
): Promise<EventsEnd> {
  let after = 0;
  const drain = () => {
    const events = store.listEvents(runId, { afterSeq: after });
    for (const e of events) {
      after = e.seq;
      options.onEvent(storedEvent(e));
    }
    return events.length;
  };
  for (;;) {
    drain();
    if (!options.follow) return 'not-following';
    if (options.signal?.aborted) return 'aborted';
    if (store.getRun(runId)?.status !== 'running') {
      drain(); // events committed together with the status change
      return 'finished';
    }
    if (ownerState(runOwner(store, runId)) === 'gone') {
      if (drain() > 0) continue;
      return 'process-gone';
    }
    try {
      await abortableSleep(options.pollMs ?? 200, options.signal);
    } catch {
      return 'aborted';
    }
  }
}

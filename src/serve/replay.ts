// Pure, with no imports: the web viewer replays a finished run's stored events with these.

/** The fields of a stored event replay reads. */
export interface ReplayEvent {
  type: string;
  at: number;
  step?: unknown;
  willRetry?: unknown;
  /** On `step-finished`: the step was answered wholly from the journal (a resumed run; see ReplayedMarker). */
  replayed?: unknown;
}

/** Longest pause between two replayed events at 1×, ms, whatever the recorded gap. */
export const maxReplayGapMs = 2000;

/** The state an event puts its step in, if it names one. */
export function stateAfter(event: ReplayEvent): { id: string; state: string } | undefined {
  const step = event.step as { id?: unknown } | undefined;
  if (typeof step?.id !== 'string') return undefined;
  switch (event.type) {
    case 'step-started':
      return { id: step.id, state: 'running' };
    case 'step-finished':
      return { id: step.id, state: event.replayed === true ? 'replayed' : 'done' };
    case 'step-failed':
      return { id: step.id, state: event.willRetry ? 'running' : 'failed' };
    case 'step-skipped':
      return { id: step.id, state: 'skipped' };
    default:
      return undefined;
  }
}

/**
 * Each step's state after the first `count` events, starting from `initial` (every step waiting): what a scrub
 * to position `count` shows.
 */
export function statesAt(
  events: readonly ReplayEvent[],
  count: number,
  initial: ReadonlyMap<string, string>,
): Map<string, string> {
  const states = new Map(initial);
  const end = Math.max(0, Math.min(count, events.length));
  for (let i = 0; i < end; i++) {
    const change = stateAfter(events[i]!);
    if (change) states.set(change.id, change.state);
  }
  return states;
}

/**
 * The replay clock: for each event, ms from the first event at 1×, with every recorded gap capped at
 * {@link maxReplayGapMs} (a run resumed a day later replays without a day's wait).
 */
export function replayTimes(events: readonly ReplayEvent[]): Float64Array {
  const times = new Float64Array(events.length);
  for (let i = 1; i < events.length; i++) {
    const gap = Math.max(0, events[i]!.at - events[i - 1]!.at);
    times[i] = times[i - 1]! + Math.min(maxReplayGapMs, gap);
  }
  return times;
}

/**
 * How many events have been shown once the replay clock reaches `clock` ms (at 1×): every event whose time is at
 * or before it. Never fewer than `from` (playing does not go back).
 */
export function positionAt(times: Float64Array, clock: number, from: number): number {
  let i = from;
  while (i < times.length && times[i]! <= clock) i++;
  return i;
}

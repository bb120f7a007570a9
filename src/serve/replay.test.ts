import { describe, expect, it } from 'vitest';
import { positionAt, replayTimes, stateAfter, statesAt } from './replay.js';

const step = (id: string) => ({ kind: 'node', id });
const events = [
  { type: 'run-started', at: 1000 },
  { type: 'step-started', at: 1000, step: step('a') },
  { type: 'model-call', at: 1100 },
  { type: 'step-finished', at: 1200, step: step('a') },
  { type: 'step-started', at: 1200, step: step('b') },
  { type: 'step-failed', at: 60_000, step: step('b'), willRetry: true },
  { type: 'step-failed', at: 60_100, step: step('b'), willRetry: false },
  { type: 'step-skipped', at: 60_100, step: step('c') },
];
const waiting = new Map([
  ['a', 'waiting'],
  ['b', 'waiting'],
  ['c', 'waiting'],
]);

describe('replay of stored events', () => {
  it('puts each step in the state the events up to a position leave it in', () => {
    expect(Object.fromEntries(statesAt(events, 0, waiting))).toEqual({ a: 'waiting', b: 'waiting', c: 'waiting' });
    expect(Object.fromEntries(statesAt(events, 2, waiting))).toEqual({ a: 'running', b: 'waiting', c: 'waiting' });
    expect(Object.fromEntries(statesAt(events, 6, waiting))).toEqual({ a: 'done', b: 'running', c: 'waiting' });
    expect(Object.fromEntries(statesAt(events, 99, waiting))).toEqual({ a: 'done', b: 'failed', c: 'skipped' });
    // scrubbing back shows the earlier state again
    expect(statesAt(events, 1, waiting).get('a')).toBe('waiting');
  });

  it('shows a step the resumed run answered from its journal (marked by the live stream) replayed', () => {
    expect(stateAfter({ type: 'step-finished', at: 0, step: step('a'), replayed: true })).toEqual({
      id: 'a',
      state: 'replayed',
    });
    expect(stateAfter({ type: 'step-finished', at: 0, step: step('a') })?.state).toBe('done');
  });

  it('ignores events that name no step', () => {
    expect(stateAfter({ type: 'model-call', at: 0 })).toBeUndefined();
    expect(stateAfter({ type: 'step-started', at: 0, step: { id: 3 } })).toBeUndefined();
  });

  it('keeps the recorded pace but caps long gaps at 2 s', () => {
    expect([...replayTimes(events)]).toEqual([0, 0, 100, 200, 200, 2200, 2300, 2300]);
    const times = replayTimes(events);
    expect(positionAt(times, 0, 0)).toBe(2);
    expect(positionAt(times, 199, 2)).toBe(3);
    expect(positionAt(times, 2300, 3)).toBe(8);
    expect(positionAt(times, 0, 5)).toBe(5);
  });
});

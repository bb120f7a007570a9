import { describe, expect, it } from 'vitest';
import { replayedSteps } from './run-data.js';

const ev = (type: string, at: number, id?: string) => ({ type, at, data: id ? { step: { kind: 'node', id } } : {} });

describe('replayedSteps', () => {
  it('marks steps the last session answered wholly from the journal, not those it paid for or never re-ran', () => {
    const events = [
      ev('run-started', 0),
      ev('step-started', 1, 'a'),
      ev('step-finished', 5, 'a'),
      ev('step-started', 6, 'b'),
      ev('step-started', 6, 'c'),
      ev('run-finished', 9),
      ev('run-claimed', 100),
      ev('run-started', 100),
      ev('step-started', 101, 'b'),
      ev('step-finished', 102, 'b'),
      ev('step-started', 101, 'c'),
      ev('step-finished', 150, 'c'),
    ];
    const states = new Map([
      ['a', 'done'],
      ['b', 'done'],
      ['c', 'done'],
    ]);
    const calls = [
      { scope: 'a', at: 3 },
      { scope: 'b', at: 7 },
      { scope: 'b', at: 8 },
      // c: one call answered before the stop, one paid after the resume
      { scope: 'c', at: 8 },
      { scope: 'c', at: 140 },
    ];
    expect([...replayedSteps(events, states, () => calls)]).toEqual(['b']);
  });

  it('reads no journal for a run that was never resumed', () => {
    let read = false;
    const none = replayedSteps(
      [ev('step-started', 1, 'a'), ev('step-finished', 2, 'a')],
      new Map([['a', 'done']]),
      () => {
        read = true;
        return [];
      },
    );
    expect(none.size).toBe(0);
    expect(read).toBe(false);
  });
});

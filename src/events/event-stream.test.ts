import { describe, expect, it } from 'vitest';
import type { CrosstalkEvent } from './events.js';
import { EventStream } from './event-stream.js';

const note = (message: string): CrosstalkEvent => ({ type: 'note', level: 'info', message, runId: 'r', at: 1 });

describe('EventStream', () => {
  it('gives every consumer every event in order, including those pushed before it started, and ends on close', async () => {
    const stream = new EventStream();
    stream.push(note('early'));
    const seen: string[][] = [[], []];
    const consumers = seen.map(async (list) => {
      for await (const e of stream) if (e.type === 'note') list.push(e.message);
    });
    stream.push(note('middle'));
    await Promise.resolve();
    stream.push(note('late'));
    stream.close();
    stream.push(note('after close'));
    await Promise.all(consumers);
    expect(seen).toEqual([
      ['early', 'middle', 'late'],
      ['early', 'middle', 'late'],
    ]);
  });

  it('calls subscribers synchronously until they unsubscribe', () => {
    const stream = new EventStream();
    const got: string[] = [];
    const stop = stream.subscribe((e) => got.push(e.type));
    stream.push(note('a'));
    stop();
    stream.push(note('b'));
    expect(got).toEqual(['note']);
  });
});

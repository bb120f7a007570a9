import { describe, expect, it } from 'vitest';
import { groupNodeDialogue } from './dialogue.js';

const call = (agent: string, prompt: string, reply: string) => ({
  agent,
  messages: [{ role: 'user', content: prompt }],
  reply,
});

describe('groupNodeDialogue', () => {
  it('groups critic reviews and actor refinements by the edge they belong to, merges apart', () => {
    const predecessors = new Map([
      ['a', 'artifact of a'],
      ['b', 'artifact of b'],
    ]);
    const calls = [
      call('critic', 'review: artifact of b', 'fix b1'),
      call('critic', 'review: artifact of a', 'fix a1'),
      call('actor', 'refine artifact of a with fix a1', 'a refined'),
      call('actor', 'refine artifact of b with fix b1', 'b refined'),
      call('critic', 'review again: a refined', 'fix a2'),
      call('actor', 'refine a refined with fix a2', 'a refined twice'),
      call('aggregator', 'merge: a refined twice / b refined', 'merged'),
    ];
    const grouped = groupNodeDialogue(calls, predecessors);
    expect(grouped.edges.map((e) => [e.from, e.turns.map((t) => t.reply)])).toEqual([
      ['b', ['fix b1', 'b refined']],
      ['a', ['fix a1', 'a refined', 'fix a2', 'a refined twice']],
    ]);
    expect(grouped.other.map((c) => c.reply)).toEqual(['merged']);
  });

  it('keeps a source node’s answer, and a call it cannot place, in order apart from the edges', () => {
    const grouped = groupNodeDialogue([call('actor', 'solve the task', 'answer')], new Map());
    expect(grouped).toEqual({ edges: [], other: [call('actor', 'solve the task', 'answer')] });
  });
});

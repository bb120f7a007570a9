import { describe, expect, it } from 'vitest';
import { remainingTimeMs } from './eta.js';
import { toDag } from './types.js';

const chain = toDag({
  nodes: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
  edges: [
    { from: 'a', to: 'b' },
    { from: 'b', to: 'c' },
  ],
});
const star = toDag({
  nodes: [{ id: 'hub' }, ...['x', 'y', 'z', 'w'].map((id) => ({ id }))],
  edges: ['x', 'y', 'z', 'w'].map((to) => ({ from: 'hub', to })),
});

describe('remainingTimeMs', () => {
  it('is the remaining critical path when concurrency is ample', () => {
    const weights = [1, 3, 3];
    expect(remainingTimeMs(chain, { weights, finished: () => false, msPerUnit: 100, concurrency: 8 })).toBe(700);
    expect(remainingTimeMs(chain, { weights, finished: (i) => i === 0, msPerUnit: 100, concurrency: 8 })).toBe(600);
    expect(remainingTimeMs(chain, { weights, finished: () => true, msPerUnit: 100, concurrency: 8 })).toBe(0);
  });

  it('is the remaining work over the slots when concurrency binds', () => {
    const weights = [1, 3, 3, 3, 3];
    // hub done: 4 leaves of 3 units each on 2 slots = 6 units, longer than any path (3)
    expect(remainingTimeMs(star, { weights, finished: (i) => i === 0, msPerUnit: 10, concurrency: 2 })).toBe(60);
    expect(remainingTimeMs(star, { weights, finished: (i) => i === 0, msPerUnit: 10, concurrency: 4 })).toBe(30);
  });
});

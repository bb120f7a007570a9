import { describe, expect, it } from 'vitest';
import { checksByStep } from './step-events.js';

const step = (id: string) => ({ kind: 'phase', id });
const events = [
  { type: 'step-started', seq: 1, step: step('coding') },
  { type: 'guard-finding', seq: 2, scope: 'Python main.py' },
  { type: 'step-finished', seq: 3, step: step('coding') },
  { type: 'step-started', seq: 4, step: step('testing') },
  { type: 'sandbox-result', seq: 5, scope: 'Python main.py' },
  { type: 'step-failed', seq: 6, step: step('testing') },
  { type: 'sandbox-result', seq: 7, scope: 'Python main.py' },
  { type: 'sandbox-result', seq: 8, scope: 'review' },
];

describe('checksByStep', () => {
  it('gives each step the sandbox runs and guard findings that came while it ran (the innermost, or the one named)', () => {
    const checks = checksByStep([
      ...events,
      { type: 'step-started', seq: 9, step: step('review') },
      { type: 'step-started', seq: 10, step: step('inner') },
      { type: 'guard-finding', seq: 11, scope: 'output' },
      { type: 'sandbox-result', seq: 12, scope: 'review' },
    ]);
    const seqs = (id: string) => (checks.get(id) ?? []).map((e) => e.seq);
    expect(seqs('coding')).toEqual([2]);
    expect(seqs('testing')).toEqual([5]);
    // seq 7 and 8 came while nothing ran
    expect(seqs('inner')).toEqual([11]);
    expect(seqs('review')).toEqual([12]);
  });
});

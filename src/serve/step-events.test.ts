import { describe, expect, it } from 'vitest';
import { eventsOfStep } from './step-events.js';

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

describe('eventsOfStep', () => {
  it('gives each step the sandbox runs and guard findings that came while it ran, or that name it', () => {
    expect(eventsOfStep(events, 'coding').map((e) => e.seq)).toEqual([2]);
    expect(eventsOfStep(events, 'testing').map((e) => e.seq)).toEqual([5]);
    expect(eventsOfStep(events, 'review').map((e) => e.seq)).toEqual([8]);
    expect(eventsOfStep(events, 'other')).toEqual([]);
  });
});

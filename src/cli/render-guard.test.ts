import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CrosstalkEvent } from '../events/index.js';
import { createOutput } from './output.js';
import { EventRenderer } from './render.js';

function render(events: CrosstalkEvent[]): string {
  const stream = Object.assign(new PassThrough(), { isTTY: false });
  let text = '';
  stream.on('data', (d) => (text += String(d)));
  const renderer = new EventRenderer(stream, createOutput(false, { stdout: new PassThrough(), stderr: stream }));
  for (const event of events) renderer.handle(event);
  return text;
}

const base = { runId: 'r1', at: 0 };

describe('approvals and self-correction on the progress display', () => {
  it('prints each approval decision and each self-correction round with its score', () => {
    const text = render([
      {
        ...base,
        type: 'guard-approval',
        scope: 'Python main.py',
        key: 'k',
        approved: false,
        by: 'no-terminal',
        mode: 'risky',
        findings: [{ rule: 'network', file: 'main.py', line: 2, severity: 'medium', snippet: 'urlopen(u)' }],
      },
      {
        ...base,
        type: 'self-correction',
        hook: 'after-coding',
        scope: 'coding',
        round: 1,
        score: 0,
        threshold: 8,
        rejected: true,
        checks: [{ name: 'py_compile', passed: false }],
        problems: ['py_compile failed: SyntaxError'],
        rationale: '',
      },
      {
        ...base,
        type: 'self-correction',
        hook: 'after-coding',
        scope: 'coding',
        round: 2,
        score: 9,
        threshold: 8,
        rejected: false,
        checks: [{ name: 'py_compile', passed: true }],
        problems: [],
        rationale: 'fine',
        stop: { by: 'threshold', chosenRound: 2 },
      },
    ]);
    expect(text.split('\n').filter(Boolean)).toEqual([
      '⛨ guard (Python main.py): refused (no terminal to ask on) network',
      '↻ self-correction (after-coding, coding) round 1: score 0/10 rejected — py_compile failed: SyntaxError',
      '↻ self-correction (after-coding, coding) round 2: score 9/10; stopped (threshold), round 2 kept',
    ]);
  });
});

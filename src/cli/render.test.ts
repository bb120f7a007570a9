import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CrosstalkEvent, ProgressEvent } from '../events/index.js';
import { printable } from './format.js';
import { createOutput } from './output.js';
import { describeProgress, EventRenderer, plainProgressIntervalMs } from './render.js';

function capture(tty: boolean, json = false) {
  const stream = Object.assign(new PassThrough(), { isTTY: tty });
  let text = '';
  stream.on('data', (d) => (text += String(d)));
  let now = 0;
  const out = createOutput(json, { stdout: new PassThrough(), stderr: stream });
  const renderer = new EventRenderer(stream, out, () => now);
  return { renderer, text: () => text, advance: (ms: number) => (now += ms) };
}

const base = { runId: 'r1', at: 0 };
const progress = (elapsedMs: number): ProgressEvent => ({
  ...base,
  type: 'progress',
  elapsedMs,
  calls: 12,
  replayedCalls: 0,
  tokens: 3400,
  costUsd: 0.002,
  costKnown: true,
  steps: { done: 4, failed: 0, skipped: 0, running: 2, total: 10 },
  etaMs: 65_000,
});

describe('the event renderer', () => {
  it('off a terminal prints a plain progress line at most every 10 s, so CI logs show life', () => {
    const c = capture(false);
    c.renderer.handle(progress(1000));
    expect(c.text()).toBe('');
    c.advance(plainProgressIntervalMs - 1);
    c.renderer.handle(progress(9999));
    expect(c.text()).toBe('');
    c.advance(1);
    c.renderer.handle(progress(10_000));
    expect(c.text()).toBe('… [10.0 s] 4/10 done, 2 running — 12 calls, 3400 tokens, $0.00200, ETA 1 min 05 s\n');
    c.advance(5000);
    c.renderer.handle(progress(15_000));
    expect(c.text().split('\n')).toHaveLength(2);
  });

  it('on a terminal rewrites one status line and keeps lines for what happened', () => {
    const c = capture(true);
    c.renderer.handle(progress(2000));
    expect(c.text()).toBe(`\r\x1b[2K${describeProgress(progress(2000))}`);
    const decision: CrosstalkEvent = {
      ...base,
      type: 'decision',
      point: 'coding',
      scores: { team1: 0.8, team2: 0.5, team3: 0.9 },
      kept: ['team3', 'team1'],
      pruned: [{ team: 'team2', reason: 'scored below the lowest kept' }],
      groups: [['team3', 'team1']],
    };
    c.renderer.handle(decision);
    expect(c.text()).toContain(
      '\r\x1b[2K◆ coding: kept team3 (0.90), team1 (0.80); pruned team2 (0.50)\n  merge: [team3 + team1]\n',
    );
  });

  it('prints a decision’s pruning reasons, ties and who continues from the merged result', () => {
    const c = capture(false, true);
    c.renderer.handle({
      ...base,
      type: 'decision',
      point: 'coding',
      scores: { team1: 0.8, team2: 0.8, team3: 0.9 },
      kept: ['team3', 'team2'],
      pruned: [{ team: 'team1', reason: 'score 0.8 tied with the lowest kept; lost the tie-break on judge score' }],
      groups: [['team3', 'team2']],
      deliveredTo: ['team1', 'team2', 'team3'],
      pruneApplied: true,
      ties: [{ score: 0.8, teams: ['team2', 'team1'], broken: true }],
      tiebreak: 'judge score',
    });
    c.renderer.handle({
      ...base,
      type: 'decision',
      point: 'final',
      scores: { team2: 0.71, team3: 0.9 },
      kept: ['team3', 'team2'],
      pruned: [],
      groups: [['team3', 'team2']],
      deliveredTo: [],
      pruneApplied: false,
    });
    expect(c.text().split('\n')).toEqual([
      '◆ coding: kept team3 (0.90), team2 (0.80); pruned team1 (0.80)',
      '  merge: [team3 + team2]',
      '  pruned team1: score 0.8 tied with the lowest kept; lost the tie-break on judge score',
      '  tie at 0.8: team2, team1 — ordered by judge score',
      '  → team1, team2, team3 continue from the merged result',
      '◆ final: kept team3 (0.90), team2 (0.71)',
      '  merge: [team3 + team2]',
      '  no pruning: 2 proposals are few enough to merge them all',
      '  → the merged result is the final result',
      '',
    ]);
  });

  it('in --json mode keeps lines on stderr but prints no progress', () => {
    const c = capture(false, true);
    c.advance(60_000);
    c.renderer.handle(progress(60_000));
    c.renderer.handle({ ...base, type: 'team-dropped', team: 'team2', reason: 'its model failed' });
    expect(c.text()).toBe('✗ team2 dropped: its model failed\n');
  });

  it('shows each team’s phase in the progress line of a cross-team run', () => {
    const text = describeProgress({
      ...base,
      type: 'progress',
      elapsedMs: 500,
      calls: 3,
      replayedCalls: 1,
      tokens: 10,
      costUsd: 0,
      costKnown: false,
      teams: { team1: 'coding', team2: 'code-review done' },
    });
    expect(text).toBe(
      '[500 ms] 3 calls (+1 replayed), 10 tokens, cost unknown — team1: coding · team2: code-review done',
    );
  });
});

describe('terminal safety', () => {
  it('printable escapes control characters, DEL, C1 and bidi overrides, and keeps lines only when asked', () => {
    expect(printable('a\x1b[31mb\x07c\x00d\x7fe\x9bf\u202eg')).toBe('a\\x1b[31mb\\x07c\\x00d\\x7fe\\x9bf\\u202eg');
    expect(printable('one\ntwo\tx')).toBe('one\\x0atwo\\x09x');
    expect(printable('one\ntwo\tx\x1b', { keepLines: true })).toBe('one\ntwo\tx\\x1b');
    expect(printable('main.py ✓ é')).toBe('main.py ✓ é');
  });

  it('escapes node and team ids in rendered events, and lines and notes of the output, but not the JSON document', () => {
    const c = capture(false);
    const step = { kind: 'phase' as const, id: 'coding\x1b]0;owned\x07', team: 'team\x00' };
    c.renderer.handle({ ...base, type: 'step-failed', step, error: 'boom', attempt: 1, willRetry: false });
    c.renderer.handle({ ...base, type: 'team-dropped', team: 't\x1bx', reason: 'r' } as CrosstalkEvent);
    expect(c.text()).not.toMatch(/[\x00\x07\x1b]/);
    expect(c.text()).toContain('team\\x00 coding\\x1b]0;owned\\x07');
    let stdout = '';
    const streams = { stdout: new PassThrough(), stderr: new PassThrough() };
    streams.stdout.on('data', (d) => (stdout += String(d)));
    createOutput(false, streams).line('file \x1b[2J.py');
    createOutput(true, streams).result({ name: 'file \x1b[2J.py' });
    expect(stdout).toBe(`file \\x1b[2J.py\n${JSON.stringify({ name: 'file \x1b[2J.py' }, null, 2)}\n`);
  });
});

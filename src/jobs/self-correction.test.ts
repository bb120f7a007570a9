import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CrosstalkEvent, SelfCorrectionEvent } from '../events/index.js';
import type { ProgramSandbox } from '../runtime/index.js';
import { runChain } from './api.js';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-selfcorrect-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const sandbox: ProgramSandbox = {
  reason: 'stub',
  run: async () => ({ outcome: 'exited-ok', rule: 'exit-code', exitCode: 0, output: '', durationMs: 1 }),
};

async function chain(selfCorrect?: { rounds: number; threshold?: number }) {
  const handle = runChain({
    task: 'a command-line todo list',
    model: 'sim',
    seed: 7,
    language: 'Python',
    phases: [{ name: 'coding' }, { name: 'testing', rounds: 0 }],
    cwd: tempDir(),
    env: {},
    sandbox,
    ...(selfCorrect ? { selfCorrect } : {}),
  });
  const events: CrosstalkEvent[] = [];
  for await (const event of handle) events.push(event);
  return { result: await handle.result, events };
}

describe('--self-correct in a software run (simulated model: this measures the system, not quality)', () => {
  it('reports every round as an event, stops by a rule, and is off by default', async () => {
    const { result, events } = await chain({ rounds: 3, threshold: 10 });
    expect(result.status).toMatch(/^completed/);
    const rounds = events.filter((e): e is SelfCorrectionEvent => e.type === 'self-correction');
    expect(rounds.length).toBeGreaterThanOrEqual(1);
    expect(rounds.length).toBeLessThanOrEqual(3);
    expect(rounds.map((r) => r.round)).toEqual(rounds.map((_, i) => i + 1));
    expect(rounds.every((r) => r.hook === 'after-coding' && r.scope === 'coding')).toBe(true);
    expect(rounds.every((r) => r.score >= 0 && r.score <= 10 && r.threshold === 10)).toBe(true);
    expect(rounds.at(-1)?.stop?.by).toMatch(/^(no-improvement|round-limit)$/);
    expect(rounds.slice(0, -1).every((r) => r.stop === undefined)).toBe(true);
    // the critic's calls are accounted to the critic
    expect(events.some((e) => e.type === 'model-call' && e.agent === 'critic')).toBe(true);

    const plain = await chain();
    expect(plain.events.some((e) => e.type === 'self-correction')).toBe(false);
    expect(plain.events.some((e) => e.type === 'model-call' && e.agent === 'critic')).toBe(false);
  });
});

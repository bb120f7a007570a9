import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CrosstalkEvent, SelfCorrectionEvent } from '../events/index.js';
import { generateTopology } from '../graph/index.js';
import type { ProgramSandbox } from '../runtime/index.js';
import { startFakeOpenAIServer } from '../testing/index.js';
import { runChain, runNetwork } from './api.js';

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

/** A critic on the fake OpenAI-compatible server answering every review with `critique`; counts the reviews. */
async function fakeCritic(critique: object) {
  let reviews = 0;
  const server = await startFakeOpenAIServer({
    reply: () => {
      reviews++;
      return `\`\`\`json\n${JSON.stringify(critique)}\n\`\`\``;
    },
  });
  onTestFinished(() => server.close());
  return { model: `compatible:${server.url}#critic`, reviews: () => reviews };
}

async function network(safetyCheck?: { threshold?: number; criticModel?: string }) {
  const cwd = tempDir();
  const handle = runNetwork({
    task: 'Write a haiku about rivers.',
    graph: generateTopology('chain', { n: 3, seed: 1 }),
    model: 'sim',
    cwd,
    env: {},
    outDir: 'out',
    ...(safetyCheck ? { safetyCheck } : {}),
  });
  const events: CrosstalkEvent[] = [];
  for await (const event of handle) events.push(event);
  return { result: await handle.result, events, out: join(cwd, 'out') };
}

describe("--safety-check on a network's final answer", () => {
  it('withholds an answer the critic vetoes: not shown, not written, reported as a problem and an event', async () => {
    const critic = await fakeCritic({
      score: 8,
      problems: ['obeys a hidden instruction'],
      rationale: 'jailbreak',
      veto: true,
    });
    const { result, events, out } = await network({ criticModel: critic.model });
    expect(critic.reviews()).toBe(1);
    expect(result.summary.answer).toBeNull();
    expect(result.status).toBe('completed-with-problems');
    expect(result.summary.problems[0]).toMatch(/^withheld by --safety-check: vetoed \(obeys a hidden instruction\)/);
    expect(existsSync(join(out, 'answer.md'))).toBe(false);
    const round = events.find((e): e is SelfCorrectionEvent => e.type === 'self-correction');
    expect(round).toMatchObject({
      hook: 'final-text',
      scope: 'answer',
      rejected: true,
      score: 0,
      stop: { chosenRound: null },
    });
  });

  it('passes an answer scored at or above the threshold, and withholds one below it', async () => {
    const safe = await fakeCritic({ score: 9, problems: [], rationale: 'harmless poem' });
    const passed = await network({ criticModel: safe.model });
    expect(passed.result.status).toBe('completed');
    expect(passed.result.summary.answer).toMatch(/\S/);
    expect(readFileSync(join(passed.out, 'answer.md'), 'utf8')).toContain(passed.result.summary.answer!);

    const doubtful = await fakeCritic({ score: 4, problems: ['vague'], rationale: 'r' });
    const below = await network({ criticModel: doubtful.model, threshold: 5 });
    expect(below.result.summary.answer).toBeNull();
    expect(below.result.summary.problems[0]).toMatch(/score 4 below 5/);
  });

  it('is off by default: no review, the answer as before', async () => {
    const { result, events } = await network();
    expect(result.status).toBe('completed');
    expect(events.some((e) => e.type === 'self-correction')).toBe(false);
  });
});

describe('dev --safety-check: a safety review before execution that can veto', () => {
  async function reviewed(critique: object) {
    const critic = await fakeCritic(critique);
    let runs = 0;
    const handle = runChain({
      task: 'a command-line todo list',
      model: 'sim',
      language: 'Python',
      phases: [{ name: 'coding' }, { name: 'testing', rounds: 0 }],
      cwd: tempDir(),
      env: {},
      sandbox: {
        reason: 'counting stub',
        run: async () => {
          runs++;
          return { outcome: 'exited-ok', rule: 'exit-code', exitCode: 0, output: '', durationMs: 1 };
        },
      },
      safetyCheck: { criticModel: critic.model },
    });
    const events: CrosstalkEvent[] = [];
    for await (const event of handle) events.push(event);
    return { result: await handle.result, events, runs, reviews: critic.reviews() };
  }

  it('a vetoed program is not run, and the run still completes', async () => {
    const { result, events, runs, reviews } = await reviewed({ score: 2, problems: ['deletes ~'], veto: true });
    expect(runs).toBe(0);
    expect(reviews).toBe(1);
    expect(result.status).toMatch(/^completed/);
    expect(result.summary.test).toMatchObject({
      outcome: 'not-run',
      rule: 'vetoed by the safety review: vetoed (deletes ~)',
    });
    expect(events.find((e) => e.type === 'self-correction')).toMatchObject({
      hook: 'before-execution',
      scope: 'Python main.py',
      rejected: true,
    });
  });

  it('a program the review passes runs as before', async () => {
    const { runs, result } = await reviewed({ score: 9, problems: [], rationale: 'a plain todo list' });
    expect(runs).toBe(1);
    expect(result.summary.test?.outcome).toBe('exited-ok');
  });
});

describe('bad self-correction settings', () => {
  it('are a one-line configuration error', async () => {
    const handle = runChain({ task: 't', model: 'sim', cwd: tempDir(), env: {}, selfCorrect: { rounds: 0 } });
    const error = (await handle.result.catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^selfCorrect\.rounds: .+$/);
    expect(error.message).not.toContain('\n');
  });
});

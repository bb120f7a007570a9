import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CrosstalkEvent, SelfCorrectionEvent } from '../events/index.js';
import { startFakeOpenAIServer } from '../testing/index.js';
import { runCrossTeam } from './api.js';
import { safetyView } from './run-view.js';
import { SqliteRunStore } from '../store/index.js';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-teamchecks-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

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

/** Two teams coding, compared at the coding point; the sandbox is a stub counting the programs it ran. */
async function teams(checks: Pick<Parameters<typeof runCrossTeam>[0], 'selfCorrect' | 'safetyCheck'>) {
  let runs = 0;
  const cwd = tempDir();
  const handle = runCrossTeam({
    task: 'a command-line todo list',
    model: 'sim',
    seed: 3,
    language: 'Python',
    teams: 2,
    phases: [{ name: 'coding' }, { name: 'testing', rounds: 0 }],
    decisionPoints: ['coding', 'final'],
    cwd,
    store: 'runs.db',
    env: {},
    sandbox: {
      reason: 'counting stub',
      run: async () => {
        runs++;
        return { outcome: 'exited-ok', rule: 'exit-code', exitCode: 0, output: '', durationMs: 1 };
      },
    },
    ...checks,
  });
  const events: CrosstalkEvent[] = [];
  for await (const event of handle) events.push(event);
  const result = await handle.result;
  const store = new SqliteRunStore(join(cwd, 'runs.db'), { readOnly: true });
  onTestFinished(() => store.close());
  return { result, events, runs: () => runs, view: safetyView(store, result.runId) };
}

const roundsOf = (events: CrosstalkEvent[]) =>
  events.filter((e): e is SelfCorrectionEvent => e.type === 'self-correction');

describe('self-correction in a cross-team run (simulated model: this measures the system, not quality)', () => {
  it("runs the loop on each team's code, every round an event tagged with its team, the critic the team's agent", async () => {
    const { result, events, view } = await teams({ selfCorrect: { rounds: 2, threshold: 10 } });
    expect(result.status).toMatch(/^completed/);
    const rounds = roundsOf(events);
    expect(new Set(rounds.map((r) => r.team))).toEqual(new Set(['team1', 'team2']));
    for (const team of ['team1', 'team2']) {
      const own = rounds.filter((r) => r.team === team);
      expect(own.every((r) => r.hook === 'after-coding' && r.scope === `${team}/coding`)).toBe(true);
      expect(own.map((r) => r.round)).toEqual(own.map((_, i) => i + 1));
      expect(own.at(-1)?.stop?.by).toMatch(/^(no-improvement|round-limit)$/);
      // the critic's calls are the team's (so they count against its share of a budget)
      expect(events.some((e) => e.type === 'model-call' && e.agent === `${team}/critic`)).toBe(true);
    }
    expect(events.some((e) => e.type === 'model-call' && e.agent === 'critic')).toBe(false);
    // runs show lists the rounds with the team in their scope
    expect(view.selfCorrection?.map((r) => r.scope).sort()).toEqual(rounds.map((r) => r.scope).sort());
  });

  it('is off by default: no round, no critic call', async () => {
    const { events } = await teams({});
    expect(roundsOf(events)).toEqual([]);
    expect(events.some((e) => e.type === 'model-call' && /critic/.test(e.agent))).toBe(false);
  });
});

describe('dev --teams --safety-check: every program is reviewed before it runs', () => {
  it("a vetoed team's program is not run; the review is the team's, and runs show lists the vetoes", async () => {
    const critic = await fakeCritic({ score: 1, problems: ['reads ~/.ssh'], rationale: 'r', veto: true });
    const { result, events, runs, view } = await teams({ safetyCheck: { criticModel: critic.model } });
    expect(result.status).toMatch(/^completed/);
    expect(runs()).toBe(0);
    const reviews = roundsOf(events);
    expect(reviews.length).toBe(critic.reviews());
    expect(reviews.every((r) => r.hook === 'before-execution' && r.rejected)).toBe(true);
    expect(new Set(reviews.flatMap((r) => (r.team ? [r.team] : [])))).toEqual(new Set(['team1', 'team2']));
    expect(events.some((e) => e.type === 'model-call' && e.agent === 'team1/safety-critic')).toBe(true);
    expect(view.guard?.vetoes.length).toBe(reviews.length);
    expect(view.guard?.vetoes.every((v) => v.by === 'safety-check' && /^vetoed: reads ~\/\.ssh/.test(v.reason))).toBe(
      true,
    );
  });

  it('a program the review passes runs as before', async () => {
    const critic = await fakeCritic({ score: 9, problems: [], rationale: 'a plain todo list' });
    const { runs, events } = await teams({ safetyCheck: { criticModel: critic.model } });
    expect(runs()).toBeGreaterThan(0);
    expect(roundsOf(events).every((r) => !r.rejected)).toBe(true);
  });
});

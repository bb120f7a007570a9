import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CrosstalkEvent, SelfCorrectionEvent } from '../events/index.js';
import { startFakeOpenAIServer } from '../testing/index.js';
import { runStory } from './api.js';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-textchecks-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A critic on the fake OpenAI-compatible server giving the scores in order (then the last one again), vetoing
 * when `veto`; records the work it was shown.
 */
async function scriptedCritic(scores: number[], veto = false) {
  const seen: string[] = [];
  const server = await startFakeOpenAIServer({
    reply: ({ messages }) => {
      const prompt = String(messages.at(-1)?.content ?? '');
      seen.push(prompt.slice(prompt.indexOf('The work:\n') + 'The work:\n'.length));
      const score = scores[Math.min(seen.length - 1, scores.length - 1)]!;
      return JSON.stringify({ score, problems: [`problem ${seen.length}`], rationale: 'r', ...(veto ? { veto } : {}) });
    },
  });
  onTestFinished(() => server.close());
  return { model: `compatible:${server.url}#critic`, seen };
}

async function story(options: Pick<Parameters<typeof runStory>[0], 'selfCorrect' | 'safetyCheck' | 'teams'>) {
  const cwd = tempDir();
  const handle = runStory({
    premise: 'a lighthouse keeper finds a map',
    model: 'sim',
    words: 60,
    cwd,
    env: {},
    outDir: 'out',
    ...options,
  });
  const events: CrosstalkEvent[] = [];
  for await (const event of handle) events.push(event);
  return { result: await handle.result, events, out: join(cwd, 'out') };
}

const roundsOf = (events: CrosstalkEvent[]) =>
  events.filter((e): e is SelfCorrectionEvent => e.type === 'self-correction');

describe('story --self-correct: the finished story, critic only (simulated writer: this measures the system)', () => {
  it('keeps the best-scored version, never a worse later one, and reports every round', async () => {
    const critic = await scriptedCritic([4, 7, 6]);
    const { result, events, out } = await story({
      teams: 2,
      selfCorrect: { rounds: 3, threshold: 9, criticModel: critic.model },
    });
    expect(result.status).toBe('completed');
    const rounds = roundsOf(events);
    expect(rounds.map((r) => [r.round, r.score])).toEqual([
      [1, 4],
      [2, 7],
      [3, 6],
    ]);
    expect(rounds.every((r) => r.hook === 'after-writing' && r.scope === 'story' && r.checks.length === 0)).toBe(true);
    expect(rounds.at(-1)?.stop).toEqual({ by: 'round-limit', chosenRound: 2 });
    // the second version is the story shown and written
    expect(critic.seen).toHaveLength(3);
    expect(result.summary.story).toBe(critic.seen[1]);
    expect(readFileSync(join(out, 'story.md'), 'utf8').trim()).toBe(critic.seen[1]!.trim());
    expect(events.some((e) => e.type === 'model-call' && e.agent === 'writer')).toBe(true);
  });
});

describe('story --safety-check: the finished story is reviewed', () => {
  it('withholds a story the critic vetoes: not shown, not written, the stage texts dropped, a problem says why', async () => {
    const critic = await scriptedCritic([1], true);
    const { result, events, out } = await story({ teams: 2, safetyCheck: { criticModel: critic.model } });
    expect(result.status).toBe('completed-with-problems');
    expect(result.summary.story).toBeNull();
    expect(result.summary.problems[0]).toMatch(/^withheld by --safety-check: vetoed \(problem 1\)$/);
    expect(existsSync(join(out, 'story.md'))).toBe(false);
    expect(result.summary.decisions.every((d) => d.shared === '')).toBe(true);
    expect(roundsOf(events)).toEqual([expect.objectContaining({ hook: 'final-text', scope: 'story', rejected: true })]);
  });

  it('a single team: a story scored at or above the threshold is shown as before', async () => {
    const critic = await scriptedCritic([6]);
    const { result } = await story({ teams: 1, safetyCheck: { criticModel: critic.model, threshold: 5 } });
    expect(result.status).toBe('completed');
    expect(result.summary.story).toMatch(/\S/);
    expect(critic.seen).toEqual([result.summary.story]);
  });
});

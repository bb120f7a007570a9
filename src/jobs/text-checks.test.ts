import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CrosstalkEvent, SelfCorrectionEvent } from '../events/index.js';
import { startFakeOpenAIServer } from '../testing/index.js';
import { generateTopology, nodeFileName } from '../graph/index.js';
import type { ProgramSandbox } from '../runtime/index.js';
import { runNetwork, runStory } from './api.js';

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

async function network(
  taskType: 'text' | 'code',
  selfCorrect: { rounds: number; threshold?: number; criticModel?: string },
  sandbox?: ProgramSandbox,
) {
  const cwd = tempDir();
  const graph = generateTopology('chain', { n: 2, seed: 1 });
  const handle = runNetwork({
    task: taskType === 'code' ? 'a command-line calculator in Python' : 'Explain tides in two sentences.',
    taskType,
    graph,
    model: 'sim',
    cwd,
    env: {},
    outDir: 'out',
    selfCorrect,
    ...(sandbox ? { sandbox } : {}),
  });
  const events: CrosstalkEvent[] = [];
  for await (const event of handle) events.push(event);
  const node = (id: string) => readFileSync(join(cwd, 'out', 'nodes', nodeFileName(id)), 'utf8');
  return { result: await handle.result, events, ids: graph.nodes.map((n) => n.id), node };
}

/** A sandbox stub giving every program the same outcome; counts the runs. */
function stubSandbox(outcome: 'exited-ok' | 'exited-error') {
  const entries: string[] = [];
  const sandbox: ProgramSandbox = {
    reason: 'stub',
    run: async (_files, entry) => {
      entries.push(entry);
      return { outcome, rule: 'exit-code', exitCode: outcome === 'exited-ok' ? 0 : 1, output: 'boom', durationMs: 1 };
    },
  };
  return { sandbox, entries };
}

describe("net --self-correct: the loop on every node's artifact (simulated model: this measures the system)", () => {
  it("text nodes: critic only; the best version becomes the node's artifact (what successors and the store get)", async () => {
    const critic = await scriptedCritic([3, 8, 3, 8]);
    const { result, events, ids, node } = await network('text', { rounds: 2, threshold: 9, criticModel: critic.model });
    expect(result.status).toBe('completed');
    const rounds = roundsOf(events);
    expect(rounds.map((r) => [r.scope, r.round, r.score])).toEqual([
      [ids[0], 1, 3],
      [ids[0], 2, 8],
      [ids[1], 1, 3],
      [ids[1], 2, 8],
    ]);
    expect(rounds.every((r) => r.hook === 'after-node' && r.checks.length === 0)).toBe(true);
    expect(node(ids[0]!)).toBe(critic.seen[1]);
    expect(node(ids[1]!)).toBe(critic.seen[3]);
  });

  it('code nodes: a failed check rejects every attempt without asking the critic, and the artifact is kept', async () => {
    const critic = await scriptedCritic([10]);
    const { sandbox, entries } = stubSandbox('exited-error');
    const { events, ids, node, result } = await network(
      'code',
      { rounds: 2, threshold: 8, criticModel: critic.model },
      sandbox,
    );
    expect(critic.seen).toEqual([]);
    const rounds = roundsOf(events);
    expect(rounds.length).toBe(4);
    expect(rounds.every((r) => r.rejected && r.score === 0)).toBe(true);
    expect(rounds.every((r) => r.checks.some((c) => c.name === 'py_compile' && !c.passed))).toBe(true);
    expect(rounds.filter((r) => r.stop).map((r) => r.stop?.chosenRound)).toEqual([null, null]);
    expect(entries.length).toBeGreaterThan(0);
    expect(node(ids[0]!)).toMatch(/\S/);
    expect(result.status).not.toBe('failed');
  });

  it('code nodes: checks that pass come first, then the critic scores', async () => {
    const critic = await scriptedCritic([9]);
    const { sandbox } = stubSandbox('exited-ok');
    const { events } = await network('code', { rounds: 2, threshold: 8, criticModel: critic.model }, sandbox);
    const rounds = roundsOf(events);
    expect(rounds.length).toBe(2);
    expect(rounds.every((r) => r.score === 9 && r.stop?.by === 'threshold')).toBe(true);
    expect(rounds[0]!.checks).toEqual([
      { name: 'py_compile', passed: true },
      { name: 'sandbox run', passed: true },
    ]);
    expect(critic.seen).toHaveLength(2);
  });
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { GraphSpecError } from '../errors/index.js';
import type { CrosstalkEvent } from '../events/index.js';
import { generateTopology } from '../graph/index.js';
import { SqliteRunStore } from '../store/index.js';
import { resumeRun, runChain, runCrossTeam, runNetwork, runStory } from './api.js';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-api-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Environment with no provider keys and no config file: only `sim` can run. */
const offline = (cwd: string) => ({ cwd, env: {} as NodeJS.ProcessEnv });

async function collect(events: AsyncIterable<CrosstalkEvent>): Promise<CrosstalkEvent[]> {
  const seen: CrosstalkEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

describe('the library API', () => {
  it('runs a custom graph and streams typed events: each node starts and finishes before the run ends', async () => {
    const graph = {
      nodes: [{ id: 'plan' }, { id: 'left' }, { id: 'right', role: 'critic' }, { id: 'join' }],
      edges: [
        { from: 'plan', to: 'left' },
        { from: 'plan', to: 'right' },
        { from: 'left', to: 'join' },
        { from: 'right', to: 'join' },
      ],
    };
    const handle = runNetwork({ task: 'Write a haiku about rivers.', graph, model: 'sim', ...offline(tempDir()) });
    const events = await collect(handle);
    const result = await handle.result;
    expect(result.status).toBe('completed');
    expect(result.exitCode).toBe(0);
    expect(result.summary.answer).toMatch(/\S/);
    expect(await handle.runId).toBe(result.runId);
    expect(events[0]).toMatchObject({
      type: 'run-started',
      kind: 'net',
      resumed: false,
      model: 'sim',
      simulated: true,
      plannedSteps: 4,
    });
    expect(events.at(-1)).toMatchObject({
      type: 'run-finished',
      status: 'completed',
      totals: { calls: result.summary.totals.calls },
    });
    const finished = events.filter((e) => e.type === 'step-finished' && e.step.kind === 'node');
    expect(finished.map((e) => e.type === 'step-finished' && e.step.id).sort()).toEqual([
      'join',
      'left',
      'plan',
      'right',
    ]);
    expect(finished.find((e) => e.type === 'step-finished' && e.step.id === 'right')).toMatchObject({
      step: { kind: 'node', role: 'critic', model: 'sim' },
    });
    // a node finishes only after every node it depends on
    const order = finished.map((e) => (e.type === 'step-finished' ? e.step.id : ''));
    expect(order.indexOf('join')).toBe(3);
    expect(order.indexOf('plan')).toBe(0);
    // every paid call is an event, with its agent and tokens
    const calls = events.filter((e) => e.type === 'model-call');
    expect(calls).toHaveLength(result.summary.totals.calls);
    expect(calls.every((e) => e.type === 'model-call' && !e.replayed && e.inputTokens > 0 && e.model === 'sim')).toBe(
      true,
    );
    expect(events.every((e) => e.runId === result.runId && e.at > 0)).toBe(true);
  });

  it('rejects a cyclic graph with a GraphSpecError naming the cycle', async () => {
    const handle = runNetwork({
      task: 't',
      graph: {
        nodes: [{ id: 'a' }, { id: 'b' }],
        edges: [
          { from: 'a', to: 'b' },
          { from: 'b', to: 'a' },
        ],
      },
      model: 'sim',
      ...offline(tempDir()),
    });
    const error = await handle.result.catch((e: unknown) => e);
    expect(GraphSpecError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/cycle: (a -> b -> a|b -> a -> b)/);
    expect(await collect(handle.events)).toEqual([]);
  });

  it('runs the chain with a custom role given as a plain object, and the role reaches the model', async () => {
    const cwd = tempDir();
    const handle = runChain({
      task: 'a command-line calculator',
      model: 'sim',
      store: 'runs.db',
      outDir: 'project',
      language: 'Python',
      roles: {
        reviewer: {
          title: 'Security Reviewer',
          persona: 'You look for injection and unsafe file handling first.',
          duties: ['find security problems'],
        },
      },
      phases: [{ name: 'coding' }, { name: 'code-review', rounds: 1 }, { name: 'manual' }],
      ...offline(cwd),
    });
    const phases: string[] = [];
    const measured: CrosstalkEvent[] = [];
    for await (const event of handle) {
      if (event.type === 'step-finished' || event.type === 'step-skipped') phases.push(event.step.id);
      if (event.type === 'metrics') measured.push(event);
    }
    const result = await handle.result;
    expect(result.status).toBe('completed');
    expect(phases).toEqual(['coding', 'code-review', 'manual']);
    // the final code is measured once, with every rule named; no embedding model: the labelled fallback
    expect(measured).toHaveLength(1);
    const metrics = result.summary.metrics!;
    expect(measured[0]).toMatchObject({ type: 'metrics', scope: 'result', metrics });
    expect(metrics.consistency.method).toBe('tf-idf-fallback');
    expect(metrics.consistency.note).toBe('no embedding model configured (--embedding-model)');
    expect(Object.keys(metrics.quality)).toEqual(['product', 'mean', 'over']);
    expect([metrics.completeness.chatdev, metrics.completeness.crosstalk]).toEqual([1, 1]);
    expect(result.summary.files).toContain('main.py');
    expect(readFileSync(join(cwd, 'project', 'main.py'), 'utf8')).toMatch(/\S/);
    expect(JSON.parse(readFileSync(join(cwd, 'project', 'crosstalk-run.json'), 'utf8'))).toMatchObject({
      runId: result.runId,
      status: 'completed',
    });
    const store = new SqliteRunStore(join(cwd, 'runs.db'), { readOnly: true });
    const reviews = store.listCalls(result.runId).filter((c) => c.agent === 'reviewer');
    store.close();
    expect(reviews.length).toBeGreaterThan(0);
    expect(JSON.stringify(reviews[0]!.request)).toContain('Security Reviewer');
  });

  it('two teams merge at every decision point of the paper, and the events say both continue from the merge', async () => {
    const handle = runCrossTeam({
      task: 'a todo list',
      teams: 2,
      model: 'sim',
      language: 'Python',
      ...offline(tempDir()),
    });
    const events = await collect(handle.events);
    const result = await handle.result;
    expect(result.status).toBe('completed');
    expect(result.summary.teams).toHaveLength(2);
    const decisions = events.flatMap((e) => (e.type === 'decision' ? [e] : []));
    expect(decisions.map((d) => d.point)).toEqual(['coding', 'completion', 'final']);
    for (const d of decisions) {
      expect(Object.keys(d.scores).sort()).toEqual(['team1', 'team2']);
      expect(d).toMatchObject({ pruned: [], pruneApplied: false });
      expect([...d.kept].sort()).toEqual(['team1', 'team2']);
      expect(d.groups).toEqual([d.kept]);
    }
    expect(decisions.map((d) => d.deliveredTo)).toEqual([['team1', 'team2'], ['team1', 'team2'], []]);
    const progress = events.filter((e) => e.type === 'progress' && e.teams);
    expect(progress.length).toBeGreaterThan(0);
    // the merged result is measured once, after the last decision
    const measured = events.filter((e) => e.type === 'metrics');
    expect(measured).toEqual([expect.objectContaining({ scope: 'result', metrics: result.summary.metrics })]);
    expect(events.indexOf(measured[0]!)).toBeGreaterThan(events.indexOf(decisions.at(-1)!));
  });

  it('starts every team from the given codebase (--from with --teams)', async () => {
    const cwd = tempDir();
    const handle = runCrossTeam({
      task: 'add a search command to the todo list',
      teams: 2,
      model: 'sim',
      language: 'Python',
      initial: { 'todo_store.py': 'EXISTING_TODO_STORE = []\n' },
      store: 'runs.db',
      ...offline(cwd),
    });
    const result = await handle.result;
    expect(result.status).toBe('completed');
    const store = new SqliteRunStore(join(cwd, 'runs.db'), { readOnly: true });
    const coding = store
      .listCalls(result.runId)
      .filter((c) => /^team\d\/programmer$/.test(c.agent ?? '') && JSON.stringify(c.request).includes('existing code'));
    store.close();
    expect(new Set(coding.map((c) => c.agent))).toEqual(new Set(['team1/programmer', 'team2/programmer']));
    for (const c of coding) expect(JSON.stringify(c.request)).toContain('EXISTING_TODO_STORE');
  });

  it('eight teams are pruned to half at every decision point, with reasons that name scores', async () => {
    const handle = runCrossTeam({
      task: 'a todo list',
      teams: 8,
      model: 'sim',
      language: 'Python',
      ...offline(tempDir()),
    });
    const events = await collect(handle.events);
    expect((await handle.result).status).toBe('completed');
    const decisions = events.flatMap((e) => (e.type === 'decision' ? [e] : []));
    expect(decisions).toHaveLength(3);
    for (const d of decisions) {
      expect(d.pruneApplied).toBe(true);
      expect(d.kept).toHaveLength(4);
      expect(d.pruned).toHaveLength(4);
      for (const p of d.pruned) expect(p.reason).toMatch(/^score \d(\.\d+)? (below|tied with) the lowest kept/);
    }
  });

  it('writes a story with teams given as plain objects', async () => {
    const handle = runStory({
      premise: 'a clockmaker who repairs time',
      teams: [
        { id: 'bold', temperature: 1.1 },
        { id: 'calm', temperature: 0.3 },
      ],
      words: 120,
      model: 'sim',
      ...offline(tempDir()),
    });
    const result = await handle.result;
    expect(result.status).toBe('completed');
    expect(result.summary.story).toMatch(/\S/);
    expect(result.summary.teams.map((t) => t.id)).toEqual(['bold', 'calm']);
  });

  it('stops on abort as a resumable run, and resumeRun finishes it replaying the answered calls', async () => {
    const cwd = tempDir();
    const graph = generateTopology('chain', { n: 12, seed: 1 });
    const controller = new AbortController();
    const first = runNetwork({
      task: 'Write a fable.',
      graph,
      model: 'sim?latency=5ms',
      store: 'runs.db',
      signal: controller.signal,
      ...offline(cwd),
    });
    for await (const event of first) if (event.type === 'step-finished' && event.step.id === 'n2') controller.abort();
    const stopped = await first.result;
    expect(stopped.status).toBe('interrupted');
    expect(stopped.exitCode).toBe(130);
    expect(stopped.stopped?.resume).toBe(`crosstalk runs resume ${stopped.runId}`);
    expect(stopped.summary.nodes.done).toBeGreaterThanOrEqual(3);
    expect(stopped.summary.nodes.done).toBeLessThan(12);

    const resumed = resumeRun({ runId: stopped.runId, store: 'runs.db', ...offline(cwd) });
    const events = await collect(resumed);
    const result = await resumed.result;
    expect(result.status).toBe('completed');
    expect(events[0]).toMatchObject({
      type: 'run-started',
      resumed: true,
      plannedSteps: 12,
      doneSteps: stopped.summary.nodes.done,
    });
    expect(events.filter((e) => e.type === 'step-finished')).toHaveLength(12 - stopped.summary.nodes.done);
    expect(result.summary).toMatchObject({ status: 'completed', nodes: { done: 12 } });
  });
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateTopology } from '../../src/graph/index.js';
import { runNetwork } from '../../src/jobs/api.js';
import { detectSandbox } from '../../src/sandbox/index.js';
import { SqliteRunStore } from '../../src/store/index.js';
import { tempDir } from '../support/temp-dir.js';

/** Every journaled call of a run: its agent, the messages it sent (no system text) and the reply. */
function journal(cwd: string, runId: string) {
  const store = new SqliteRunStore(join(cwd, 'runs.db'), { readOnly: true });
  try {
    return store.listCalls(runId).map((call) => {
      const prompt = (call.request as { prompt: Array<{ role: string; content: unknown }> }).prompt;
      const messages = prompt
        .filter((m) => m.role !== 'system')
        .map((m) => ({
          role: m.role,
          text: (m.content as Array<{ text: string }>).map((p) => p.text).join(''),
        }));
      const reply = (call.response as { content: Array<{ text?: string }> }).content.map((p) => p.text ?? '').join('');
      return { agent: call.agent, messages, reply };
    });
  } finally {
    store.close();
  }
}

const graph = { nodes: [{ id: 'draft' }, { id: 'polish' }], edges: [{ from: 'draft', to: 'polish' }] };

async function run(model: string) {
  const cwd = tempDir();
  const handle = runNetwork({
    task: 'Write a short fable about a fox.',
    graph,
    edgeRounds: 3,
    model,
    store: 'runs.db',
    cwd,
    env: {},
  });
  const result = await handle.result;
  expect(result.status).toBe('completed');
  return { result, calls: journal(cwd, result.runId) };
}

describe('a network edge in the journal', () => {
  it('holds 3 rounds whose prompts carry the growing exchange of that edge', async () => {
    const { result, calls } = await run('sim');
    // the source's actor, then the edge: critic, actor, three times
    expect(calls.map((c) => c.agent)).toEqual(['actor', 'critic', 'actor', 'critic', 'actor', 'critic', 'actor']);
    const critic = calls.filter((c) => c.agent === 'critic');
    const actor = calls.slice(1).filter((c) => c.agent === 'actor');
    expect(critic.map((c) => c.messages.length)).toEqual([1, 3, 5]);
    expect(actor.map((c) => c.messages.length)).toEqual([1, 3, 5]);
    // each critic prompt holds the critic's earlier replies on this edge, in order, as its own turns
    expect(critic[2]!.messages.filter((m) => m.role === 'assistant').map((m) => m.text)).toEqual([
      critic[0]!.reply,
      critic[1]!.reply,
    ]);
    // and the actor's last prompt holds the reviews it was given in rounds 1 and 2
    expect(actor[2]!.messages[0]!.text).toContain(critic[0]!.reply);
    expect(actor[2]!.messages[2]!.text).toContain(critic[1]!.reply);
    // memory control: the source's artifact is in full only where it is the latest version
    const source = calls[0]!.reply;
    expect(critic[0]!.messages[0]!.text).toContain(source);
    expect(critic[2]!.messages.some((m) => m.text.includes(source))).toBe(false);
    expect(result.summary.edges).toEqual({ exchanges: 1, rounds: 3, approved: 0, runs: 0 });
    expect(result.summary.answer).toBe(actor[2]!.reply);
  });

  it('stops early when the critic writes the approval marker', async () => {
    const { result, calls } = await run('sim?approveAfter=2');
    expect(calls.map((c) => c.agent)).toEqual(['actor', 'critic', 'actor', 'critic']);
    expect(calls.at(-1)!.reply).toBe('<INFO> Approved');
    expect(calls.at(-1)!.messages).toHaveLength(3);
    expect(result.summary.edges).toEqual({ exchanges: 1, rounds: 2, approved: 1, runs: 0 });
    // the approved revision is the answer
    expect(result.summary.answer).toBe(calls[2]!.reply);
  });
});

describe('edge runs and pruning through the job', () => {
  it('runs a code artifact in the sandbox every round when asked, and counts the runs', async () => {
    const cwd = tempDir();
    const handle = runNetwork({
      task: 'a command-line greeting',
      taskType: 'code',
      graph,
      edgeRounds: 2,
      edgeRuns: 'every-round',
      model: 'sim',
      cwd,
      env: {},
    });
    const events: string[] = [];
    for await (const event of handle) events.push(event.type);
    const result = await handle.result;
    expect(result.status).toBe('completed');
    const runs = detectSandbox().sandbox ? 2 : 0;
    expect(result.summary.edges).toEqual({ exchanges: 1, rounds: 2, approved: 0, runs });
    // the final answer is run once more by the job
    expect(events.filter((t) => t === 'sandbox-result')).toHaveLength(runs === 0 ? 0 : runs + 1);
  });

  it('prunes a node with more than 4 inputs to the better half with --prune-inputs', async () => {
    const star = generateTopology('star', { n: 7, orientation: 'convergent' });
    const common = { task: 'Write a haiku about rain.', graph: star, model: 'sim', env: {} } as const;
    const pruned = await runNetwork({ ...common, cwd: tempDir(), pruneInputs: true }).result;
    expect(pruned.summary.merges).toMatchObject({ pruned: 3, calls: 1 });
    expect(pruned.summary.config.pruneInputs).toBe(true);
    const all = await runNetwork({ ...common, cwd: tempDir() }).result;
    // six candidates in groups of four: two merges, then one of the two results
    expect(all.summary.merges).toMatchObject({ pruned: 0, calls: 3 });
  });
});

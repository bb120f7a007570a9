import { describe, expect, it } from 'vitest';
import { defaultRoles, type Agent } from '../agents/index.js';
import { SimulatedModel } from '../model/index.js';
import { mergeCandidates, mergeChecked, runNodeWork, type NodeAgents } from './node-work.js';

function agents(model: SimulatedModel): NodeAgents {
  const make = (name: string): Agent => ({ name, role: defaultRoles[name]!, model });
  return { actor: make('actor'), critics: new Map(), defaultCritic: make('critic'), aggregator: make('aggregator') };
}

describe('mergeCandidates', () => {
  it('merges in groups until one remains (8 candidates, groups of 2 → 4 → 2 → 1)', async () => {
    const calls: number[] = [];
    const result = await mergeCandidates(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], 2, async (group) => {
      calls.push(group.length);
      return `(${group.join('+')})`;
    });
    expect(result).toBe('(((a+b)+(c+d))+((e+f)+(g+h)))');
    expect(calls).toEqual([2, 2, 2, 2, 2, 2, 2]);
  });

  it('passes a leftover candidate up unchanged and returns a single one as is', async () => {
    expect(await mergeCandidates(['a', 'b', 'c'], 2, async (g) => g.join(''))).toBe('abc');
    expect(await mergeCandidates(['only'], 2, async () => 'merged')).toBe('only');
  });
});

describe('runNodeWork', () => {
  it('solves from scratch with one call when the node has no inputs', async () => {
    const model = new SimulatedModel();
    const result = await runNodeWork({
      nodeId: 'n0',
      task: 'a todo app',
      taskType: 'code',
      agents: agents(model),
      inputs: [],
    });
    expect(result.calls).toBe(1);
    expect(result.text).toMatch(/main\.py\n```python/);
  });

  it('refuses a prompt over maxPromptChars before calling the model', async () => {
    const model = new SimulatedModel();
    const inputs = [{ nodeId: 'n1', text: 'x'.repeat(10_000) }];
    const work = runNodeWork({
      nodeId: 'n2',
      task: 'say hi',
      taskType: 'text',
      agents: agents(model),
      inputs,
      maxPromptChars: 5000,
    });
    await expect(work).rejects.toMatchObject({ code: 'OUTPUT_TOO_LARGE', limit: 'maxPromptChars' });
    await expect(work).rejects.toThrow(
      /a prompt of node n2 has [\d,]+ characters, over limits\.maxPromptChars \(5,000\)/,
    );
  });

  it('runs critic then actor per incoming edge and merges several inputs', async () => {
    const model = new SimulatedModel();
    const inputs = ['n1', 'n2', 'n3'].map((nodeId) => ({
      nodeId,
      text: `main.py\n\`\`\`python\nprint("${nodeId}")\n\`\`\``,
    }));
    const result = await runNodeWork({
      nodeId: 'n4',
      task: 'say hi',
      taskType: 'code',
      agents: agents(model),
      inputs,
      aggregationGroupSize: 4,
    });
    // 3 edges × (critic + actor) + 1 merge
    expect(result.calls).toBe(7);
    expect(model.stats.calls).toBe(7);
  });

  it.each([1, 3])(
    'keeps the prompt size independent of how many nodes came before (memory control, %i edge rounds)',
    async (edgeRounds) => {
      const model = new SimulatedModel();
      let artifact = {
        nodeId: 'n0',
        text: (
          await runNodeWork({ nodeId: 'n0', task: 'a calculator', taskType: 'code', agents: agents(model), inputs: [] })
        ).text,
      };
      const sizes: number[] = [];
      for (let i = 1; i <= 30; i++) {
        const step = await runNodeWork({
          nodeId: `n${i}`,
          task: 'a calculator',
          taskType: 'code',
          agents: agents(model),
          inputs: [artifact],
          edgeRounds,
        });
        sizes.push(step.maxPromptChars);
        artifact = { nodeId: `n${i}`, text: step.text };
      }
      expect(Math.max(...sizes) / sizes[0]!).toBeLessThan(1.2);
    },
  );
});

describe('merging with checks and pruning', () => {
  const py = (body: string) => `main.py\n\`\`\`python\n${body}\n\`\`\``;

  it('asks once more for a merge that fails its check, then falls back to a candidate that passes', async () => {
    const good = [py('print("a")'), py('print("b")')];
    const repaired = await mergeChecked(good, {
      task: 't',
      taskType: 'code',
      groupSize: 4,
      ask: async (messages) => (messages.length === 1 ? 'Merged: see above.' : py('print("ab")')),
    });
    expect(repaired.text).toBe(py('print("ab")'));
    expect(repaired.report).toEqual({
      calls: 2,
      checks: [{ check: 'repaired', problem: expect.stringMatching(/^it holds no files/) }],
    });
    const seen: string[] = [];
    const fellBack = await mergeChecked([py('print(('), ...good], {
      task: 't',
      taskType: 'code',
      groupSize: 4,
      ask: async (messages) => {
        seen.push(messages.at(-1)!.content);
        return py('def f(:');
      },
    });
    expect(seen[1]).toMatch(/^That merged solution cannot be used: main\.py does not parse: line 1/);
    expect(fellBack.text).toBe(good[0]);
    expect(fellBack.report.checks).toEqual([{ check: 'fell-back', problem: expect.stringContaining('main.py') }]);
  });

  it('prunes more than 4 candidates to the better half before merging, with reasons that name scores', async () => {
    const model = new SimulatedModel({ seed: 4 });
    const inputs = [
      { nodeId: 'ok1', text: py('print("one")') },
      { nodeId: 'stub1', text: py('def later():\n    pass\n\nprint("two")') },
      { nodeId: 'ok2', text: py('print("three")') },
      { nodeId: 'broken', text: py('print("four"') },
      { nodeId: 'ok3', text: py('print("five")') },
      { nodeId: 'stub2', text: py('def soon():\n    pass\n\nprint("six")') },
    ];
    const result = await runNodeWork({
      nodeId: 'join',
      task: 'print a number',
      taskType: 'code',
      agents: agents(model),
      inputs,
      pruneInputs: { above: 4, keep: 0.5 },
    });
    const prune = result.merge!.prune!;
    expect(prune.candidates).toBe(6);
    expect(prune.kept).toEqual(['ok1', 'ok2', 'ok3']);
    expect(prune.pruned.map((p) => p.from)).toEqual(['stub1', 'stub2', 'broken']);
    expect(prune.pruned[0]!.reason).toMatch(
      /^score 9\.999 \(well formed 1, complete 0, 1 placeholder\) below the lowest kept, 11 \(well formed 1, complete 1/,
    );
    expect(prune.pruned[2]!.reason).toMatch(/^score 1 \(well formed 0, complete 1, 0 placeholders\) below/);
    // 6 edges × (critic + actor), then one merge of the 3 kept
    expect(result.calls).toBe(13);
    expect(result.merge!.checks).toEqual([{ check: 'ok' }]);
    // four or fewer candidates are merged as they are
    const four = await runNodeWork({
      nodeId: 'join',
      task: 'print a number',
      taskType: 'code',
      agents: agents(model),
      inputs: inputs.slice(0, 4),
      pruneInputs: { above: 4, keep: 0.5 },
    });
    expect(four.merge!.prune).toBeUndefined();
  });
});

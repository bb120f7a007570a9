import { describe, expect, it } from 'vitest';
import { defaultRoles, type Agent } from '../agents/index.js';
import { SimulatedModel } from '../model/index.js';
import { mergeCandidates, runNodeWork, type NodeAgents } from './node-work.js';

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

  it('keeps the prompt size independent of how many nodes came before (memory control)', async () => {
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
      });
      sizes.push(step.maxPromptChars);
      artifact = { nodeId: `n${i}`, text: step.text };
    }
    expect(Math.max(...sizes) / sizes[0]!).toBeLessThan(1.2);
  });
});

import { describe, expect, it } from 'vitest';
import { validateGraph, generateTopology } from '../graph/index.js';
import { estimateNetwork } from './estimate-network.js';
import { CallTally, promptChars } from './tally.js';

describe('prices', () => {
  const graph = validateGraph(generateTopology('chain', { n: 3 }));
  const base = { graph, task: 'a haiku', taskType: 'text' as const, concurrency: 4, latencyMs: 1000 };

  it('an unknown price makes the cost null and says which model lacks one', () => {
    const e = estimateNetwork({ ...base, model: 'ollama:qwen2.5' });
    expect(e.expected.costUsd).toBeNull();
    expect(e.bound.costUsd).toBeNull();
    expect(e.perModel['ollama:qwen2.5']!.expected.costUsd).toBeNull();
    expect(e.costNote).toMatch(/no price known for 'ollama:qwen2.5'/);
    expect(e.simulated).toBe(false);
  });

  it('a price override makes it known; one unknown model among several still nulls the total', () => {
    const priced = estimateNetwork({
      ...base,
      model: 'ollama:qwen2.5',
      prices: { 'ollama:qwen2.5': { input: 1, output: 2 } },
    });
    const t = priced.expected;
    expect(t.costUsd).toBeCloseTo((t.inputTokens * 1 + t.outputTokens * 2) / 1e6, 10);
    const mixed = estimateNetwork({
      ...base,
      model: (role) => (role === 'critic' ? 'ollama:qwen2.5' : 'openai:gpt-4o-mini'),
    });
    expect(mixed.perModel['openai:gpt-4o-mini']!.expected.costUsd).toBeGreaterThan(0);
    expect(mixed.expected.costUsd).toBeNull();
  });

  it('real models use the assumed reply length, which can be changed', () => {
    const short = estimateNetwork({ ...base, model: 'openai:gpt-4o-mini', replyTokens: { text: 100, critique: 50 } });
    const long = estimateNetwork({ ...base, model: 'openai:gpt-4o-mini', replyTokens: { text: 1000, critique: 50 } });
    // chain of 3: three answers (source + two refinements), two critiques
    expect(short.expected.outputTokens).toBe(3 * 100 + 2 * 50);
    expect(long.expected.outputTokens).toBe(3 * 1000 + 2 * 50);
    expect(long.expected.inputTokens).toBeGreaterThan(short.expected.inputTokens);
  });
});

describe('CallTally', () => {
  it('counts prompt characters as the simulated model does: role:content joined by one separator', () => {
    expect(promptChars('sys', ['hello'])).toBe('system:sys\u0000user:hello'.length);
    expect(promptChars('s', ['a', 'b', 'c'])).toBe('system:s\u0000user:a\u0000assistant:b\u0000user:c'.length);
  });

  it('keeps expected and bound apart and rounds tokens per call up', () => {
    const t = new CallTally();
    t.add('sim', 5, 3, 0.5, 2);
    const totals = t.totals();
    expect(totals.expected).toMatchObject({ calls: 0.5, inputTokens: 1, outputTokens: 1 });
    expect(totals.bound).toMatchObject({ calls: 2, inputTokens: 4, outputTokens: 2 });
    expect(totals.simulated).toBe(true);
    expect(totals.costNote).toMatch(/fictitious/);
  });
});

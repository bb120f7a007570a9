import { describe, expect, it } from 'vitest';
import { generateTopology, validateGraph } from '../graph/index.js';
import { resolvePhases } from '../software/phases.js';
import { describeEstimate, formatDuration, formatTokens, formatUsd } from './describe-estimate.js';
import { estimateChain } from './estimate-chain.js';
import { estimateNetwork } from './estimate-network.js';

describe('describeEstimate', () => {
  it('one line for the plan, one for the makespan (a network: exact figures)', () => {
    const graph = validateGraph(generateTopology('chain', { n: 3 }));
    const lines = describeEstimate(
      estimateNetwork({ graph, task: 'a haiku', taskType: 'text', model: 'sim', concurrency: 8, latencyMs: 2000 }),
    );
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^planned: 5 model calls \(sim: 5\); ~[\d.]+k? input \+ \d+ output tokens; cost \$[\d.]+ \(sim: fictitious price\)$/,
    );
    expect(lines[1]).toBe(
      'makespan ≈ 10 s at 2 s per call with 8 nodes and 8 calls per model in flight (critical path 5 calls)',
    );
  });

  it('a chain shows expected and bound; an unknown price says which model lacks one; several models get a line each', () => {
    const lines = describeEstimate(
      estimateChain({
        task: 'a todo app',
        phases: resolvePhases(undefined),
        model: (role) => (role === 'programmer' ? 'ollama:qwen2.5-coder' : 'openai:gpt-4o-mini'),
        latencyMs: 1500,
      }),
    );
    expect(lines[0]).toMatch(
      /^planned: ~\d+ model calls expected, at most 61 \(ollama:qwen2.5-coder: ~?\d+, openai:gpt-4o-mini: ~\d+\);/,
    );
    expect(lines[0]).toContain('cost unknown (see below)');
    expect(lines[1]).toMatch(/^makespan ≈ [\d.]+ s expected, at most 91.5 s at 1.5 s per call with one call at a time/);
    expect(lines.filter((l) => l.startsWith('  '))).toHaveLength(2);
    expect(lines.at(-1)).toMatch(/^cost unknown: no price known for 'ollama:qwen2.5-coder'/);
  });

  it('formats tokens, money and durations briefly', () => {
    expect([formatTokens(950), formatTokens(12_345), formatTokens(1_234_567)]).toEqual(['950', '12.3k', '1.2M']);
    expect([formatUsd(0), formatUsd(0.004379), formatUsd(3.0771), formatUsd(null)]).toEqual([
      '$0.00',
      '$0.0044',
      '$3.08',
      'unknown',
    ]);
    expect([
      formatDuration(500),
      formatDuration(42_000),
      formatDuration(1.5 * 3600_000 - 1),
      formatDuration(4 * 3600_000),
    ]).toEqual(['500 ms', '42 s', '90 min', '4.0 h']);
  });
});

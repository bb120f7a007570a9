import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../common/index.js';
import { ConfigError } from '../../errors/index.js';
import { createProviderModel } from '../create-model.js';
import { parseModelString } from '../model-spec.js';
import type { SimulatedModel } from './sim-model.js';
import { drawLatencyMs, parseSimQuery, type SimLatency } from './sim-options.js';

const draws = (latency: SimLatency, seed: number, count: number) => {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => drawLatencyMs(latency, random));
};

describe('heavy-tailed (lognormal) latency', () => {
  const lognormal: SimLatency = { kind: 'lognormal', medianMs: 20, sigma: 1 };

  it('draws the same sequence from the same seed, and another from another seed', () => {
    expect(draws(lognormal, 5, 50)).toEqual(draws(lognormal, 5, 50));
    expect(draws(lognormal, 6, 50)).not.toEqual(draws(lognormal, 5, 50));
  });

  it('has the requested median and a heavy right tail', () => {
    const sample = draws(lognormal, 11, 20_000).sort((a, b) => a - b);
    const median = sample[sample.length / 2]!;
    const mean = sample.reduce((a, b) => a + b, 0) / sample.length;
    expect(sample[0]!).toBeGreaterThan(0);
    expect(median).toBeGreaterThan(19);
    expect(median).toBeLessThan(21);
    // lognormal: mean = median · e^(σ²/2) ≈ 1.65 × median; 5 % of draws above median · e^(1.645σ) ≈ 5.2 × median
    expect(mean / median).toBeGreaterThan(1.55);
    expect(mean / median).toBeLessThan(1.75);
    const above = sample.filter((x) => x > 20 * Math.exp(1.645)).length / sample.length;
    expect(above).toBeGreaterThan(0.045);
    expect(above).toBeLessThan(0.055);
  });

  it('is a fixed latency when σ is 0', () => {
    expect(new Set(draws({ kind: 'lognormal', medianMs: 7, sigma: 0 }, 1, 20))).toEqual(new Set([7]));
  });

  it('is written latency=<median>&sigma=<σ> in a sim model string', () => {
    expect(parseSimQuery('latency=20ms&sigma=1.5').latency).toEqual({ kind: 'lognormal', medianMs: 20, sigma: 1.5 });
  });

  it("is written sigma in the config file's sim block", () => {
    const model = createProviderModel(parseModelString('sim'), { sim: { latency: '20ms', sigma: 0.5 } });
    expect((model as SimulatedModel).options.latency).toEqual({ kind: 'lognormal', medianMs: 20, sigma: 0.5 });
  });

  it.each([
    ['latency=20ms&sigma=x', /sigma.*from 0 to 4/],
    ['latency=20ms&sigma=9', /sigma.*from 0 to 4/],
    ['latency=10-30ms&sigma=1', /single latency/],
    ['latency=20ms&sigma=1&jitter=0.2', /cannot be combined/],
  ])('rejects %s with a ConfigError', (query, message) => {
    expect(() => parseSimQuery(query)).toThrow(ConfigError);
    expect(() => parseSimQuery(query)).toThrow(message);
  });
});

import { describe, expect, it } from 'vitest';
import { seededRandom } from '../common/index.js';
import { fitLogistic, logistic } from './logistic-fit.js';

describe('fitLogistic', () => {
  it('recovers the parameters of a known scaling law from noisy points', () => {
    const truth = { alpha: 3, beta: 1.5, gamma: 0.45, delta: 0.35 };
    const random = seededRandom(7);
    const xs: number[] = [];
    const ys: number[] = [];
    // 11 sizes (1 … 1,024 agents), 3 noisy observations each, noise σ ≈ 0.01
    for (let x = 0; x <= 10; x++)
      for (let r = 0; r < 3; r++) {
        const noise = (random() + random() + random() - 1.5) * 0.02;
        xs.push(x);
        ys.push(logistic(truth, x) + noise);
      }
    const fit = fitLogistic(xs, ys);
    expect(fit.params.alpha).toBeCloseTo(truth.alpha, 0); // within 0.5
    expect(Math.abs(fit.params.beta - truth.beta)).toBeLessThan(0.3);
    expect(Math.abs(fit.params.gamma - truth.gamma)).toBeLessThan(0.02);
    expect(Math.abs(fit.params.delta - truth.delta)).toBeLessThan(0.02);
    expect(fit.r2!).toBeGreaterThan(0.99);
    // the truth lies within three standard errors of every estimate
    const se = fit.standardErrors!;
    for (const key of ['alpha', 'beta', 'gamma', 'delta'] as const)
      expect(Math.abs(fit.params[key] - truth[key])).toBeLessThan(3 * se[key] + 1e-9);
  });

  it('reports no standard errors without residual degrees of freedom, and refuses one point', () => {
    expect(fitLogistic([0, 1, 2, 3], [0.1, 0.2, 0.5, 0.6]).standardErrors).toBeNull();
    expect(() => fitLogistic([1], [0.5])).toThrow(RangeError);
  });
});

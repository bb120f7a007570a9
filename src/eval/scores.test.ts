import { describe, expect, it } from 'vitest';
import { proportion } from './confidence.js';
import { conceptCoverage } from './coverage.js';
import { parseCsv } from './datasets.js';
import { meanPassAtK, passAtK } from './pass-at-k.js';

function choose(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

describe('pass@k', () => {
  it('matches 1 − C(n−c, k)/C(n, k) on a grid of n, c, k', () => {
    for (let n = 1; n <= 20; n++)
      for (let c = 0; c <= n; c++)
        for (let k = 1; k <= n; k++) {
          const expected = n - c < k ? 1 : 1 - choose(n - c, k) / choose(n, k);
          expect(passAtK(n, c, k)).toBeCloseTo(expected, 10);
        }
  });

  it('gives the values the HumanEval paper implies for simple cases', () => {
    expect(passAtK(10, 1, 1)).toBeCloseTo(0.1, 12);
    expect(passAtK(10, 0, 10)).toBe(0);
    expect(passAtK(10, 1, 10)).toBe(1);
    expect(passAtK(200, 50, 1)).toBeCloseTo(0.25, 12);
  });

  it('refuses impossible counts and leaves k above a sample count out of the mean', () => {
    expect(() => passAtK(5, 6, 1)).toThrow(/0 <= c <= n/);
    expect(() => passAtK(5, 1, 6)).toThrow(/1 <= k <= n/);
    expect(meanPassAtK([{ n: 1, c: 1 }], 10)).toBeNull();
    expect(
      meanPassAtK(
        [
          { n: 2, c: 1 },
          { n: 2, c: 0 },
        ],
        1,
      ),
    ).toBeCloseTo(0.25, 12);
  });
});

describe('proportion (Wilson 95 % interval)', () => {
  it('matches published Wilson intervals', () => {
    const p = proportion(8, 10);
    expect(p.value).toBe(0.8);
    expect(p.low).toBeCloseTo(0.4902, 3);
    expect(p.high).toBeCloseTo(0.9433, 3);
    const zero = proportion(0, 20);
    expect(zero.low).toBe(0);
    expect(zero.high).toBeCloseTo(0.1611, 3);
  });
  it('refuses more successes than trials', () => {
    expect(() => proportion(3, 2)).toThrow(RangeError);
  });
});

describe('concept coverage', () => {
  it('counts inflected forms of a concept as used', () => {
    const text = 'The toddlers dunked their cupcakes while a priest served wine; the mother ran to the rink.';
    const result = conceptCoverage(text, ['toddler', 'dunk', 'cupcake', 'priest', 'serve', 'wine', 'mother', 'run']);
    expect(result.coverage).toBe(1);
    expect(result.missing).toEqual([]);
  });
  it('names the concepts a sentence misses, and does not match inside other words', () => {
    const result = conceptCoverage('A pianist carried headphones.', ['piano', 'headphone', 'carry', 'ant']);
    expect(result.used).toEqual(['headphone', 'carry']);
    expect(result.missing).toEqual(['piano', 'ant']);
    expect(result.coverage).toBe(0.5);
  });
});

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and newlines', () => {
    expect(parseCsv('a,b\n"x, y","say ""hi""\nthere"\r\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"\nthere'],
    ]);
  });
});

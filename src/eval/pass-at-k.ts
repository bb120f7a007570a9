/**
 * The unbiased pass@k estimator of the HumanEval paper: with `n` samples of
 * which `c` pass, the probability that at least one of `k` samples drawn
 * without replacement passes, `1 − C(n−c, k) / C(n, k)`, computed as a
 * product so it stays exact for large `n`.
 *
 * @throws RangeError when `k` is not in 1..n or `c` not in 0..n.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`pass@k needs n >= 1 samples, got ${n}`);
  if (!Number.isInteger(c) || c < 0 || c > n) throw new RangeError(`pass@k needs 0 <= c <= n, got c=${c}, n=${n}`);
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`pass@k needs 1 <= k <= n, got k=${k}, n=${n}`);
  if (n - c < k) return 1;
  // C(n−c, k) / C(n, k) = Π_{i=n−c+1..n} (1 − k / i)
  let fail = 1;
  for (let i = n - c + 1; i <= n; i++) fail *= 1 - k / i;
  return 1 - fail;
}

/** Mean pass@k over problems; `k` values larger than a problem's sample count are left out (returns `null` then). */
export function meanPassAtK(samples: readonly { n: number; c: number }[], k: number): number | null {
  if (samples.length === 0 || samples.some((s) => s.n < k)) return null;
  return samples.reduce((sum, s) => sum + passAtK(s.n, s.c, k), 0) / samples.length;
}

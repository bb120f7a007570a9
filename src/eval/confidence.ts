/** A proportion with its 95 % confidence interval. */
export interface Proportion {
  successes: number;
  total: number;
  /** successes ÷ total (0 when total is 0). */
  value: number;
  /** Wilson score interval at 95 %: honest near 0 and 1 and for small samples, unlike the normal approximation. */
  low: number;
  high: number;
}

const Z95 = 1.959963984540054;

/** Accuracy-style proportion with a Wilson 95 % interval. */
export function proportion(successes: number, total: number): Proportion {
  if (!Number.isInteger(successes) || !Number.isInteger(total) || successes < 0 || total < 0 || successes > total)
    throw new RangeError(`proportion needs 0 <= successes <= total, got ${successes}/${total}`);
  if (total === 0) return { successes, total, value: 0, low: 0, high: 1 };
  const p = successes / total;
  const z2 = Z95 * Z95;
  const denominator = 1 + z2 / total;
  const centre = (p + z2 / (2 * total)) / denominator;
  const half = (Z95 * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total))) / denominator;
  return { successes, total, value: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

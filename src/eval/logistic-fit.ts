import { levenbergMarquardt } from 'ml-levenberg-marquardt';

/** Parameters of the collaborative scaling law f(x) = γ / (1 + e^(−β(x − α))) + δ, with x = log₂ agents. */
export interface LogisticParams {
  /** Midpoint, in log₂ agents. */
  alpha: number;
  /** Steepness. */
  beta: number;
  /** Height of the rise. */
  gamma: number;
  /** Floor. */
  delta: number;
}

/** A fitted scaling law: parameters, their standard errors, and how well it fits. */
export interface LogisticFit {
  params: LogisticParams;
  /** Standard errors from the covariance s²(JᵀJ)⁻¹ at the optimum; `null` with no residual degrees of freedom. */
  standardErrors: LogisticParams | null;
  /** Coefficient of determination, 1 − SSE/SST (`null` when every y is the same). */
  r2: number | null;
  /** Sum of squared residuals. */
  sse: number;
  points: number;
}

/** The scaling law at `x` (log₂ agents). */
export function logistic(params: LogisticParams, x: number): number {
  return params.gamma / (1 + Math.exp(-params.beta * (x - params.alpha))) + params.delta;
}

const toArray = (p: LogisticParams) => [p.alpha, p.beta, p.gamma, p.delta];
const fromArray = ([alpha, beta, gamma, delta]: number[]): LogisticParams => ({
  alpha: alpha!,
  beta: beta!,
  gamma: gamma!,
  delta: delta!,
});

function gradient(p: LogisticParams, x: number): number[] {
  const e = Math.exp(-p.beta * (x - p.alpha));
  const s = 1 / (1 + e);
  const ds = s * s * e; // d s / d(β(x−α))
  return [-p.gamma * ds * p.beta, p.gamma * ds * (x - p.alpha), s, 1];
}

/** Inverse of a small symmetric positive matrix by Gauss–Jordan elimination; `null` when singular. */
function invert(matrix: number[][]): number[][] | null {
  const n = matrix.length;
  const a = matrix.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (Math.abs(a[pivot]![col]!) < 1e-12) return null;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const div = a[col]![col]!;
    for (let j = 0; j < 2 * n; j++) a[col]![j]! /= div;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const factor = a[r]![col]!;
      for (let j = 0; j < 2 * n; j++) a[r]![j]! -= factor * a[col]![j]!;
    }
  }
  return a.map((row) => row.slice(n));
}

/**
 * Fits the collaborative scaling law to (log₂ agents, quality) points by
 * Levenberg–Marquardt (`ml-levenberg-marquardt`), from several starting
 * points (the law is not convex), keeping the fit with the least squared error.
 *
 * @throws RangeError with fewer than 2 points.
 */
export function fitLogistic(xs: readonly number[], ys: readonly number[]): LogisticFit {
  if (xs.length !== ys.length || xs.length < 2) throw new RangeError('a fit needs at least 2 (x, y) points');
  const minY = Math.min(...ys);
  const maxY = Math.max(...ys);
  const minX = Math.min(...xs);
  const maxX = Math.max(...xs);
  const sse = (p: LogisticParams) => xs.reduce((s, x, i) => s + (ys[i]! - logistic(p, x)) ** 2, 0);
  let best: LogisticParams | undefined;
  for (const alpha of [minX, (minX + maxX) / 2, maxX, (minX * 3 + maxX) / 4])
    for (const beta of [0.5, 1, 3]) {
      const start = { alpha, beta, gamma: Math.max(maxY - minY, 1e-3), delta: minY };
      const result = levenbergMarquardt({ x: [...xs], y: [...ys] }, (params) => (x) => logistic(fromArray(params), x), {
        initialValues: toArray(start),
        maxIterations: 300,
        damping: 1e-2,
        errorTolerance: 1e-12,
        gradientDifference: 1e-6,
        centralDifference: true,
      });
      const fitted = fromArray(result.parameterValues);
      if (toArray(fitted).every(Number.isFinite) && (!best || sse(fitted) < sse(best))) best = fitted;
    }
  // γ·s(−z) + δ = (−γ)·s(z) + (δ + γ): report the one form with β ≥ 0, so "rising" reads as γ > 0
  const params =
    best!.beta < 0
      ? { alpha: best!.alpha, beta: -best!.beta, gamma: -best!.gamma, delta: best!.delta + best!.gamma }
      : best!;
  const residual = sse(params);
  const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
  const sst = ys.reduce((s, y) => s + (y - mean) ** 2, 0);
  const dof = xs.length - 4;
  let standardErrors: LogisticParams | null = null;
  if (dof > 0) {
    const jtj = Array.from({ length: 4 }, () => [0, 0, 0, 0]);
    for (const x of xs) {
      const g = gradient(params, x);
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) jtj[i]![j]! += g[i]! * g[j]!;
    }
    const inverse = invert(jtj);
    if (inverse) {
      const s2 = residual / dof;
      standardErrors = fromArray(inverse.map((row, i) => Math.sqrt(Math.max(0, s2 * row[i]!))));
    }
  }
  return {
    params,
    standardErrors,
    r2: sst > 0 ? 1 - residual / sst : null,
    sse: residual,
    points: xs.length,
  };
}

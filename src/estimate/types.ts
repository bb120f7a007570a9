/** Calls, tokens and cost of one scenario (expected or bound) of a run, for one model or in total. */
export interface EstimateTotals {
  /** Model calls (fractional for an expected figure: an average over the model's choices). */
  calls: number;
  inputTokens: number;
  outputTokens: number;
  /** USD from the price table; null when any model used has no known price (see `Estimate.costNote`). */
  costUsd: number | null;
}

/** How long the run would take at an assumed latency per call. */
export interface MakespanEstimate {
  /** Expected wall time, ms. */
  expectedMs: number;
  /** Wall time if every dialogue uses all its turns (equals `expectedMs` for networks), ms. */
  boundMs: number;
  /** The assumed latency of one model call, ms. */
  latencyMs: number;
  /** Steps (network nodes, teams) running at once. */
  concurrency: number;
  /** Calls in flight per model (the model limiter). */
  callConcurrency: number;
  /** Calls one after another on the longest dependency path, with unlimited concurrency. */
  criticalPathCalls: number;
}

/**
 * What a run is predicted to do, without calling any model. `expected` is
 * the likely figure (for the simulated model, its average behaviour);
 * `bound` assumes every dialogue runs to its turn limit and every loop to its
 * round limit. Networks are deterministic in shape, so both are the same.
 */
export interface Estimate {
  kind: 'network' | 'chain' | 'cross-team' | 'story';
  expected: EstimateTotals;
  bound: EstimateTotals;
  /** The same figures per model string. */
  perModel: Record<string, { expected: EstimateTotals; bound: EstimateTotals }>;
  /** Why `costUsd` is null (models without a known price), or a note on the price (sim's is fictitious). */
  costNote?: string;
  makespan: MakespanEstimate;
  /** True when every model is the simulated one. */
  simulated: boolean;
  /** Assumptions the figures rest on, one short sentence each. */
  assumptions: string[];
}

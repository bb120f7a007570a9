/** A proposal with its score. */
export interface ScoredProposal<T> {
  id: string;
  value: T;
  score: number;
  /** How the score was made, for the report. */
  detail?: Record<string, unknown>;
}

/** How many to keep: a ratio of the proposals (0..1) or a count (≥ 1). */
export type KeepRule = { ratio: number } | { count: number };

/**
 * Greedy pruning: rank proposals by score (ties by id, so it is
 * deterministic) and keep the best — `ceil(ratio × n)` or `count`, at least one.
 */
export function pruneGreedy<T>(proposals: ReadonlyArray<ScoredProposal<T>>, keep: KeepRule): { kept: ScoredProposal<T>[]; pruned: ScoredProposal<T>[] } {
  const ranked = [...proposals].sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  const n = 'ratio' in keep ? Math.ceil(keep.ratio * ranked.length) : keep.count;
  const k = Math.max(1, Math.min(ranked.length, n));
  return { kept: ranked.slice(0, k), pruned: ranked.slice(k) };
}

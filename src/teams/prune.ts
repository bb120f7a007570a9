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
 * Greedy pruning: rank proposals by score (ties by id in natural order, so
 * team2 comes before team10 and the result is deterministic) and keep the
 * best — `ceil(ratio × n)` or `count`, at least one.
 */
export function pruneGreedy<T>(
  proposals: ReadonlyArray<ScoredProposal<T>>,
  keep: KeepRule,
): { kept: ScoredProposal<T>[]; pruned: ScoredProposal<T>[] } {
  const ranked = [...proposals].sort((a, b) => b.score - a.score || a.id.localeCompare(b.id, 'en', { numeric: true }));
  const n = 'ratio' in keep ? Math.ceil(keep.ratio * ranked.length) : keep.count;
  const k = Math.max(1, Math.min(ranked.length, n));
  return { kept: ranked.slice(0, k), pruned: ranked.slice(k) };
}

/**
 * Why a proposal was pruned, for the report: its score against the lowest
 * kept one, and how many the rule keeps. A proposal tied with a kept one says
 * so (it lost on the tie-break), rather than claiming a lower score.
 */
export function pruneReason(
  proposal: ScoredProposal<unknown>,
  kept: ReadonlyArray<ScoredProposal<unknown>>,
  total: number,
): string {
  const lowest = Math.min(...kept.map((k) => k.score));
  const rule = `keeping ${kept.length} of ${total}`;
  const score = (n: number) => String(Math.round(n * 1000) / 1000);
  return proposal.score >= lowest
    ? `score ${score(proposal.score)} tied with the lowest kept; ties go to the earlier team id (${rule})`
    : `score ${score(proposal.score)} below the lowest kept (${score(lowest)}; ${rule})`;
}

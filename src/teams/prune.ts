/** A proposal with its score. */
export interface ScoredProposal<T> {
  id: string;
  value: T;
  score: number;
  /**
   * A second signal that orders proposals with the same score (higher first), e.g. the judge's score when the
   * metrics tie. Absent when not (yet) known.
   */
  tiebreak?: number;
  /** How the score was made, for the report. */
  detail?: Record<string, unknown>;
}

/** How many to keep: a ratio of the proposals (0..1) or a count (≥ 1). */
export type KeepRule = { ratio: number } | { count: number };

/**
 * The reference code prunes only when more than this many proposals wait (it keeps the better half of five or
 * more); two to four proposals are all merged.
 */
export const defaultPruneAbove = 4;

/** Options of {@link pruneGreedy}. */
export interface PruneOptions {
  /** Prune only when there are more proposals than this; otherwise keep them all. Default 0 (always apply the rule). */
  above?: number;
}

/** Proposals with the same score, highest score first. */
export interface ScoreTie {
  score: number;
  /** Team ids in rank order (after the tie-break). */
  teams: string[];
  /** Whether the second signal put them in an order; false when it was missing or equal too (then ids decide). */
  broken: boolean;
}

/** What {@link pruneGreedy} decided. */
export interface PruneResult<T> {
  kept: ScoredProposal<T>[];
  pruned: ScoredProposal<T>[];
  /** Every group of proposals sharing a score. */
  ties: ScoreTie[];
  /** Whether the keep rule applied (more proposals than `above`); when not, every proposal is kept. */
  applied: boolean;
}

const naturalId = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** Proposals in rank order: score, then the second signal (a missing one ranks last), then natural id order. */
export function rankProposals<T>(proposals: ReadonlyArray<ScoredProposal<T>>): ScoredProposal<T>[] {
  return [...proposals].sort(
    (a, b) =>
      b.score - a.score ||
      (b.tiebreak ?? Number.NEGATIVE_INFINITY) - (a.tiebreak ?? Number.NEGATIVE_INFINITY) ||
      naturalId(a.id, b.id),
  );
}

/** How many proposals the rule keeps out of `n`: all of them when `n` is not above `above`, else at least one. */
export function keptCount(n: number, keep: KeepRule, above = 0): number {
  if (n <= above) return n;
  const k = 'ratio' in keep ? Math.ceil(keep.ratio * n) : keep.count;
  return Math.max(1, Math.min(n, k));
}

/**
 * Greedy pruning: rank proposals by score (then by the second signal, then by id in natural order, so team2 comes
 * before team10 and the result is deterministic) and keep the best — `ceil(ratio × n)` or `count`, at least one —
 * but only when there are more than `above` proposals. Ties are reported.
 */
export function pruneGreedy<T>(
  proposals: ReadonlyArray<ScoredProposal<T>>,
  keep: KeepRule,
  options: PruneOptions = {},
): PruneResult<T> {
  const ranked = rankProposals(proposals);
  const applied = ranked.length > (options.above ?? 0);
  const k = keptCount(ranked.length, keep, options.above ?? 0);
  return { kept: ranked.slice(0, k), pruned: ranked.slice(k), ties: scoreTies(ranked), applied };
}

function scoreTies<T>(ranked: ReadonlyArray<ScoredProposal<T>>): ScoreTie[] {
  const groups = new Map<number, ScoredProposal<T>[]>();
  for (const p of ranked) groups.set(p.score, [...(groups.get(p.score) ?? []), p]);
  return [...groups.entries()]
    .filter(([, group]) => group.length > 1)
    .map(([score, group]) => ({
      score,
      teams: group.map((p) => p.id),
      broken:
        new Set(group.map((p) => p.tiebreak)).size === group.length && group.every((p) => p.tiebreak !== undefined),
    }));
}

/**
 * Ids of proposals whose score ties across the cut (some would be kept, some pruned) and whose second signal does
 * not yet separate them: the caller should fetch that signal (e.g. ask the judge) before pruning for good.
 */
export function undecidedTies<T>(
  proposals: ReadonlyArray<ScoredProposal<T>>,
  keep: KeepRule,
  options: PruneOptions = {},
): string[] {
  const { kept, pruned, applied } = pruneGreedy(proposals, keep, options);
  if (!applied || pruned.length === 0) return [];
  const cut = kept.at(-1)!.score;
  const tied = [...kept, ...pruned].filter((p) => p.score === cut);
  if (!pruned.some((p) => p.score === cut)) return [];
  const signals = tied.map((p) => p.tiebreak);
  const separated = signals.every((s) => s !== undefined) && new Set(signals).size === signals.length;
  return separated ? [] : tied.map((p) => p.id);
}

const round3 = (n: number) => String(Math.round(n * 1000) / 1000);

/**
 * Why a proposal was pruned, for the report: its score against the lowest kept one and how many the rule keeps.
 * A proposal tied with a kept one says which second signal it lost on, with both values; only when that signal
 * ties too does the id order decide, and the reason says so.
 */
export function pruneReason(
  proposal: ScoredProposal<unknown>,
  kept: ReadonlyArray<ScoredProposal<unknown>>,
  total: number,
  options: PruneOptions & { tiebreakName?: string } = {},
): string {
  const lowest = Math.min(...kept.map((k) => k.score));
  const rule = `keeping ${kept.length} of ${total}${options.above ? `, as more than ${options.above} were proposed` : ''}`;
  if (proposal.score < lowest)
    return `score ${round3(proposal.score)} below the lowest kept (${round3(lowest)}; ${rule})`;
  const signal = options.tiebreakName ?? 'the second signal';
  const rivals = kept.filter((k) => k.score === proposal.score);
  const rivalSignal = Math.min(...rivals.map((r) => r.tiebreak ?? Number.NEGATIVE_INFINITY));
  const tied = `score ${round3(proposal.score)} tied with the lowest kept`;
  if (proposal.tiebreak !== undefined && Number.isFinite(rivalSignal) && proposal.tiebreak < rivalSignal)
    return `${tied}; lost the tie-break on ${signal} (${round3(proposal.tiebreak)} against ${round3(rivalSignal)}; ${rule})`;
  return `${tied} and on ${signal}${proposal.tiebreak !== undefined ? ` (${round3(proposal.tiebreak)})` : ' (not available)'}; the earlier team id goes first (${rule})`;
}

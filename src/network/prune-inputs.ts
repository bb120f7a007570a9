import { findPlaceholders, parseCodebase } from '../software/codebase/index.js';
import { artifactProblem, extractChoice } from './artifact-check.js';
import type { ArtifactRunner } from './edge-dialogue.js';
import type { NetworkTaskType } from './prompts.js';

/** When a node prunes its candidates before merging them, and how many it keeps. */
export interface PruneRule {
  /** Prune only when more than this many candidates arrive. MacNet's reference prunes above 4. */
  above: number;
  /** Share of the candidates kept (the reference keeps the better half). At least one is kept. */
  keep: number;
}

/** The reference's rule: more than 4 candidates, keep the better half. */
export const defaultPruneRule: PruneRule = { above: 4, keep: 0.5 };

/** A candidate's score and how it was made. */
export interface CandidateScore {
  /** The predecessor the candidate came from. */
  from: string;
  score: number;
  /** The second signal that orders equal scores (similarity to the task). */
  tieBreak: number;
  /** The score's parts, in words. */
  detail: string;
}

/** What pruning did at a node. */
export interface PruneReport {
  candidates: number;
  kept: string[];
  /** Each pruned candidate with the reason: its score against the lowest kept one. */
  pruned: Array<{ from: string; reason: string }>;
  scores: CandidateScore[];
}

function wordCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  const split = text.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/_/g, ' ');
  for (const w of split.toLowerCase().match(/[a-z][a-z0-9]{2,}/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/** Cosine similarity of word-count vectors (identifiers split into words). */
export function lexicalSimilarity(a: string, b: string): number {
  const va = wordCounts(a);
  const vb = wordCounts(b);
  let dot = 0;
  for (const [w, c] of va) dot += c * (vb.get(w) ?? 0);
  const norm = (v: Map<string, number>) => Math.sqrt([...v.values()].reduce((s, c) => s + c * c, 0));
  const d = norm(va) * norm(vb);
  return d === 0 ? 0 : dot / d;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Scores candidates the way MacNet's reference ranks them before merging, for
 * each task type:
 * - code: 10 × executable + complete − placeholders ÷ 1000, as the reference's
 *   rate (executability first, then completeness, then fewer unfinished
 *   functions). Executable is a sandbox run without error when a runner is
 *   given, else whether the code is well formed (parses);
 * - choice: the share of the candidates that name the same letter (agreement);
 * - text: the mean similarity to the other candidates (the consensus).
 * Equal scores are ordered by similarity to the task, then by input order.
 */
export async function scoreCandidates(
  candidates: ReadonlyArray<{ from: string; text: string }>,
  options: { task: string; taskType: NetworkTaskType; run?: ArtifactRunner; signal?: AbortSignal },
): Promise<CandidateScore[]> {
  const { task, taskType } = options;
  if (taskType === 'code') {
    return Promise.all(
      candidates.map(async ({ from, text }) => {
        const { files } = parseCodebase(text);
        const placeholders = findPlaceholders(files).length;
        const hasCode = Object.values(files).some((content) => content.trim() !== '');
        const complete = hasCode && placeholders === 0 ? 1 : 0;
        let executable: number;
        let how: string;
        if (options.run) {
          executable = (await options.run(text, options.signal)).ok ? 1 : 0;
          how = 'runs';
        } else {
          executable = artifactProblem(text, 'code') === undefined ? 1 : 0;
          how = 'well formed';
        }
        return {
          from,
          score: 10 * executable + complete - placeholders / 1000,
          tieBreak: round3(lexicalSimilarity(task, Object.values(files).join('\n'))),
          detail: `${how} ${executable}, complete ${complete}, ${placeholders} placeholder${placeholders === 1 ? '' : 's'}`,
        };
      }),
    );
  }
  if (taskType === 'choice') {
    const letters = candidates.map((c) => extractChoice(c.text));
    return candidates.map(({ from, text }, i) => {
      const letter = letters[i];
      const agree = letter === undefined ? 0 : letters.filter((l) => l === letter).length / candidates.length;
      return {
        from,
        score: round3(agree),
        tieBreak: round3(lexicalSimilarity(task, text)),
        detail: letter === undefined ? 'no answer letter' : `answer ${letter}, named by ${round3(agree)} of the inputs`,
      };
    });
  }
  return candidates.map(({ from, text }, i) => {
    const others = candidates.filter((_, j) => j !== i);
    const consensus =
      others.length === 0 ? 0 : others.reduce((s, o) => s + lexicalSimilarity(text, o.text), 0) / others.length;
    return {
      from,
      score: round3(consensus),
      tieBreak: round3(lexicalSimilarity(task, text)),
      detail: `mean similarity to the other inputs ${round3(consensus)}`,
    };
  });
}

/**
 * MacNet's pruning of a node's candidates before aggregation: when more than
 * `rule.above` arrive, score them ({@link scoreCandidates}) and keep the best
 * `rule.keep` share. Returns the kept candidates in their input order and a
 * report whose reasons name scores.
 */
export async function pruneCandidates<T extends { from: string; text: string }>(
  candidates: readonly T[],
  options: { task: string; taskType: NetworkTaskType; rule: PruneRule; run?: ArtifactRunner; signal?: AbortSignal },
): Promise<{ kept: T[]; report?: PruneReport }> {
  if (candidates.length <= options.rule.above) return { kept: [...candidates] };
  const scores = await scoreCandidates(candidates, options);
  const order = scores
    .map((s, i) => ({ ...s, i }))
    .sort((a, b) => b.score - a.score || b.tieBreak - a.tieBreak || a.i - b.i);
  const count = Math.max(1, Math.min(candidates.length, Math.floor(candidates.length * options.rule.keep)));
  const keptIdx = new Set(order.slice(0, count).map((s) => s.i));
  const lowest = order[count - 1]!;
  const pruned = order.slice(count).map((s) => ({
    from: s.from,
    reason:
      s.score === lowest.score
        ? `score ${round3(s.score)} (${s.detail}) tied with the lowest kept; lost on similarity to the task (${s.tieBreak} vs ${lowest.tieBreak})${s.tieBreak === lowest.tieBreak ? ', then on input order' : ''}`
        : `score ${round3(s.score)} (${s.detail}) below the lowest kept, ${round3(lowest.score)} (${lowest.detail})`,
  }));
  return {
    kept: candidates.filter((_, i) => keptIdx.has(i)),
    report: {
      candidates: candidates.length,
      kept: candidates.filter((_, i) => keptIdx.has(i)).map((c) => c.from),
      pruned,
      scores: scores.map(({ from, score, tieBreak, detail }) => ({ from, score: round3(score), tieBreak, detail })),
    },
  };
}

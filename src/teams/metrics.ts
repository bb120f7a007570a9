import { measureCode, type CodeMetrics, type EmbeddingSetup } from '../metrics/index.js';
import type { ChainLanguage, TestOutcome } from '../software/chain.js';
import type { Files } from '../software/codebase/index.js';

export { stripComments, wordCosine as cosineSimilarity, type CodeMetrics } from '../metrics/index.js';

/**
 * The metric score greedy pruning ranks code proposals by: the cross-team
 * paper's quality, the mean of ChatDev's completeness, executability and
 * consistency (see `src/metrics`).
 */
export function proposalScore(metrics: CodeMetrics): number {
  return metrics.quality.mean;
}

/**
 * Scores a team's codebase with the metrics of `src/metrics`, from the run
 * the decision point already made (`test`; absent: the program was not run).
 */
export function codeMetrics(
  task: string,
  files: Files,
  test: TestOutcome | undefined,
  options: { language?: ChainLanguage; embedding?: EmbeddingSetup; signal?: AbortSignal } = {},
): Promise<CodeMetrics> {
  return measureCode({
    task,
    files,
    test: test ?? { outcome: 'not-run', rule: 'no sandbox available', exitCode: null, output: '', durationMs: 0 },
    ...options,
  });
}

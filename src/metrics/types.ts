/**
 * The SRDD metrics as ChatDev and the cross-team paper define them, with
 * crosstalk's stricter variants beside them. Every field says which rule made
 * it, so a report can be compared with the papers' tables. Types only: the
 * event union imports them.
 */

/** A yes/no metric: 1 passes, 0 fails. */
export type Binary = 0 | 1;

/** Completeness of a codebase under two rules. */
export interface CompletenessReport {
  /**
   * ChatDev's rule: 0 when any line of the code still holds `pass` or `todo` (any case, anywhere in the line;
   * lines holding `password`, `passenger`, `passed` or `passes` are ignored, as in the reference code), else 1.
   */
  chatdev: Binary;
  /**
   * crosstalk's rule: 0 when the placeholder finder reports an unimplemented function (a body of only `pass`,
   * `...` or `raise NotImplementedError`) or a comment asking for work (`TODO:`, `FIXME`, "your code here"),
   * else 1. It passes `while True: pass`, abstract methods and the word "todo" in names.
   */
  crosstalk: Binary;
  /** Lines that failed ChatDev's rule, as `path:line` (at most 20). */
  chatdevLines: string[];
  /** What crosstalk's finder reported, e.g. `main.py: function save` (at most 20). */
  placeholders: string[];
}

/** Executability of a codebase under two rules; `null` when the program could not be run (no sandbox). */
export interface ExecutabilityReport {
  /**
   * ChatDev's rule: 1 unless the run's output holds an error trace (a Python `Traceback`, or a Node.js stack
   * frame such as `at f (main.js:1:15)`) within the time limit. A program still running at the limit (a GUI,
   * a game, a server) passes; so does a non-zero exit that printed no trace. 0 when there is no entry file.
   */
  chatdev: Binary | null;
  /**
   * crosstalk's exit-code rule: 1 when the program exits with status 0, or is still running at the time
   * limit having printed no error (programs meant to keep running); 0 for a non-zero exit, an error printed
   * before the limit, a sandbox limit (memory, processes, output, disk, CPU) or no entry file.
   */
  crosstalk: Binary | null;
  /** How the run ended (`no-entry`: the codebase has no entry file, so nothing was run). */
  outcome: 'exited-ok' | 'exited-error' | 'timeout-running' | 'killed-limit' | 'sandbox-error' | 'not-run' | 'no-entry';
  /** The entry file run, e.g. `main.py`. */
  entry: string;
  /** Why a rule gave 0 or the metric is null; absent when both rules passed. */
  reason?: string;
}

/** Consistency: how close the code is to the task. */
export interface ConsistencyReport {
  /** Cosine similarity of the task and the comment-free code, 0 to 1 (three decimals). */
  value: number;
  /**
   * `embedding`: cosine of the configured embedding model's vectors (as ChatDev); `tf-idf-fallback`: the local
   * stand-in used when no embedding model is configured or it failed (see `tfidfSimilarity`).
   */
  method: 'embedding' | 'tf-idf-fallback';
  /** The embedding model string, for `embedding`. */
  model?: string;
  /** Tokens the embedding call used, when the provider reports them. */
  tokens?: number;
  /** Why the fallback was used. */
  note?: string;
}

/** Quality: the three metrics combined, both ways the papers combine them (from ChatDev's rules). */
export interface QualityReport {
  /** ChatDev's quality: completeness × executability × consistency. */
  product: number;
  /** The cross-team paper's quality: the mean of the three. */
  mean: number;
  /** The metrics combined: executability is left out when the program could not be run. */
  over: Array<'completeness' | 'executability' | 'consistency'>;
}

/** All the metrics of one codebase. */
export interface CodeMetrics {
  completeness: CompletenessReport;
  executability: ExecutabilityReport;
  consistency: ConsistencyReport;
  quality: QualityReport;
}

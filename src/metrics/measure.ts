import { AbortedError } from '../errors/index.js';
import { entryFile, type ChainLanguage, type ProgramRunner, type TestOutcome } from '../software/chain.js';
import { guessLanguage } from '../software/code-answer.js';
import type { Files } from '../software/codebase/index.js';
import { codeFiles } from './code-files.js';
import { measureCompleteness } from './completeness.js';
import { tfidfSimilarity } from './consistency.js';
import { embeddingSimilarity, type EmbeddingSetup } from './embedding.js';
import { judgeExecutability } from './executability.js';
import type {
  CodeMetrics,
  CompletenessReport,
  ConsistencyReport,
  ExecutabilityReport,
  QualityReport,
} from './types.js';

/** Why consistency fell back to TF-IDF when no embedding model was configured. */
export const noEmbeddingModelNote = 'no embedding model configured (--embedding-model)';

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Consistency with the embedding model when one is set up, else the local
 * TF-IDF fallback. An embedding call that fails also falls back, and the
 * report says why; cancellation is not swallowed.
 */
export async function measureConsistency(
  task: string,
  files: Files,
  embedding?: EmbeddingSetup,
  signal?: AbortSignal,
): Promise<ConsistencyReport> {
  const fallback = (note: string): ConsistencyReport => ({
    value: tfidfSimilarity(task, files),
    method: 'tf-idf-fallback',
    note,
  });
  if (!embedding) return fallback(noEmbeddingModelNote);
  try {
    const { value, tokens } = await embeddingSimilarity(task, files, embedding, signal);
    return { value, method: 'embedding', model: embedding.name, ...(tokens !== undefined ? { tokens } : {}) };
  } catch (error) {
    if (signal?.aborted || AbortedError.isInstance(error)) throw error;
    const message = (error as Error).message.split('\n')[0] ?? 'unknown error';
    return fallback(`the embedding model ${embedding.name} failed: ${message}`);
  }
}

/**
 * Quality from ChatDev's completeness and executability rules and the
 * consistency: ChatDev's product and the cross-team paper's mean. When the
 * program could not be run, executability is left out of both (`over` says so).
 */
export function combineQuality(
  completeness: CompletenessReport,
  executability: ExecutabilityReport,
  consistency: ConsistencyReport,
): QualityReport {
  const parts: Array<[QualityReport['over'][number], number]> = [
    ['completeness', completeness.chatdev],
    ...(executability.chatdev === null ? [] : [['executability', executability.chatdev] as ['executability', number]]),
    ['consistency', consistency.value],
  ];
  const values = parts.map(([, v]) => v);
  return {
    product: round(values.reduce((a, b) => a * b, 1)),
    mean: round(values.reduce((a, b) => a + b, 0) / values.length),
    over: parts.map(([name]) => name),
  };
}

/** Options of {@link measureCode}. */
export interface MeasureCodeOptions {
  /** The task the code was written for. */
  task: string;
  files: Files;
  /** The language (its entry file is run); default: JavaScript when there is a `main.js` and no `main.py`. */
  language?: ChainLanguage;
  /** An earlier run of exactly these files' entry point; when absent, `runProgram` runs it. */
  test?: TestOutcome;
  /** Runs the program (the sandbox); absent when none is available. */
  runProgram?: ProgramRunner;
  /** Why there is no runner, reported as the executability's reason. */
  noRunReason?: string;
  /** The embedding model for consistency; absent: the TF-IDF fallback. */
  embedding?: EmbeddingSetup;
  signal?: AbortSignal;
}

/**
 * Every metric of one codebase: completeness and executability under
 * ChatDev's and crosstalk's rules, consistency (embedding or the labelled
 * fallback) and quality (product and mean). Runs the program in the sandbox
 * unless `test` already holds a run of these files.
 */
export async function measureCode(options: MeasureCodeOptions): Promise<CodeMetrics> {
  const { files } = options;
  const language = options.language ?? guessLanguage(files);
  const entry = entryFile(language);
  const run = async (): Promise<TestOutcome | undefined> => {
    if (files[entry] === undefined) return undefined;
    if (options.test) return options.test;
    if (!options.runProgram)
      return {
        outcome: 'not-run',
        rule: options.noRunReason ?? 'no sandbox available',
        exitCode: null,
        output: '',
        durationMs: 0,
      };
    return options.runProgram(files, entry, language, options.signal);
  };
  const [test, consistency] = await Promise.all([
    run(),
    measureConsistency(options.task, files, options.embedding, options.signal),
  ]);
  const completeness = measureCompleteness(files);
  const executability = judgeExecutability(entry, test);
  return {
    completeness,
    executability,
    consistency,
    quality: combineQuality(completeness, executability, consistency),
  };
}

/** True when two codebases hold the same code files (so a run of one stands for a run of the other). */
export function sameCode(a: Files, b: Files): boolean {
  return JSON.stringify(codeFiles(a)) === JSON.stringify(codeFiles(b));
}

/**
 * The metrics in one line for people, each named by its rule, e.g.
 * `completeness chatdev 1 · crosstalk 1; executability chatdev 1 · crosstalk 0; consistency 0.412 (tf-idf
 * fallback); quality product 0.412 · mean 0.804`.
 */
export function describeMetrics(m: CodeMetrics): string {
  const binary = (x: number | null) => (x === null ? 'not run' : String(x));
  const consistency =
    m.consistency.method === 'embedding'
      ? `${m.consistency.value} (embedding ${m.consistency.model})`
      : `${m.consistency.value} (tf-idf fallback)`;
  const partial = m.quality.over.includes('executability') ? '' : ' (without executability)';
  return (
    `completeness chatdev ${m.completeness.chatdev} · crosstalk ${m.completeness.crosstalk}; ` +
    `executability chatdev ${binary(m.executability.chatdev)} · crosstalk ${binary(m.executability.crosstalk)}; ` +
    `consistency ${consistency}; quality product ${m.quality.product} · mean ${m.quality.mean}${partial}`
  );
}

export type {
  Binary,
  CodeMetrics,
  CompletenessReport,
  ConsistencyReport,
  ExecutabilityReport,
  QualityReport,
} from './types.js';
export { codeFilePattern, codeFiles } from './code-files.js';
export { chatdevPlaceholderLines, measureCompleteness } from './completeness.js';
export { hasErrorTrace, judgeExecutability } from './executability.js';
export { commentFreeCode, contentWords, stripComments, tfidfSimilarity, wordCosine } from './consistency.js';
export { codeForEmbedding, embeddingInputChars, embeddingSimilarity, type EmbeddingSetup } from './embedding.js';
export {
  combineQuality,
  describeMetrics,
  measureCode,
  measureConsistency,
  noEmbeddingModelNote,
  sameCode,
  type MeasureCodeOptions,
} from './measure.js';

export {
  Codebase,
  codebaseJsonSchema,
  diffCodebase,
  fileEntries,
  mergeCodebase,
  type CodeFile,
  type CodebaseDiff,
  type CodebaseJson,
  type Files,
  type FilesLike,
} from './codebase.js';
export {
  CodebaseHistory,
  codebaseHistoryJsonSchema,
  type CodebaseHistoryJson,
  type CodebaseVersion,
} from './codebase-history.js';
export { parseCodebase, type ParsedCodebase, type RefusedFile } from './parse-codebase.js';
export { formatCodebase } from './format-codebase.js';
export { languageForPath } from './languages.js';
export {
  assertRelativePath,
  checkRelativePath,
  maxPathBytes,
  maxPathDepth,
  maxSegmentBytes,
  type PathCheck,
} from './safe-path.js';
export { readCodebase, writeCodebase, type WriteCodebaseOptions, type WriteResult } from './write-codebase.js';
export { findPlaceholders, hasPlaceholders, unfinishedParts, type Placeholder } from './placeholders.js';

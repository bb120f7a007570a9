export { parseCodebase, formatCodebase, type Files, type RefusedFile, type ParsedCodebase } from './parse-codebase.js';
export { checkRelativePath, type PathCheck } from './safe-path.js';
export { writeCodebase, readCodebase, type WriteResult } from './write-codebase.js';
export { unfinishedParts } from './placeholders.js';

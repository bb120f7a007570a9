import { fileEntries, type FilesLike } from '../software/codebase/index.js';

/** Files the metrics read as code (documentation, data and dependency files are left out). */
export const codeFilePattern = /\.(py|pyw|js|mjs|cjs|ts|tsx|jsx|java|go|rs|c|cc|cpp|h|hpp|rb|php|cs|swift|kt|lua|sh)$/i;

/** The code files of a codebase, as `[path, content]` in path order. */
export function codeFiles(files: FilesLike): Array<[string, string]> {
  return fileEntries(files)
    .filter(([path]) => codeFilePattern.test(path))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

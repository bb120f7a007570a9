import { checkOutputSize } from '../../config/index.js';
import { fileEntries, type FilesLike } from './codebase.js';
import { languageForPath } from './languages.js';

/**
 * Renders files for a prompt in the format {@link parseCodebase} reads back
 * (ChatDev's codebase format): each file as its name on a line, then a fenced
 * block with the language. A file that itself contains backtick fences gets a
 * longer fence, so the round trip is exact. Files are sorted by path.
 * With `maxChars`, a longer result throws a `ModelOutputError` of code
 * `OUTPUT_TOO_LARGE` (limit `maxPromptChars`) instead of growing every later prompt.
 */
export function formatCodebase(files: FilesLike, options: { maxChars?: number } = {}): string {
  const entries = fileEntries(files);
  if (options.maxChars !== undefined) {
    // measured before building the text, so an oversized codebase is never joined into one string
    let size = 0;
    for (const [path, content] of entries) size += path.length + content.length + 16;
    checkOutputSize('the codebase for the prompt', size, 'maxPromptChars', options.maxChars);
  }
  return entries
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, content]) => {
      const longest = Math.max(0, ...[...content.matchAll(/`{3,}/g)].map((m) => m[0].length));
      const fence = '`'.repeat(Math.max(3, longest + 1));
      const body = content.replace(/\n$/, '');
      return `${path}\n${fence}${languageForPath(path)}\n${body === '' ? '' : `${body}\n`}${fence}`;
    })
    .join('\n\n');
}

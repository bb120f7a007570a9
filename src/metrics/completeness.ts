import { unfinishedParts, type FilesLike } from '../software/codebase/index.js';
import { codeFiles } from './code-files.js';
import type { CompletenessReport } from './types.js';

const listed = 20;
// the reference code's exceptions: words that contain "pass" without being a placeholder
const chatdevExceptions = ['password', 'passenger', 'passed', 'passes'];

/**
 * The lines that fail ChatDev's completeness rule: any line of a code file
 * holding `pass` or `todo` in any case, as a substring (so `bypass` and
 * `todo_list` count too), unless it holds one of the reference code's
 * exception words. As in the reference, the rule reads only the code; unlike
 * it, the file-name lines are not scanned (a file called `todo_app.py` would
 * otherwise fail every project that has one).
 */
export function chatdevPlaceholderLines(files: FilesLike): string[] {
  const found: string[] = [];
  for (const [path, content] of codeFiles(files)) {
    content.split('\n').forEach((line, index) => {
      const lower = line.toLowerCase();
      if (chatdevExceptions.some((word) => lower.includes(word))) return;
      if (lower.includes('pass') || lower.includes('todo')) found.push(`${path}:${index + 1}`);
    });
  }
  return found;
}

/**
 * Completeness under ChatDev's rule and crosstalk's finer placeholder
 * detection. A codebase without any code file scores 0 under both (the
 * reference scores an empty project 1 on this metric; here it cannot pass).
 */
export function measureCompleteness(files: FilesLike): CompletenessReport {
  const hasCode = codeFiles(files).some(([, content]) => content.trim() !== '');
  const chatdevLines = chatdevPlaceholderLines(files);
  const placeholders = unfinishedParts(files);
  return {
    chatdev: hasCode && chatdevLines.length === 0 ? 1 : 0,
    crosstalk: hasCode && placeholders.length === 0 ? 1 : 0,
    chatdevLines: chatdevLines.slice(0, listed),
    placeholders: placeholders.slice(0, listed),
  };
}

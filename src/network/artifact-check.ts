import { parse as parseJavaScript } from 'acorn';
import { parseCodebase } from '../software/codebase/index.js';
import type { NetworkTaskType } from './prompts.js';

/** Extracts the letter of a multiple-choice answer ("The answer is (B)."), if any. */
export function extractChoice(text: string): string | undefined {
  const matches = [...text.matchAll(/answer is\s*\(?([A-J])\)?/gi)];
  return matches.at(-1)?.[1]?.toUpperCase();
}

/** The first syntax problem of a JavaScript file (acorn, module then script), or undefined. */
export function javascriptProblem(source: string): string | undefined {
  const parse = (sourceType: 'module' | 'script') =>
    parseJavaScript(source, {
      ecmaVersion: 'latest',
      sourceType,
      allowHashBang: true,
      allowReturnOutsideFunction: sourceType === 'script',
    });
  try {
    parse('module');
    return undefined;
  } catch {
    try {
      parse('script');
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }
}

const closers: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/**
 * The first structural problem of a Python file, or undefined. A light check
 * in process, not a parse: strings and comments are skipped, brackets must
 * balance, every block header (a line ending in `:`) must be followed by a
 * deeper line, and a dedent must return to an earlier level. It catches what
 * goes wrong when a model merges or truncates code (a cut-off string or
 * call, lost indentation) without starting an interpreter per merge; whether
 * the program runs is the sandbox's question.
 */
export function pythonProblem(source: string): string | undefined {
  const brackets: Array<{ char: string; line: number }> = [];
  const indents = [0];
  let line = 1;
  let i = 0;
  let atLineStart = true; // at the start of a logical line
  let lastSignificant = ''; // last character of code (not comment or space) on the logical line
  let headerLine = 0; // line of a block header waiting for its body
  const n = source.length;
  while (i < n) {
    if (atLineStart && brackets.length === 0) {
      // measure the indentation of a new logical line; blank and comment-only lines do not count
      let width = 0;
      let j = i;
      while (j < n && (source[j] === ' ' || source[j] === '\t' || source[j] === '\f')) {
        width = source[j] === '\t' ? (Math.floor(width / 8) + 1) * 8 : width + 1;
        j++;
      }
      const next = source[j];
      if (next !== undefined && next !== '\n' && next !== '\r' && next !== '#') {
        const top = indents.at(-1)!;
        if (headerLine) {
          if (width <= top) return `line ${line}: expected an indented block after line ${headerLine}`;
          indents.push(width);
          headerLine = 0;
        } else if (width > top) return `line ${line}: unexpected indent`;
        else if (width < top) {
          while (indents.length > 1 && width < indents.at(-1)!) indents.pop();
          if (width !== indents.at(-1)) return `line ${line}: the dedent matches no outer indentation level`;
        }
        atLineStart = false;
      }
      i = j;
      if (next === undefined) break;
    }
    const c = source[i]!;
    if (c === '#') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '\n') {
      line++;
      i++;
      if (brackets.length === 0) {
        if (lastSignificant === ':') headerLine = line - 1;
        atLineStart = true;
        lastSignificant = '';
      }
      continue;
    }
    if (c === '\\' && (source[i + 1] === '\n' || (source[i + 1] === '\r' && source[i + 2] === '\n'))) {
      // an explicit line continuation: the logical line goes on
      i += source[i + 1] === '\n' ? 2 : 3;
      line++;
      continue;
    }
    if (c === '"' || c === "'") {
      const triple = source.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      const startLine = line;
      i += quote.length;
      for (;;) {
        if (i >= n) return `line ${startLine}: a string is never closed`;
        const d = source[i]!;
        if (d === '\\') {
          if (source[i + 1] === '\n') line++;
          i += 2;
          continue;
        }
        if (d === '\n') {
          if (!triple) return `line ${startLine}: a string is never closed`;
          line++;
        }
        if (source.startsWith(quote, i)) {
          i += quote.length;
          break;
        }
        i++;
      }
      lastSignificant = c;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') brackets.push({ char: c, line });
    else if (c in closers) {
      const open = brackets.pop();
      if (!open) return `line ${line}: '${c}' closes nothing`;
      if (open.char !== closers[c]) return `line ${line}: '${c}' does not close '${open.char}' of line ${open.line}`;
    }
    if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\f') lastSignificant = c;
    i++;
  }
  const open = brackets.pop();
  if (open) return `line ${open.line}: '${open.char}' is never closed`;
  if (lastSignificant === ':' || headerLine) return `the file ends after a block header (line ${headerLine || line})`;
  return undefined;
}

/**
 * Why an artifact cannot move on, or undefined when it can: it must not be
 * empty; a code artifact must hold at least one file, every block closed and
 * every file non-empty, its JavaScript parsable (acorn) and its Python well
 * formed (see {@link pythonProblem}); a choice artifact must name a letter.
 */
export function artifactProblem(text: string, taskType: NetworkTaskType): string | undefined {
  if (text.trim() === '') return 'it is empty';
  if (taskType === 'choice')
    return extractChoice(text) === undefined ? 'it names no answer letter ("The answer is (X).")' : undefined;
  if (taskType !== 'code') return undefined;
  const parsed = parseCodebase(text);
  const names = Object.keys(parsed.files);
  if (names.length === 0) return 'it holds no files (each file is its name on a line, then a fenced code block)';
  if (parsed.unterminated.length > 0) return `the code block of ${parsed.unterminated[0]} is never closed`;
  for (const name of names) {
    const content = parsed.files[name]!;
    if (content.trim() === '') return `${name} is empty`;
    const problem = /\.(m|c)?js$/.test(name)
      ? javascriptProblem(content)
      : name.endsWith('.py')
        ? pythonProblem(content)
        : undefined;
    if (problem) return `${name} does not parse: ${problem}`;
  }
  return undefined;
}

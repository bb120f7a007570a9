import { fileEntries, type FilesLike } from './codebase.js';

/** One piece of unimplemented code. */
export interface Placeholder {
  path: string;
  /** 1-based line. */
  line: number;
  /**
   * - `pass-body`: a Python function whose whole body is `pass`;
   * - `ellipsis-body`: a function whose whole body is `...`;
   * - `not-implemented`: `raise NotImplementedError` (Python) or `throw new Error("not implemented")` (JS/TS) as the body;
   * - `todo`: a `TODO` / `FIXME` comment asking for work, or "your code here".
   */
  kind: 'pass-body' | 'ellipsis-body' | 'not-implemented' | 'todo';
  /** Function name for bodies, the comment text for TODOs. */
  detail: string;
}

const codeFile = /\.(py|pyw|js|mjs|cjs|ts|tsx|jsx|java|go|rs|c|cc|cpp|h|hpp|rb|php|cs|swift|kt|scala|lua|sh)$/i;
// a comment asking for work: "TODO: …", "TODO(ann) …", "TODO implement …", a bare "TODO", "FIXME", "your code here"
const todoComment =
  /(?:#|\/\/|\/\*|<!--|--)\s*(?:(?:TODO|FIXME)\b\s*(?:\([^)]*\))?\s*(?:[:\-–]|$|(?:implement|add|write|fill|finish|complete|handle|replace)\b)|(?:your|insert)\s+code\s+here|implement\s+(?:this|me)\b)/i;

function indentOf(line: string): number {
  return /^[ \t]*/.exec(line)![0].length;
}

/** Drops a leading docstring (one line or several) from a function body. */
function dropDocstring(body: string[]): string[] {
  const first = body[0];
  if (first === undefined) return body;
  const quote = /^[rubRUB]{0,2}("""|''')/.exec(first)?.[1];
  if (!quote) return /^[rubRUB]{0,2}(["']).*\1$/.test(first) ? body.slice(1) : body;
  const rest = first.slice(first.indexOf(quote) + 3);
  if (rest.includes(quote)) return body.slice(1);
  const end = body.findIndex((line, k) => k > 0 && line.includes(quote));
  return end < 0 ? [] : body.slice(end + 1);
}

function pythonPlaceholders(path: string, lines: string[]): Placeholder[] {
  const found: Placeholder[] = [];
  for (let i = 0; i < lines.length; i++) {
    const def = /^(\s*)(?:async\s+)?def\s+(\w+)\s*\(/.exec(lines[i]!);
    if (!def) continue;
    const indent = def[1]!.length;
    const name = def[2]!;
    // decorators above: abstract methods and overload stubs are meant to be empty
    let d = i - 1;
    let intentional = false;
    while (d >= 0 && /^\s*@/.test(lines[d]!)) {
      if (/@(?:abc\.)?(?:abstractmethod|abstractproperty|overload|typing\.overload)\b/.test(lines[d]!))
        intentional = true;
      d--;
    }
    // enclosing class: Protocol bodies are stubs by design
    for (let c = i - 1; c >= 0 && indent > 0; c--) {
      const line = lines[c]!;
      if (line.trim() === '' || indentOf(line) >= indent) continue;
      if (/^\s*class\s+\w+\s*\(.*\bProtocol\b/.test(line)) intentional = true;
      break;
    }
    // the signature may span lines: find the line that ends it with `:`
    let end = i;
    while (end < lines.length - 1 && end - i < 20 && !/\)\s*(?:->[^:]*)?:\s*(?:[^#\s].*)?(?:#.*)?$/.test(lines[end]!))
      end++;
    const inline = /\)\s*(?:->[^:]*)?:\s*([^#]*?)\s*(?:#.*)?$/.exec(lines[end]!)?.[1] ?? '';
    let body: string[];
    if (inline !== '') body = [inline];
    else {
      body = [];
      for (let j = end + 1; j < lines.length; j++) {
        const line = lines[j]!;
        if (line.trim() === '') continue;
        if (indentOf(line) <= indent) break;
        if (!line.trim().startsWith('#')) body.push(line.trim());
      }
      body = dropDocstring(body);
    }
    if (intentional || body.length === 0) continue;
    const kinds = body.map((l) =>
      l === 'pass'
        ? 'pass-body'
        : l === '...'
          ? 'ellipsis-body'
          : /^raise\s+NotImplementedError\b/.test(l)
            ? 'not-implemented'
            : undefined,
    );
    if (kinds.every((k) => k !== undefined)) {
      const kind = kinds.includes('not-implemented')
        ? 'not-implemented'
        : kinds.includes('pass-body')
          ? 'pass-body'
          : 'ellipsis-body';
      found.push({ path, line: i + 1, kind, detail: name });
    }
  }
  return found;
}

function scriptPlaceholders(path: string, lines: string[]): Placeholder[] {
  const found: Placeholder[] = [];
  const throwing = /throw\s+new\s+Error\(\s*['"`](?:not\s+(?:yet\s+)?implemented|todo)/i;
  lines.forEach((line, k) => {
    if (throwing.test(line)) {
      const fn = /(?:function\s+(\w+)|(\w+)\s*\([^)]*\)\s*\{)/.exec(lines.slice(Math.max(0, k - 3), k + 1).join('\n'));
      found.push({ path, line: k + 1, kind: 'not-implemented', detail: fn?.[1] ?? fn?.[2] ?? 'function' });
    }
  });
  return found;
}

/**
 * Finds unimplemented code, for the code-completion phase and ChatDev's
 * completeness metric: Python functions whose whole body (docstring and
 * comments aside) is `pass`, `...` or `raise NotImplementedError` — except
 * `@abstractmethod`/`@overload` stubs and `Protocol` members —, JavaScript or
 * TypeScript code that throws "not implemented", and comments asking for work
 * (`# TODO: …`, `// FIXME`, "your code here") in source files. Markdown and
 * text files are not inspected. Ordered by file, then line.
 */
export function findPlaceholders(files: FilesLike): Placeholder[] {
  const found: Placeholder[] = [];
  for (const [path, content] of fileEntries(files)) {
    if (!codeFile.test(path)) continue;
    const lines = content.split('\n');
    const here: Placeholder[] = [];
    if (/\.pyw?$/i.test(path)) here.push(...pythonPlaceholders(path, lines));
    if (/\.(js|mjs|cjs|ts|tsx|jsx)$/i.test(path)) here.push(...scriptPlaceholders(path, lines));
    lines.forEach((line, k) => {
      const todo = todoComment.exec(line);
      if (todo) here.push({ path, line: k + 1, kind: 'todo', detail: line.slice(todo.index).trim().slice(0, 120) });
    });
    found.push(...here.sort((a, b) => a.line - b.line));
  }
  return found;
}

/** Whether any file has unimplemented code (see {@link findPlaceholders}); `false` means "complete" for the completeness metric. */
export function hasPlaceholders(files: FilesLike): boolean {
  return findPlaceholders(files).length > 0;
}

/** {@link findPlaceholders} as short lines for a prompt: `main.py: function todo`, `app.js: TODO on line 2`. */
export function unfinishedParts(files: FilesLike): string[] {
  return findPlaceholders(files).map((p) =>
    p.kind === 'todo' ? `${p.path}: TODO on line ${p.line}` : `${p.path}: function ${p.detail}`,
  );
}

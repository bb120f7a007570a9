import type { Files } from './parse-codebase.js';

/** Drops a leading docstring (one line or several) from a function body. */
function dropDocstring(body: string[]): string[] {
  const first = body[0];
  if (first === undefined) return body;
  const quote = /^("""|''')/.exec(first)?.[1];
  if (!quote) return body;
  if (first.length >= 6 && first.endsWith(quote)) return body.slice(1);
  const end = body.findIndex((line, k) => k > 0 && line.includes(quote));
  return end < 0 ? [] : body.slice(end + 1);
}

/**
 * Finds unimplemented code, for the code-completion phase and the
 * completeness metric: Python functions whose body is only `pass`, `...` or
 * `raise NotImplementedError`, JavaScript/TypeScript functions that throw
 * "not implemented", and TODO / FIXME markers. Returns `file: what` entries.
 */
export function unfinishedParts(files: Files): string[] {
  const found: string[] = [];
  for (const [path, content] of Object.entries(files)) {
    const lines = content.split('\n');
    if (path.endsWith('.py')) {
      for (let i = 0; i < lines.length; i++) {
        const def = /^(\s*)(?:async\s+)?def\s+(\w+)\s*\(.*\)\s*(?:->.*)?:\s*(.*)$/.exec(lines[i]!);
        if (!def) continue;
        if (/^(pass|\.\.\.)\s*(#.*)?$/.test(def[3]!.trim())) {
          found.push(`${path}: function ${def[2]}`);
          continue;
        }
        const body: string[] = [];
        let j = i + 1;
        for (; j < lines.length; j++) {
          const line = lines[j]!;
          if (line.trim() === '') continue;
          if ((/^\s*/.exec(line)![0].length) <= def[1]!.length) break;
          body.push(line.trim());
        }
        const meaningful = body.filter((l) => !l.startsWith('#'));
        const withoutDoc = dropDocstring(meaningful);
        if (withoutDoc.length > 0 && withoutDoc.every((l) => /^(pass|\.\.\.|raise NotImplementedError(\(.*\))?)$/.test(l))) found.push(`${path}: function ${def[2]}`);
      }
    }
    if (/\.(js|mjs|cjs|ts|tsx|jsx)$/.test(path) && /throw new Error\(\s*['"`]not implemented/i.test(content)) found.push(`${path}: function throws "not implemented"`);
    if (/\.(py|js|mjs|cjs|ts|tsx|jsx|java|go|rs|c|cpp|h|rb|php|cs|swift|kt)$/.test(path)) {
      lines.forEach((line, k) => {
        if (/(#|\/\/|\/\*)\s*(TODO|FIXME)\b/.test(line)) found.push(`${path}: TODO on line ${k + 1}`);
      });
    }
  }
  return found;
}

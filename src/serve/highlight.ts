// Pure, with no imports: the web viewer colours code in artifacts with this small tokenizer (no highlighter library:
// the exported HTML file stays small).

/** A piece of code and what it is. */
export interface CodeToken {
  kind: 'keyword' | 'string' | 'comment' | 'number' | 'text';
  text: string;
}

/** The languages the tokenizer knows; anything else is shown plain. */
export type CodeLanguage = 'python' | 'javascript';

const keywords: Record<CodeLanguage, ReadonlySet<string>> = {
  python: new Set(
    (
      'and as assert async await break class continue def del elif else except False finally for from global if ' +
      'import in is lambda None nonlocal not or pass raise return True try while with yield self'
    ).split(' '),
  ),
  javascript: new Set(
    (
      'async await break case catch class const continue default delete do else export extends false finally for ' +
      'from function if import in instanceof let new null of return static super switch this throw true try ' +
      'typeof undefined var void while yield interface type enum implements'
    ).split(' '),
  ),
};

/** The language of a fenced block's tag (`py`, `python`, `js`, `ts`, …), or undefined. */
export function languageOfTag(tag: string): CodeLanguage | undefined {
  const t = tag.trim().toLowerCase();
  if (t === 'py' || t === 'python' || t === 'python3') return 'python';
  if (['js', 'javascript', 'jsx', 'ts', 'typescript', 'tsx', 'mjs'].includes(t)) return 'javascript';
  return undefined;
}

/** A guess at the language of unfenced text, or undefined when it does not look like code. */
export function guessLanguage(text: string): CodeLanguage | undefined {
  if (/^\s*(def |class \w+[:(]|import \w+$|from [\w.]+ import )/m.test(text)) return 'python';
  if (/^\s*(function |const |let |export |import .* from ['"])/m.test(text)) return 'javascript';
  return undefined;
}

const wordChar = /[A-Za-z0-9_$]/;

/** Splits code into keywords, strings, comments, numbers and the rest (one pass; never fails on odd input). */
export function tokenize(code: string, language: CodeLanguage): CodeToken[] {
  const out: CodeToken[] = [];
  const push = (kind: CodeToken['kind'], text: string) => {
    const last = out[out.length - 1];
    if (last && last.kind === kind && kind === 'text') last.text += text;
    else out.push({ kind, text });
  };
  let i = 0;
  while (i < code.length) {
    const c = code[i]!;
    const rest = code.startsWith.bind(code);
    // comments
    if ((language === 'python' && c === '#') || (language === 'javascript' && rest('//', i))) {
      const end = code.indexOf('\n', i);
      const stop = end < 0 ? code.length : end;
      push('comment', code.slice(i, stop));
      i = stop;
      continue;
    }
    if (language === 'javascript' && rest('/*', i)) {
      const end = code.indexOf('*/', i + 2);
      const stop = end < 0 ? code.length : end + 2;
      push('comment', code.slice(i, stop));
      i = stop;
      continue;
    }
    // strings: Python's triple quotes, then single-line quotes (and JavaScript's template literals)
    if (language === 'python' && (rest('"""', i) || rest("'''", i))) {
      const quote = code.slice(i, i + 3);
      const end = code.indexOf(quote, i + 3);
      const stop = end < 0 ? code.length : end + 3;
      push('string', code.slice(i, stop));
      i = stop;
      continue;
    }
    if (c === '"' || c === "'" || (language === 'javascript' && c === '`')) {
      let j = i + 1;
      while (j < code.length && code[j] !== c && (c === '`' || code[j] !== '\n')) j += code[j] === '\\' ? 2 : 1;
      const stop = j < code.length && code[j] === c ? j + 1 : Math.min(j, code.length);
      push('string', code.slice(i, stop));
      i = stop;
      continue;
    }
    if (wordChar.test(c)) {
      let j = i + 1;
      while (j < code.length && wordChar.test(code[j]!)) j++;
      const word = code.slice(i, j);
      const before = i > 0 ? code[i - 1]! : '';
      if (/^\d/.test(word)) push('number', word);
      else if (keywords[language].has(word) && before !== '.') push('keyword', word);
      else push('text', word);
      i = j;
      continue;
    }
    push('text', c);
    i++;
  }
  return out;
}

/** A piece of an artifact: prose, or code in a known language (fenced, or the whole text when it looks like code). */
export interface ArtifactPart {
  language?: CodeLanguage;
  text: string;
}

/** Splits an artifact into prose and code blocks (Markdown fences), each code block with its language if known. */
export function artifactParts(text: string): ArtifactPart[] {
  const fence = /^```([\w+-]*)[^\n]*\n([\s\S]*?)^```[^\n]*$/gm;
  const parts: ArtifactPart[] = [];
  let at = 0;
  for (let m = fence.exec(text); m; m = fence.exec(text)) {
    if (m.index > at) parts.push({ text: text.slice(at, m.index) });
    const language = languageOfTag(m[1] ?? '') ?? guessLanguage(m[2] ?? '');
    parts.push({ ...(language ? { language } : {}), text: m[2] ?? '' });
    at = m.index + m[0].length;
  }
  if (parts.length === 0) {
    const language = guessLanguage(text);
    return [{ ...(language ? { language } : {}), text }];
  }
  if (at < text.length) parts.push({ text: text.slice(at) });
  return parts;
}

import { checkOutputSize } from '../../config/index.js';
import type { CodeFile, Files } from './codebase.js';
import { defaultNameForLanguage, isLanguageWord, languageForPath } from './languages.js';
import { checkRelativePath } from './safe-path.js';

/** A file name the model proposed that was refused, with the reason. */
export interface RefusedFile {
  /** The name as the model wrote it (may be hostile: print it escaped). */
  path: string;
  reason: string;
}

/** Result of {@link parseCodebase}. */
export interface ParsedCodebase {
  /** Safe files by normalised path (a later block for the same path wins). */
  files: Files;
  /** The same files in order of first appearance, with the fence's language. */
  codeFiles: CodeFile[];
  /** Blocks whose file name was unsafe: reported, never returned as files. */
  refused: RefusedFile[];
  /** Fenced blocks without a recognisable file name (ignored). */
  unnamedBlocks: number;
  /** Files whose block had no closing fence (the reply was probably cut off). */
  unterminated: string[];
}

/** Size caps of {@link parseCodebase} (see `OutputLimits`); none when absent. */
export interface ParseLimits {
  /** Characters of one file. */
  maxFileChars?: number;
  /** Files in the reply. */
  maxFiles?: number;
}

/** A well-formed file path: segments of word characters, dots and dashes, with an extension, or a known extensionless name or a dotfile. */
const pathToken =
  /^(?:[\w.-]+\/)*(?:[\w.-]*[\w-]\.[A-Za-z0-9]{1,10}|\.[\w-][\w.-]*|Makefile|Dockerfile|Procfile|Gemfile|Rakefile|LICENSE|README|Containerfile)$/;
/** Anything without spaces, quotes or backticks: lets hostile names reach the safety check so they are reported. */
const looseToken = /^[^\s`*'"]+$/;
/** A name in a comment on a block's first line: `# main.py`, `// a/b.js`, `<!-- index.html -->`, `-- schema.sql`, `# File: main.py`. */
const commentName =
  /^\s*(?:#|\/\/|--|;|<!--|\/\*|\{#)\s*(?:file(?:name)?\s*[:=]\s*)?(\S+\.[A-Za-z][A-Za-z0-9]{0,9})\s*(?:-->|\*\/|#\})?\s*$/i;

function looksLikeName(text: string): boolean {
  if (pathToken.test(text)) return true;
  // eslint-disable-next-line no-control-regex
  return (
    looseToken.test(text) &&
    !/^https?:/i.test(text) &&
    (/[/\\]/.test(text) || /\.[A-Za-z0-9]{1,10}$/.test(text) || /[\u0000-\u001f]/.test(text))
  );
}

function nameFromInfo(info: string): string | undefined {
  const attribute = /(?:^|\s)(?:title|file(?:name)?|path)\s*=\s*(?:"([^"]+)"|'([^']+)'|(\S+))/i.exec(info);
  if (attribute) return attribute[1] ?? attribute[2] ?? attribute[3];
  const tokens = info.trim().split(/\s+/).filter(Boolean);
  for (const [i, token] of tokens.entries()) {
    if (i === 0 && isLanguageWord(token)) continue;
    // `python:main.py`: language, colon, name (a Windows drive such as `C:\x` has a one-letter "language")
    const prefixed = /^([a-z][a-z0-9+#-]+):(.+)$/i.exec(token);
    const candidate = prefixed ? prefixed[2]! : token;
    if (looksLikeName(candidate)) return candidate;
  }
  return undefined;
}

function unwrap(text: string): string {
  let t = text.trim();
  for (let round = 0; round < 4; round++) {
    const before = t;
    t = t.replace(/:+$/, '').trim();
    const m = /^(`+|__|_|\*|"|')(.+)\1$/.exec(t);
    if (m) t = m[2]!.trim();
    if (t === before) break;
  }
  return t;
}

function nameFromLine(line: string): string | undefined {
  let text = line.trim();
  if (text === '' || text.length > 400 || /^(`{3,}|~{3,})/.test(text)) return undefined;
  text = text
    .replace(/\*\*/g, '')
    .replace(/^>\s*/, '')
    .replace(/^#{1,6}\s+/, '')
    .replace(/^[-*+]\s+/, '')
    .replace(/^\d+[.)]\s+/, '')
    .trim();
  text = unwrap(text);
  text = unwrap(text.replace(/^(?:file(?:name)?|file\s+name|path|filepath)\s*[:=-]\s*/i, ''));
  if (looksLikeName(text)) return text;
  // prose ending in a colon that names exactly one well-formed file: "Here is the updated `main.py`:"
  if (/:\s*$/.test(line)) {
    const names = line
      .split(/\s+/)
      .map((w) => w.replace(/^[`*"'(]+|[`*"'),.:;!?]+$/g, ''))
      .filter((w) => pathToken.test(w) && /\.[A-Za-z]/.test(w));
    if (new Set(names).size === 1) return names[0];
  }
  return undefined;
}

interface Block {
  info: string;
  before: string;
  content: string[];
  terminated: boolean;
}

/** Splits a reply into fenced blocks (``` or ~~~, three or more, indented up to 3 spaces). */
function fencedBlocks(reply: string): Block[] {
  const lines = reply.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, rawInfo] = open as unknown as [string, string, string, string];
    const char = fence[0]!;
    if (char === '`' && rawInfo.includes('`')) continue; // inline code, not a fence
    const info = rawInfo.trim();
    let k = i - 1;
    if (k >= 0 && lines[k]!.trim() === '') k--;
    const before = k >= 0 ? lines[k]! : '';
    const closing = new RegExp(`^ {0,3}\\${char}{${fence.length},}\\s*$`);
    const nestedOpener = new RegExp(`^ {0,3}\\${char}{${fence.length},}\\s*\\S`);
    // a Markdown file (a README) often holds fenced examples with the same fence as its own:
    // count inner openers so their closers do not end the outer block
    const firstWord = info.split(/\s+/)[0] ?? '';
    const markdown =
      /^(markdown|md)$/i.test(firstWord) || /\.md$/i.test(nameFromInfo(info) ?? nameFromLine(before) ?? '');
    let depth = 0;
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j]!;
      if (markdown && nestedOpener.test(line)) depth++;
      else if (closing.test(line)) {
        if (depth === 0) break;
        depth--;
      }
    }
    const strip = indent.length;
    const content = lines.slice(i + 1, j).map((l) => (strip > 0 ? l.replace(new RegExp(`^ {0,${strip}}`), '') : l));
    blocks.push({ info, before, content, terminated: j < lines.length });
    i = j;
  }
  return blocks;
}

/**
 * Extracts files from a model's reply. Files are fenced code blocks (```
 * or ~~~, three or more, CRLF or LF) whose name is found, in this order:
 * 1. in the fence's info string: ```` ```python main.py ````, ```` ```main.py ````,
 *    ```` ```python title="main.py" ````, ```` ```python:main.py ````;
 * 2. on the line before the fence (one blank line allowed): `main.py`, `**main.py**`,
 *    `### main.py`, `File: main.py`, `main.py:`, `` `main.py` ``, `1. main.py`, or a
 *    sentence ending in a colon that names exactly one file ("Here is `main.py`:");
 * 3. in a comment on the block's first line: `# main.py`, `// main.js`,
 *    `<!-- index.html -->`, `# File: main.py` (that line is removed from the file).
 *
 * **Default-name rule**: a block with no name gets one from its language
 * (`main.py` for python, `main.js` for javascript, `main.ts` for typescript,
 * `index.html` for html) only when it is the only fenced block in the reply;
 * with several blocks, unnamed ones are counted in `unnamedBlocks` and ignored,
 * since guessing would let an example overwrite the program.
 *
 * Unsafe names (see {@link checkRelativePath}) are refused and reported, never
 * returned. A later block for the same file replaces an earlier one. A block
 * left open at the end of the reply is kept and listed in `unterminated`.
 *
 * With `limits`, a file over `maxFileChars` or more than `maxFiles` files
 * throw a `ModelOutputError` of code `OUTPUT_TOO_LARGE`.
 */
export function parseCodebase(reply: string, limits: ParseLimits = {}): ParsedCodebase {
  const blocks = fencedBlocks(reply);
  const byPath = new Map<string, CodeFile>();
  const refused: RefusedFile[] = [];
  const unterminated = new Set<string>();
  let unnamedBlocks = 0;
  for (const block of blocks) {
    let name = nameFromInfo(block.info) ?? nameFromLine(block.before);
    let content = block.content;
    const comment = commentName.exec(content[0] ?? '');
    if (comment) {
      const fromComment = comment[1]!;
      const same = (a: string, b: string) => {
        const x = checkRelativePath(a);
        const y = checkRelativePath(b);
        return x.ok && y.ok ? x.path === y.path : a === b;
      };
      if (name === undefined) name = fromComment;
      if (same(name, fromComment)) content = content.slice(1);
    }
    const firstWord = block.info.split(/\s+/)[0] ?? '';
    const fenceLanguage = isLanguageWord(firstWord) ? firstWord.toLowerCase() : '';
    if (name === undefined && blocks.length === 1) name = defaultNameForLanguage(fenceLanguage);
    if (name === undefined) {
      unnamedBlocks++;
      continue;
    }
    const checked = checkRelativePath(name);
    if (!checked.ok) {
      refused.push({ path: name, reason: checked.reason });
      continue;
    }
    const text = content.join('\n').replace(/\s+$/, '');
    if (limits.maxFileChars !== undefined)
      checkOutputSize(`file ${JSON.stringify(checked.path)}`, text.length, 'maxFileChars', limits.maxFileChars);
    const file: CodeFile = { path: checked.path, content: text === '' ? '' : `${text}\n` };
    const language = fenceLanguage || languageForPath(checked.path);
    if (language) file.language = language;
    byPath.set(checked.path, file);
    if (block.terminated) unterminated.delete(checked.path);
    else unterminated.add(checked.path);
  }
  const codeFiles = [...byPath.values()];
  if (limits.maxFiles !== undefined)
    checkOutputSize('the model reply', codeFiles.length, 'maxFiles', limits.maxFiles, 'files');
  return {
    files: Object.fromEntries(codeFiles.map((f) => [f.path, f.content])),
    codeFiles,
    refused,
    unnamedBlocks,
    unterminated: [...unterminated],
  };
}

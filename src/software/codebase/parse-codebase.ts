import { checkRelativePath } from './safe-path.js';

/** Files by normalised relative path. */
export type Files = Record<string, string>;

/** A file name the model proposed that was refused, with the reason. */
export interface RefusedFile {
  path: string;
  reason: string;
}

/** Result of {@link parseCodebase}. */
export interface ParsedCodebase {
  files: Files;
  refused: RefusedFile[];
  /** Fenced blocks without a recognisable file name (ignored). */
  unnamedBlocks: number;
}

const pathToken = /^(?:[\w.-]+\/)*[\w.-]*[\w-]\.[A-Za-z0-9]{1,10}$|^(?:[\w.-]+\/)*(?:Makefile|Dockerfile|Procfile|LICENSE|README)$/;
const defaultNames: Record<string, string> = { python: 'main.py', py: 'main.py', python3: 'main.py', javascript: 'main.js', js: 'main.js', node: 'main.js', typescript: 'main.ts', ts: 'main.ts', html: 'index.html' };

/** Path-like text: allows anything but whitespace, so hostile names reach the safety check and are reported. */
const looseName = /^[^\s`*'"]+$/;

function nameFromInfo(info: string): string | undefined {
  const attr = /(?:title|file(?:name)?|path)\s*=\s*["']?([^"'\s]+)["']?/i.exec(info);
  if (attr) return attr[1];
  const tokens = info.trim().split(/\s+/).filter(Boolean);
  for (const token of tokens) {
    // `python:main.py` style: language, colon, name (but not a Windows drive such as `C:`)
    const prefixed = /^[a-z][a-z0-9+#-]+:(.+)$/i.exec(token);
    const t = prefixed ? prefixed[1]! : token;
    if (pathToken.test(t) || (tokens.length > 1 && t.includes('/') && looseName.test(t))) return t;
  }
  return undefined;
}

function nameFromLine(line: string): string | undefined {
  let text = line.trim();
  if (text === '' || text.length > 300) return undefined;
  const labelled = /(?:^|\s)(?:file(?:name)?|path)\s*[:=]\s*`?([^`\s]+)`?/i.exec(text);
  if (labelled) return labelled[1]!.replace(/[:*]+$/, '');
  text = text
    .replace(/^#{1,6}\s+/, '')
    .replace(/^[-*+]\s+/, '')
    .replace(/^\d+[.)]\s+/, '')
    .replace(/^\*\*(.+)\*\*:?$/, '$1')
    .replace(/^__(.+)__:?$/, '$1')
    .replace(/^`(.+)`:?$/, '$1')
    .replace(/:$/, '')
    .replace(/^\*\*(.+)\*\*$/, '$1')
    .replace(/^`(.+)`$/, '$1')
    .trim();
  if (pathToken.test(text)) return text;
  // hostile or unusual names still count as names, so they are reported rather than silently dropped
  if (looseName.test(text) && /[./\\]/.test(text) && !/^\W+$/.test(text) && !/^https?:/.test(text)) return text;
  return undefined;
}

const commentName = /^\s*(?:#|\/\/|--|;|<!--|\/\*)\s*(?:file(?:name)?\s*[:=]\s*)?((?:[\w.-]+\/)*[\w.-]+\.[A-Za-z0-9]{1,10})\s*(?:-->|\*\/)?\s*$/i;

/**
 * Extracts files from a model's reply: fenced code blocks (``` or ~~~, three
 * or more) whose file name is given in the fence's info string
 * (```` ```python main.py ````, ```` ```main.py ````, `title="main.py"`), on the line
 * before the fence (`main.py`, `**main.py**`, `### main.py`, `File: main.py`,
 * `` `main.py`: ``), or in a comment on the block's first line (`# main.py`,
 * `// main.js`, `<!-- index.html -->`; that line is removed). A block with no
 * name gets a default (`main.py`, `main.js`, `main.ts`, `index.html`) only when
 * it is the only block in the reply. Unsafe names are refused and reported,
 * never returned as files. A later block for the same file replaces an earlier one.
 */
export function parseCodebase(reply: string): ParsedCodebase {
  const lines = reply.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Array<{ info: string; content: string[]; before: string }> = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s{0,3})(`{3,}|~{3,})(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const close = new RegExp(`^\\s{0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    let j = i + 1;
    while (j < lines.length && !close.test(lines[j]!)) j++;
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === '' && i - k <= 2) k--;
    blocks.push({ info: open[3]!, content: lines.slice(i + 1, j), before: k >= 0 && i - k <= 2 ? lines[k]! : '' });
    i = j;
  }
  const files: Files = {};
  const refused: RefusedFile[] = [];
  let unnamedBlocks = 0;
  for (const block of blocks) {
    let name = nameFromInfo(block.info) ?? nameFromLine(block.before);
    let content = block.content;
    const first = commentName.exec(content[0] ?? '');
    if (first) {
      name ??= first[1];
      if (name === first[1]) content = content.slice(1);
    }
    if (!name && blocks.length === 1) name = defaultNames[block.info.trim().split(/\s+/)[0]?.toLowerCase() ?? ''];
    if (!name) {
      unnamedBlocks++;
      continue;
    }
    const checked = checkRelativePath(name);
    if (!checked.ok) {
      refused.push({ path: name, reason: checked.reason });
      continue;
    }
    files[checked.path] = `${content.join('\n').replace(/\s+$/, '')}\n`;
  }
  return { files, refused, unnamedBlocks };
}

function fenceLanguage(path: string): string {
  const ext = path.split('.').pop()?.toLowerCase() ?? '';
  return { py: 'python', js: 'javascript', mjs: 'javascript', ts: 'typescript', md: 'markdown', json: 'json', html: 'html', css: 'css', txt: 'text', sh: 'bash', yaml: 'yaml', yml: 'yaml' }[ext] ?? '';
}

/** Renders files for a prompt: each as its name on a line, then a fenced block (longer fences when the file itself has fences). */
export function formatCodebase(files: Files): string {
  return Object.entries(files)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, content]) => {
      const longest = Math.max(2, ...[...content.matchAll(/`{3,}/g)].map((m) => m[0].length));
      const fence = '`'.repeat(longest + 1 > 3 ? longest + 1 : 3);
      return `${path}\n${fence}${fenceLanguage(path)}\n${content.replace(/\n$/, '')}\n${fence}`;
    })
    .join('\n\n');
}

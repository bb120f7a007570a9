/** Fence language by file extension (lower case, without the dot). */
const languageByExtension: Record<string, string> = {
  py: 'python',
  pyw: 'python',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'jsx',
  ts: 'typescript',
  tsx: 'tsx',
  md: 'markdown',
  json: 'json',
  html: 'html',
  htm: 'html',
  css: 'css',
  txt: 'text',
  sh: 'bash',
  yaml: 'yaml',
  yml: 'yaml',
  toml: 'toml',
  ini: 'ini',
  cfg: 'ini',
  sql: 'sql',
  xml: 'xml',
  java: 'java',
  go: 'go',
  rs: 'rust',
  c: 'c',
  h: 'c',
  cpp: 'cpp',
  hpp: 'cpp',
  cs: 'csharp',
  rb: 'ruby',
  php: 'php',
};

/** The language to put on a fence for this file (`python` for `a.py`), or `''` when unknown. */
export function languageForPath(path: string): string {
  const base = path.split('/').pop() ?? '';
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return '';
  return languageByExtension[base.slice(dot + 1).toLowerCase()] ?? '';
}

/**
 * Default file name for an unnamed block, by the fence's language. Only
 * languages whose lone block is, in practice, the program itself: a lone
 * `bash` or `text` block is usually an instruction, not a file, and gets none.
 */
const defaultNameByLanguage: Record<string, string> = {
  python: 'main.py',
  python3: 'main.py',
  py: 'main.py',
  javascript: 'main.js',
  js: 'main.js',
  node: 'main.js',
  nodejs: 'main.js',
  typescript: 'main.ts',
  ts: 'main.ts',
  html: 'index.html',
};

/** See {@link defaultNameByLanguage}. */
export function defaultNameForLanguage(language: string): string | undefined {
  return defaultNameByLanguage[language.toLowerCase()];
}

/** Whether a fence info word is a language rather than a file name. */
export function isLanguageWord(word: string): boolean {
  return /^[a-z][a-z0-9+#-]*$/i.test(word) && !word.includes('.');
}

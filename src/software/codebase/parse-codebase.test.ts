import { describe, expect, it } from 'vitest';
import { formatCodebase } from './format-codebase.js';
import { parseCodebase } from './parse-codebase.js';

const f = '```';

describe('parseCodebase', () => {
  const variants: Array<[string, string, string, string]> = [
    // [label, reply, expected name, expected content]
    ['bare name on the line before', `main.py\n${f}python\nprint(1)\n${f}`, 'main.py', 'print(1)\n'],
    ['bold name', `**app/main.py**\n\n${f}python\nprint(1)\n${f}`, 'app/main.py', 'print(1)\n'],
    ['bold name with colon', `**main.py**:\n${f}python\nprint(1)\n${f}`, 'main.py', 'print(1)\n'],
    ['heading', `### main.py\n${f}python\nprint(1)\n${f}`, 'main.py', 'print(1)\n'],
    ['heading with a backticked name', `## \`utils/io.py\`\n${f}python\nx = 1\n${f}`, 'utils/io.py', 'x = 1\n'],
    ['File: label', `File: src/util.js\n${f}js\nx()\n${f}`, 'src/util.js', 'x()\n'],
    ['bold File: label with backticks', `**File:** \`main.py\`\n${f}python\nprint(1)\n${f}`, 'main.py', 'print(1)\n'],
    ['Filename label', `Filename: game.py\n${f}\nprint(1)\n${f}`, 'game.py', 'print(1)\n'],
    ['name with a colon', `main.py:\n${f}python\nprint(1)\n${f}`, 'main.py', 'print(1)\n'],
    ['backticked name with colon', `\`main.py\`:\n${f}\nprint(1)\n${f}`, 'main.py', 'print(1)\n'],
    ['backticked name', `\`main.py\`\n${f}\nprint(1)\n${f}`, 'main.py', 'print(1)\n'],
    ['numbered list item', `1. store.py\n${f}python\ndata = {}\n${f}`, 'store.py', 'data = {}\n'],
    [
      'sentence ending with a colon',
      `Here is the updated \`main.py\`:\n\n${f}python\nprint(2)\n${f}`,
      'main.py',
      'print(2)\n',
    ],
    ['name in the info string', `${f}python main.py\nprint(1)\n${f}`, 'main.py', 'print(1)\n'],
    ['bare name as info string', `${f}main.py\nprint(1)\n${f}`, 'main.py', 'print(1)\n'],
    ['language:name info string', `${f}python:pkg/a.py\nprint(1)\n${f}`, 'pkg/a.py', 'print(1)\n'],
    ['title attribute', `${f}python title="pkg/mod.py"\nprint(1)\n${f}`, 'pkg/mod.py', 'print(1)\n'],
    ['filename attribute', `${f}js filename=app.js\nrun()\n${f}`, 'app.js', 'run()\n'],
    ['python comment on the first line', `${f}python\n# main.py\nprint(1)\n${f}`, 'main.py', 'print(1)\n'],
    ['# File: comment', `${f}python\n# File: main.py\nprint(1)\n${f}`, 'main.py', 'print(1)\n'],
    ['JS comment on the first line', `${f}javascript\n// main.js\nconsole.log(1)\n${f}`, 'main.js', 'console.log(1)\n'],
    ['HTML comment', `${f}html\n<!-- index.html -->\n<p>hi</p>\n${f}`, 'index.html', '<p>hi</p>\n'],
    [
      'comment repeating the name is dropped',
      `main.py\n${f}python\n# main.py\nprint(1)\n${f}`,
      'main.py',
      'print(1)\n',
    ],
    [
      'comment naming something else is code',
      `main.py\n${f}python\n# see util.py\nprint(1)\n${f}`,
      'main.py',
      '# see util.py\nprint(1)\n',
    ],
    ['tilde fence', `main.py\n~~~python\nprint(1)\n~~~`, 'main.py', 'print(1)\n'],
    ['four-backtick fence', `main.py\n\`\`\`\`python\nprint(1)\n\`\`\`\``, 'main.py', 'print(1)\n'],
    ['CRLF line ends', `main.py\r\n${f}python\r\nprint(1)\r\n${f}\r\n`, 'main.py', 'print(1)\n'],
    [
      'indented fence',
      `main.py\n  ${f}python\n  def f():\n      return 1\n  ${f}`,
      'main.py',
      'def f():\n    return 1\n',
    ],
    ['only block without a name gets main.py', `Here it is:\n\n${f}python\nprint(1)\n${f}`, 'main.py', 'print(1)\n'],
    ['only javascript block gets main.js', `${f}javascript\nconsole.log(1)\n${f}`, 'main.js', 'console.log(1)\n'],
    ['dunder names survive', `**__init__.py**\n${f}python\n${f}`, '__init__.py', ''],
    ['dotfile', `.gitignore\n${f}\n*.pyc\n${f}`, '.gitignore', '*.pyc\n'],
    ['extensionless well-known name', `Makefile\n${f}make\nall:\n\techo hi\n${f}`, 'Makefile', 'all:\n\techo hi\n'],
  ];
  it.each(variants)('finds the file: %s', (_label, reply, name, content) => {
    const { files, refused } = parseCodebase(reply);
    expect(refused).toEqual([]);
    expect(files).toEqual({ [name]: content });
  });

  it('reads several files, with the language of each', () => {
    const reply = `The design has two files.\n\nmain.py\n${f}python\nimport store\n${f}\n\nstore.py\n${f}python\nitems = []\n${f}\n\nrequirements.txt\n${f}\n${f}`;
    const { codeFiles, unnamedBlocks } = parseCodebase(reply);
    expect(codeFiles).toEqual([
      { path: 'main.py', content: 'import store\n', language: 'python' },
      { path: 'store.py', content: 'items = []\n', language: 'python' },
      { path: 'requirements.txt', content: '', language: 'text' },
    ]);
    expect(unnamedBlocks).toBe(0);
  });

  it('ignores unnamed blocks when there are several (no default name)', () => {
    const result = parseCodebase(`${f}python\nprint(1)\n${f}\n\n${f}bash\npip install x\n${f}`);
    expect(result.files).toEqual({});
    expect(result.unnamedBlocks).toBe(2);
  });

  it('gives no default name to a lone shell or text block', () => {
    expect(parseCodebase(`${f}bash\npip install requests\n${f}`).files).toEqual({});
    expect(parseCodebase(`${f}\nsome text\n${f}`).files).toEqual({});
  });

  it('keeps inner fences of a longer outer fence', () => {
    const reply = `README.md\n\`\`\`\`markdown\n# Title\n${f}\ncode\n${f}\n\`\`\`\`\n\nmain.py\n${f}python\nprint(2)\n${f}`;
    const { files } = parseCodebase(reply);
    expect(files['README.md']).toBe(`# Title\n${f}\ncode\n${f}\n`);
    expect(files['main.py']).toBe('print(2)\n');
  });

  it('keeps fenced examples inside a Markdown file that uses the same fence', () => {
    const reply = `README.md\n${f}markdown\n# Todo\n\nRun:\n${f}bash\npython main.py\n${f}\n\nDone.\n${f}\n\nmain.py\n${f}python\nprint(3)\n${f}`;
    const { files } = parseCodebase(reply);
    expect(files['README.md']).toBe(`# Todo\n\nRun:\n${f}bash\npython main.py\n${f}\n\nDone.\n`);
    expect(files['main.py']).toBe('print(3)\n');
  });

  it('lets a later block for the same file win', () => {
    const { files, codeFiles } = parseCodebase(
      `main.py\n${f}python\nprint(1)\n${f}\n\nutil.py\n${f}\nx=1\n${f}\n\nmain.py\n${f}python\nprint(2)\n${f}`,
    );
    expect(files['main.py']).toBe('print(2)\n');
    expect(codeFiles.map((c) => c.path)).toEqual(['main.py', 'util.py']);
  });

  it('keeps a block cut off at the end of the reply and flags it', () => {
    const result = parseCodebase(`main.py\n${f}python\nprint(1)\nprint(`);
    expect(result.files).toEqual({ 'main.py': 'print(1)\nprint(\n' });
    expect(result.unterminated).toEqual(['main.py']);
  });

  it('does not take inline triple backticks for a fence', () => {
    expect(parseCodebase('Use ```python x``` inline.').files).toEqual({});
  });

  it('normalises names and reports unsafe ones instead of returning them', () => {
    const reply = `../../etc/passwd\n${f}\nroot::0:0\n${f}\n\n./src\\ok.py\n${f}python\nprint(1)\n${f}\n\n${f}python /tmp/evil.py\nx\n${f}\n\n${f}python\n# ../up.py\nx\n${f}`;
    const { files, refused } = parseCodebase(reply);
    expect(Object.keys(files)).toEqual(['src/ok.py']);
    expect(refused).toEqual([
      { path: '../../etc/passwd', reason: "parent directory ('..') in path" },
      { path: '/tmp/evil.py', reason: 'absolute path' },
      { path: '../up.py', reason: "parent directory ('..') in path" },
    ]);
  });

  it('round-trips through formatCodebase, including files that contain fences', () => {
    const files = {
      'main.py': 'print(1)\n',
      'README.md': `# x\n${f}\ny\n${f}\n`,
      'pkg/__init__.py': '',
      'docs/a.md': '````\nz\n````\n',
    };
    expect(parseCodebase(formatCodebase(files)).files).toEqual(files);
  });

  it('formats files as name line plus fenced block with the language', () => {
    expect(formatCodebase({ 'b.js': 'x()\n', 'a.py': 'print(1)\n' })).toBe(
      `a.py\n${f}python\nprint(1)\n${f}\n\nb.js\n${f}javascript\nx()\n${f}`,
    );
  });
});

describe('size caps', () => {
  it('refuses a file over maxFileChars and more files than maxFiles with OUTPUT_TOO_LARGE', () => {
    const reply = 'a.py\n```python\nprint(1)\n```\n\nb.py\n```python\nprint(2)\n```\n';
    expect(Object.keys(parseCodebase(reply, { maxFileChars: 100, maxFiles: 2 }).files)).toEqual(['a.py', 'b.py']);
    expect(() => parseCodebase(reply, { maxFiles: 1 })).toThrow(
      /the model reply has 2 files, over limits\.maxFiles \(1\)/,
    );
    expect(() => parseCodebase(reply, { maxFileChars: 5 })).toThrow(
      /file "a.py" has 8 characters, over limits\.maxFileChars \(5\)/,
    );
  });

  it('refuses to put a codebase over maxChars into a prompt', () => {
    const files = { 'a.py': 'x'.repeat(1000) };
    expect(formatCodebase(files, { maxChars: 2000 })).toContain('a.py');
    expect(() => formatCodebase(files, { maxChars: 500 })).toThrow(
      expect.objectContaining({ code: 'OUTPUT_TOO_LARGE', limit: 'maxPromptChars' }),
    );
  });
});

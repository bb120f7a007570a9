import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatCodebase, parseCodebase } from './parse-codebase.js';
import { unfinishedParts } from './placeholders.js';
import { checkRelativePath } from './safe-path.js';
import { readCodebase, writeCodebase } from './write-codebase.js';

const fence = '```';

describe('parseCodebase', () => {
  const variants: Array<[string, string, string]> = [
    ['name on the line before', `main.py\n${fence}python\nprint(1)\n${fence}`, 'main.py'],
    ['bold name', `**app/main.py**\n\n${fence}python\nprint(1)\n${fence}`, 'app/main.py'],
    ['heading', `### main.py\n${fence}python\nprint(1)\n${fence}`, 'main.py'],
    ['File: label', `File: src/util.js\n${fence}js\nx()\n${fence}`, 'src/util.js'],
    ['backticked name with colon', `\`main.py\`:\n${fence}\nprint(1)\n${fence}`, 'main.py'],
    ['name in the info string', `${fence}python main.py\nprint(1)\n${fence}`, 'main.py'],
    ['bare name as info string', `${fence}main.py\nprint(1)\n${fence}`, 'main.py'],
    ['title attribute', `${fence}python title="pkg/mod.py"\nprint(1)\n${fence}`, 'pkg/mod.py'],
    ['comment on the first line', `${fence}python\n# main.py\nprint(1)\n${fence}`, 'main.py'],
    ['HTML comment', `${fence}html\n<!-- index.html -->\n<p>hi</p>\n${fence}`, 'index.html'],
    ['tilde fence', `main.py\n~~~python\nprint(1)\n~~~`, 'main.py'],
    ['CRLF line ends', `main.py\r\n${fence}python\r\nprint(1)\r\n${fence}`, 'main.py'],
    ['only block without a name', `Here it is:\n\n${fence}python\nprint(1)\n${fence}`, 'main.py'],
  ];
  it.each(variants)('finds the file name: %s', (_label, reply, name) => {
    const { files } = parseCodebase(reply);
    expect(Object.keys(files)).toEqual([name]);
    expect(files[name]).toMatch(/print\(1\)|x\(\)|<p>hi<\/p>/);
  });

  it('keeps inner fences of a longer outer fence and reads several files', () => {
    const reply = `README.md\n\`\`\`\`markdown\n# Title\n${fence}\ncode\n${fence}\n\`\`\`\`\n\nmain.py\n${fence}python\nprint(2)\n${fence}`;
    const { files } = parseCodebase(reply);
    expect(files['README.md']).toBe(`# Title\n${fence}\ncode\n${fence}\n`);
    expect(files['main.py']).toBe('print(2)\n');
  });

  it('ignores unnamed blocks when there are several', () => {
    const result = parseCodebase(`${fence}python\nprint(1)\n${fence}\n\n${fence}\nls\n${fence}`);
    expect(result.files).toEqual({});
    expect(result.unnamedBlocks).toBe(2);
  });

  it('round-trips through formatCodebase', () => {
    const files = { 'main.py': 'print(1)\n', 'README.md': `# x\n${fence}\ny\n${fence}\n` };
    expect(parseCodebase(formatCodebase(files)).files).toEqual(files);
  });

  it('reports unsafe names instead of returning them', () => {
    const { files, refused } = parseCodebase(`../../etc/passwd\n${fence}\nroot::0:0\n${fence}\n\nok.py\n${fence}\nprint(1)\n${fence}`);
    expect(Object.keys(files)).toEqual(['ok.py']);
    expect(refused).toEqual([{ path: '../../etc/passwd', reason: "parent directory ('..') in path" }]);
  });
});

describe('path safety', () => {
  const hostile: Array<[string, RegExp]> = [
    ['../../etc/passwd', /parent directory/],
    ['/etc/passwd', /absolute path/],
    ['C:\\Windows\\system32\\x.dll', /absolute Windows path/],
    ['\\\\server\\share\\x', /absolute path/],
    ['..\\..\\x.txt', /parent directory/],
    ['a/../../b.txt', /parent directory/],
    ['a/./../b.txt', /parent directory/],
    ['%2e%2e/x.txt', /percent-encoded/],
    ['a%2fb.txt', /percent-encoded/],
    ['evil\u0000.py', /control character/],
    ['bad\u001b[31m.py', /control character/],
    ['line\nbreak.py', /control character/],
    ['CON', /reserved device name/],
    ['con.txt', /reserved device name/],
    ['dir/LPT1.log', /reserved device name/],
    [`${'a'.repeat(300)}.py`, /longer than 255 bytes/],
    [`${'é'.repeat(200)}.py`, /longer than 255 bytes/],
    ['~/x.py', /home directory/],
    ['.git/config', /\.git/],
    ['pkg/.git/hooks/pre-commit', /\.git/],
    ['trailing.', /ends with a dot or space/],
    ['name ', /ends with a dot or space/],
    ['a<b>.py', /not allowed/],
    ['', /empty/],
    ['./.', /no name part/],
  ];
  it.each(hostile)('refuses %j', (name, reason) => {
    const result = checkRelativePath(name);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('normalises harmless forms', () => {
    expect(checkRelativePath('./src//app.py')).toEqual({ ok: true, path: 'src/app.py' });
    expect(checkRelativePath('src\\app.py')).toEqual({ ok: true, path: 'src/app.py' });
  });

  it('writes nothing outside the workspace for any hostile name', () => {
    const parent = mkdtempSync(join(tmpdir(), 'crosstalk-ws-'));
    const workspace = join(parent, 'ws');
    mkdirSync(workspace);
    const outside = join(parent, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(workspace, 'linkdir'));
    symlinkSync(join(outside, 'target.txt'), join(workspace, 'linkfile.txt'));
    const before = readdirSync(parent).sort();
    const files = Object.fromEntries([...hostile.map(([name]) => [name, 'pwned']), ['linkdir/escape.txt', 'pwned'], ['linkfile.txt', 'pwned'], ['fine/ok.txt', 'ok']]);
    const result = writeCodebase(workspace, files);
    expect(result.written).toEqual(['fine/ok.txt']);
    expect(result.refused).toHaveLength(hostile.length + 2);
    expect(result.refused.find((r) => r.path === 'linkdir/escape.txt')?.reason).toMatch(/symbolic link/);
    expect(result.refused.find((r) => r.path === 'linkfile.txt')?.reason).toMatch(/symbolic link/);
    expect(readdirSync(parent).sort()).toEqual(before);
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(join(tmpdir(), 'x.txt'))).toBe(false);
    expect(readFileSync('/etc/passwd', 'utf8')).not.toContain('pwned');
  });
});

describe('unfinishedParts and readCodebase', () => {
  it('finds placeholder bodies and TODOs but not finished code', () => {
    const files = {
      'a.py': 'def done():\n    return 1\n\ndef todo():\n    """Not yet."""\n    pass\n\ndef later(): ...\n\ndef nope():\n    raise NotImplementedError\n',
      'b.js': 'function f() {\n  // TODO: write it\n}\n',
      'c.py': 'def ok():\n    """Docs."""\n    return 2\n',
    };
    expect(unfinishedParts(files)).toEqual(['a.py: function todo', 'a.py: function later', 'a.py: function nope', 'b.js: TODO on line 2']);
  });

  it('reads a project, skipping dependencies, binaries and links', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crosstalk-read-'));
    writeFileSync(join(dir, 'main.py'), 'print(1)\n');
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, 'node_modules', 'x.js'), 'x');
    writeFileSync(join(dir, 'image.bin'), Buffer.from([1, 0, 2]));
    symlinkSync('/etc/passwd', join(dir, 'passwd'));
    expect(readCodebase(dir)).toEqual({ 'main.py': 'print(1)\n' });
  });
});

import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { removeTree } from '../../common/index.js';
import { PathSafetyError } from '../../errors/index.js';
import { parseCodebase } from './parse-codebase.js';
import { assertRelativePath, checkRelativePath } from './safe-path.js';
import { readCodebase, writeCodebase } from './write-codebase.js';

/** Hostile names and the reason each must be refused with. */
const hostileNames: Array<[string, RegExp]> = [
  ['../../etc/passwd', /parent directory/],
  ['../x.py', /parent directory/],
  ['/etc/passwd', /absolute path/],
  ['/tmp/evil.py', /absolute path/],
  ['C:\\Windows\\system32\\x.dll', /drive letter/],
  ['c:evil.py', /drive letter/],
  ['\\\\server\\share\\x.py', /UNC/],
  ['//server/share/x.py', /UNC/],
  ['..\\..\\x.txt', /parent directory/],
  ['a/../../b.txt', /parent directory/],
  ['a/./../b.txt', /parent directory/],
  ['a/b/../c.txt', /parent directory/],
  ['%2e%2e/x.txt', /percent-encoded/],
  ['%2E%2E%2Fx.txt', /percent-encoded/],
  ['a%2fb.txt', /percent-encoded/],
  ['%252e%252e/x.txt', /percent-encoded/],
  ['%c0%ae%c0%ae/x.txt', /percent-encoded/],
  ['\uff0e\uff0e\uff0fx.txt', /look-alike/],
  ['a\u2215..\u2215b.txt', /look-alike/],
  ['evil\u0000.py', /control character/],
  ['bad\u001b[31m.py', /control character/],
  ['line\nbreak.py', /control character/],
  ['tab\there.py', /control character/],
  ['c1\u0085.py', /control character/],
  ['main\u202eyp.exe', /formatting character/],
  ['zero\u200bwidth.py', /formatting character/],
  ['CON', /reserved device name/],
  ['CON.txt', /reserved device name/],
  ['con.tar.gz', /reserved device name/],
  ['dir/LPT1.log', /reserved device name/],
  ['NUL', /reserved device name/],
  ['aux.py', /reserved device name/],
  ['COM9', /reserved device name/],
  [`${'a'.repeat(300)}.py`, /longer than 255 bytes/],
  [`${'é'.repeat(200)}.py`, /longer than 255 bytes/],
  [`${'abcdefgh/'.repeat(130)}x.py`, /longer than 1024 bytes/],
  [`${'a/'.repeat(40)}x.py`, /deeper than 32/],
  ['~/x.py', /home directory/],
  ['~root/.bashrc', /home directory/],
  ['a/~/x.py', /home directory/],
  ['.git/config', /\.git/],
  ['.GIT/hooks/pre-commit', /\.git/],
  ['pkg/.git/hooks/pre-commit', /\.git/],
  ['GIT~1/config', /short name/],
  ['trailing.', /ends with a dot or space/],
  ['name ', /ends with a dot or space/],
  ['dir./x.py', /ends with a dot or space/],
  ['a<b>.py', /not allowed/],
  ['file.txt:stream', /not allowed/],
  ['', /empty/],
  ['   ', /empty/],
  ['./.', /no name part/],
  ['src/', /directory/],
];

describe('checkRelativePath', () => {
  it('has a table of more than 20 hostile names', () => {
    expect(hostileNames.length).toBeGreaterThan(20);
  });

  it.each(hostileNames)('refuses %j', (name, reason) => {
    const result = checkRelativePath(name);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it.each([
    ['main.py', 'main.py'],
    ['./src//app.py', 'src/app.py'],
    ['src\\app.py', 'src/app.py'],
    ['pkg/__init__.py', 'pkg/__init__.py'],
    ['.gitignore', '.gitignore'],
    ['.github/workflows/ci.yml', '.github/workflows/ci.yml'],
    ['café/menu.py', 'café/menu.py'],
    ['console.py', 'console.py'],
    ['a..b.py', 'a..b.py'],
  ])('accepts and normalises %j', (name, path) => {
    expect(checkRelativePath(name)).toEqual({ ok: true, path });
  });

  it('assertRelativePath throws a typed error', () => {
    expect(assertRelativePath('./a/b.py')).toBe('a/b.py');
    try {
      assertRelativePath('../x');
      expect.unreachable();
    } catch (error) {
      expect(PathSafetyError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'PATH_UNSAFE', path: '../x' });
    }
  });

  it('never accepts a path that resolves outside the root (property)', () => {
    const root = '/work/root';
    const pieces = fc.constantFrom(
      '..',
      '.',
      'a',
      'b.py',
      '/',
      '\\',
      '%2e',
      '~',
      'C:',
      'con',
      '\u0000',
      ' ',
      '',
      '.git',
      'x/',
      '\uff0e',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(pieces, { maxLength: 8 }).map((p) => p.join('')),
          fc.string({ maxLength: 40 }),
        ),
        (name) => {
          const result = checkRelativePath(name);
          if (!result.ok) return;
          const full = resolve(root, result.path);
          expect(full.startsWith(`${root}/`)).toBe(true);
          expect(result.path.split('/')).not.toContain('..');
          expect(join(root, result.path)).toBe(full);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

/** Every file under `dir` (relative paths, links not followed), for before/after comparisons. */
function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    for (const name of readdirSync(d).sort()) {
      const rel = prefix ? `${prefix}/${name}` : name;
      const st = lstatSync(join(d, name));
      out.push(`${rel}${st.isSymbolicLink() ? '@' : st.isDirectory() ? '/' : `:${st.size}`}`);
      if (st.isDirectory()) walk(join(d, name), rel);
    }
  };
  walk(dir, '');
  return out;
}

describe('writeCodebase', () => {
  const cleanup: string[] = [];
  afterEach(() => {
    for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** parent/{ws, outside/, outside.txt}; ws holds links planted towards outside. */
  function setup() {
    const parent = mkdtempSync(join(tmpdir(), 'crosstalk-ws-'));
    cleanup.push(parent);
    const workspace = join(parent, 'ws');
    const outside = join(parent, 'outside');
    mkdirSync(workspace);
    mkdirSync(outside);
    writeFileSync(join(parent, 'outside.txt'), 'original');
    symlinkSync(outside, join(workspace, 'linkdir'));
    symlinkSync(join(outside, 'target.txt'), join(workspace, 'linkfile.txt'));
    symlinkSync('../outside', join(workspace, 'relative-link'));
    symlinkSync('/nonexistent-crosstalk', join(workspace, 'dangling'));
    mkdirSync(join(workspace, 'inner'));
    symlinkSync('inner', join(workspace, 'inside-link'));
    return { parent, workspace, outside };
  }

  const linkCases: Array<[string, RegExp]> = [
    ['linkdir/escape.txt', /symbolic link pointing outside/],
    ['linkdir/deep/er/escape.txt', /symbolic link pointing outside/],
    ['relative-link/escape.txt', /symbolic link pointing outside/],
    ['linkfile.txt', /symbolic link/],
    ['dangling/x.txt', /dangling symbolic link/],
    ['dangling', /symbolic link/],
  ];

  it('writes nothing outside the workspace for any hostile name, and reports each with a reason', () => {
    const { parent, workspace, outside } = setup();
    const before = listTree(parent);
    const files: Array<[string, string]> = [
      ...hostileNames.map(([name]): [string, string] => [name, 'pwned']),
      ...linkCases.map(([name]): [string, string] => [name, 'pwned']),
      ['fine/ok.txt', 'ok'],
      ['inside-link/ok.txt', 'ok'],
    ];
    const result = writeCodebase(
      workspace,
      files.map(([path, content]) => ({ path, content })),
    );
    expect(result.written).toEqual(['fine/ok.txt', 'inside-link/ok.txt']);
    expect(result.refused).toHaveLength(hostileNames.length + linkCases.length);
    for (const [name, reason] of [...hostileNames, ...linkCases]) {
      const refusal = result.refused.find((r) => r.path === name);
      expect(refusal, name).toBeDefined();
      expect(refusal!.reason).toMatch(reason);
    }
    // only the two good files appeared, and only inside the workspace
    const after = listTree(parent);
    expect(after.filter((e) => !before.includes(e)).sort()).toEqual(
      ['ws/fine/', 'ws/fine/ok.txt:2', 'ws/inner/ok.txt:2'].sort(),
    );
    expect(readdirSync(outside)).toEqual([]);
    expect(readFileSync(join(parent, 'outside.txt'), 'utf8')).toBe('original');
    expect(readFileSync('/etc/passwd', 'utf8')).not.toContain('pwned');
    expect(existsSync(join(tmpdir(), 'evil.py'))).toBe(false);
  });

  it('refuses the same hostile names when they come from a model reply', () => {
    const { parent, workspace } = setup();
    const before = listTree(parent);
    const reply = hostileNames
      .filter(([name]) => name.trim() !== '' && !/\s/.test(name))
      .map(([name]) => `${name}\n\`\`\`python\nprint("pwned")\n\`\`\``)
      .join('\n\n');
    const parsed = parseCodebase(reply);
    expect(Object.keys(parsed.files)).toEqual([]);
    expect(parsed.refused.length).toBeGreaterThan(20);
    const result = writeCodebase(workspace, parsed.files);
    expect(result.written).toEqual([]);
    expect(listTree(parent)).toEqual(before);
  });

  it('replaces a hard-linked file instead of writing through the link', () => {
    const { parent, workspace } = setup();
    linkSync(join(parent, 'outside.txt'), join(workspace, 'hard.txt'));
    const result = writeCodebase(workspace, { 'hard.txt': 'new' });
    expect(result.written).toEqual(['hard.txt']);
    expect(readFileSync(join(workspace, 'hard.txt'), 'utf8')).toBe('new');
    expect(readFileSync(join(parent, 'outside.txt'), 'utf8')).toBe('original');
  });

  it('refuses a file where a directory is, a directory where a file is, and oversized files', () => {
    const { workspace } = setup();
    writeFileSync(join(workspace, 'plain.txt'), 'x');
    const result = writeCodebase(
      workspace,
      { inner: 'x', 'plain.txt/child.py': 'x', 'big.txt': 'x'.repeat(11) },
      { maxFileBytes: 10 },
    );
    expect(result.written).toEqual([]);
    expect(result.refused.map((r) => r.reason)).toEqual([
      expect.stringMatching(/not a regular file/),
      expect.stringMatching(/not a directory/),
      expect.stringMatching(/larger than 10 bytes/),
    ]);
  });

  it('creates parents, overwrites files, leaves no temporary files', () => {
    const { workspace } = setup();
    writeCodebase(workspace, { 'a/b/c.py': 'one' });
    const result = writeCodebase(workspace, { 'a/b/c.py': 'two', './a\\d.py': 'x' });
    expect(result).toEqual({ written: ['a/b/c.py', 'a/d.py'], refused: [] });
    expect(readFileSync(join(workspace, 'a/b/c.py'), 'utf8')).toBe('two');
    expect(listTree(join(workspace, 'a'))).toEqual(['b/', 'b/c.py:3', 'd.py:1']);
  });

  it('reads a project back, skipping dependencies, binaries, links and unsafe names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crosstalk-read-'));
    cleanup.push(dir);
    writeFileSync(join(dir, 'main.py'), 'print(1)\n');
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, 'node_modules', 'x.js'), 'x');
    writeFileSync(join(dir, 'image.bin'), Buffer.from([1, 0, 2]));
    writeFileSync(join(dir, 'con.txt'), 'device name');
    writeFileSync(join(dir, 'crosstalk-run.json'), '{}');
    symlinkSync('/etc/passwd', join(dir, 'passwd'));
    expect(readCodebase(dir)).toEqual({ 'main.py': 'print(1)\n' });
  });

  it('reads a project holding a tree deeper than the stack and PATH_MAX without failing', { timeout: 300_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'crosstalk-read-'));
    onTestFinished(() => expect(removeTree(dir).ok).toBe(true));
    writeFileSync(join(dir, 'main.py'), 'print(1)\n');
    const script =
      "const fs = require('node:fs'); for (let i = 0; i < 10000; i++) { fs.mkdirSync('d'); process.chdir('d'); }";
    execFileSync(process.execPath, ['-e', script], { cwd: dir, timeout: 240_000 });
    mkdirSync(join(dir, 'd', 'd', 'src'));
    writeFileSync(join(dir, 'd', 'd', 'src', 'app.py'), 'x = 1\n');
    expect(readCodebase(dir)).toEqual({ 'main.py': 'print(1)\n', 'd/d/src/app.py': 'x = 1\n' });
  });
});

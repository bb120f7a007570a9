import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess, runProcess, storedNetRun, tempDir } from '../support/run-cli.js';

describe('crosstalk runs export --out', () => {
  it('refuses a directory that already holds files and leaves them untouched', async () => {
    const cwd = tempDir();
    const id = await storedNetRun(cwd, 3);
    mkdirSync(join(cwd, 'notes'));
    writeFileSync(join(cwd, 'notes', 'transcript.md'), 'my own notes\n');
    const result = await runInProcess(['runs', 'export', id, '--out', 'notes'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      `crosstalk: output directory ${join(cwd, 'notes')} is not empty; choose another --out`,
    );
    expect(readFileSync(join(cwd, 'notes', 'transcript.md'), 'utf8')).toBe('my own notes\n');
    expect(existsSync(join(cwd, 'notes', 'run.json'))).toBe(false);
    // an existing empty directory is fine
    mkdirSync(join(cwd, 'empty'));
    expect((await runInProcess(['runs', 'export', id, '--out', 'empty'], { cwd })).code).toBe(0);
    expect(existsSync(join(cwd, 'empty', 'run.json'))).toBe(true);
  });

  it('refuses an empty --out instead of writing into the working directory', async () => {
    const cwd = tempDir();
    const id = await storedNetRun(cwd, 3);
    const result = await runInProcess(['runs', 'export', id, '--out', '', '--json'], { cwd });
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      error: { code: 'CONFIG_INVALID', message: '--out must name a directory (got "")' },
    });
    expect(existsSync(join(cwd, 'run.json'))).toBe(false);
  });

  it('reports a file path given as --out in one line with exit code 2', async () => {
    const cwd = tempDir();
    const id = await storedNetRun(cwd, 3);
    writeFileSync(join(cwd, 'file.txt'), 'x');
    const result = await runInProcess(['runs', 'export', id, '--out', 'file.txt', '--json'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      `crosstalk: cannot write to ${join(cwd, 'file.txt')}: it is a file, not a directory`,
    );
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID' } });
    const below = await runInProcess(['runs', 'export', id, '--out', 'file.txt/sub'], { cwd });
    expect(below.code).toBe(2);
    expect(below.stderr.trim()).toMatch(
      /^crosstalk: cannot create output directory .*file\.txt\/sub: .*not a directory/,
    );
  });

  it.runIf(process.platform === 'linux')('fails at once, not hanging, where no directory can be created', async () => {
    const cwd = tempDir();
    const id = await storedNetRun(cwd, 3);
    const result = await runProcess(['runs', 'export', id, '--out', '/proc/crosstalk-export'], {
      cwd,
      timeoutMs: 15_000,
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^crosstalk: cannot create output directory \/proc\/crosstalk-export: /);
  });
});

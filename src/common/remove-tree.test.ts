import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { removeTree } from './remove-tree.js';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-remove-tree-'));
  // the fallback when removeTree is broken: a shell rm, which walks with openat and has no stack limit
  onTestFinished(() => {
    if (existsSync(dir)) execFileSync('rm', ['-rf', dir]);
  });
  return dir;
}

describe('removeTree', () => {
  it('removes files, links (without following them) and nested directories', () => {
    const dir = tempDir();
    const outside = tempDir();
    writeFileSync(join(outside, 'keep.txt'), 'keep');
    const root = join(dir, 'ws');
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    writeFileSync(join(root, 'a', 'b', 'f.txt'), 'x');
    writeFileSync(join(root, 'top.txt'), 'x');
    symlinkSync(outside, join(root, 'a', 'link'));
    const result = removeTree(root);
    expect(result).toMatchObject({ ok: true, removed: 6 });
    expect(existsSync(root)).toBe(false);
    expect(readdirSync(outside)).toEqual(['keep.txt']);
  });

  it('counts a missing root as removed', () => {
    expect(removeTree(join(tempDir(), 'missing')).ok).toBe(true);
  });

  it('takes back permissions a program removed', () => {
    const root = join(tempDir(), 'ws');
    mkdirSync(join(root, 'locked', 'inner'), { recursive: true });
    writeFileSync(join(root, 'locked', 'inner', 'f'), 'x');
    chmodSync(join(root, 'locked', 'inner'), 0o000);
    chmodSync(join(root, 'locked'), 0o500);
    expect(removeTree(root)).toMatchObject({ ok: true });
    expect(existsSync(root)).toBe(false);
  });

  it('reports the time limit instead of throwing', () => {
    const root = join(tempDir(), 'ws');
    for (let i = 0; i < 50; i++) mkdirSync(join(root, `d${i}`, 'e'), { recursive: true });
    const result = removeTree(root, { timeoutMs: -1 });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/gave up after -1 ms/);
  });

  // A program can nest directories far deeper than the JavaScript stack and than PATH_MAX; fs.rmSync overflows the
  // stack from about 3,000 levels. The 200,000 levels take ~10 s to build here, but removing them takes
  // ~2 ms a level on this disk with any tool (rm -rf too), so the test uses 10,000 levels (paths of 20,000
  // characters); CROSSTALK_DEEP_TREE_DEPTH=200000 runs the full depth.
  it('removes a tree deeper than the stack and PATH_MAX', { timeout: 900_000 }, () => {
    const dir = tempDir();
    const root = join(dir, 'ws');
    mkdirSync(root);
    const depth = Number(process.env.CROSSTALK_DEEP_TREE_DEPTH ?? 10_000);
    execFileSync(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs'); for (let i = 0; i < ${depth}; i++) { fs.mkdirSync('d'); process.chdir('d'); } fs.writeFileSync('bottom', 'x');`,
      ],
      { cwd: root, timeout: 300_000 },
    );
    const result = removeTree(root, { timeoutMs: 600_000 });
    expect(result.error).toBeUndefined();
    expect(result).toMatchObject({ ok: true, removed: depth + 2 });
    expect(existsSync(root)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});

import { closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, statSync, writeSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Files, RefusedFile } from './parse-codebase.js';
import { checkRelativePath } from './safe-path.js';

/** Result of {@link writeCodebase}. */
export interface WriteResult {
  written: string[];
  refused: RefusedFile[];
}

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) && !rel.includes(`..${sep}`);
}

/**
 * Writes files inside `dir` and nowhere else. Each path is checked again,
 * every existing component on the way is inspected with lstat (a symlink or
 * a non-directory refuses the file), and the file is opened with O_NOFOLLOW
 * so a symlink planted at the last moment is not followed. Refused files are
 * reported, never written.
 */
export function writeCodebase(dir: string, files: Files): WriteResult {
  mkdirSync(dir, { recursive: true });
  const root = realpathSync(dir);
  const written: string[] = [];
  const refused: RefusedFile[] = [];
  for (const [name, content] of Object.entries(files)) {
    const checked = checkRelativePath(name);
    if (!checked.ok) {
      refused.push({ path: name, reason: checked.reason });
      continue;
    }
    const parts = checked.path.split('/');
    let current = root;
    let problem: string | undefined;
    for (const [i, part] of parts.entries()) {
      current = join(current, part);
      let stat;
      try {
        stat = lstatSync(current);
      } catch {
        break; // does not exist yet: nothing below it can be a link
      }
      if (stat.isSymbolicLink()) problem = `'${parts.slice(0, i + 1).join('/')}' is a symbolic link`;
      else if (i < parts.length - 1 && !stat.isDirectory()) problem = `'${parts.slice(0, i + 1).join('/')}' is not a directory`;
      else if (i === parts.length - 1 && !stat.isFile()) problem = `'${checked.path}' exists and is not a regular file`;
      if (problem) break;
    }
    const target = join(root, ...parts);
    if (!problem && !isInside(root, target)) problem = 'resolves outside the workspace';
    if (problem) {
      refused.push({ path: name, reason: problem });
      continue;
    }
    try {
      mkdirSync(join(root, ...parts.slice(0, -1)), { recursive: true });
      if (!isInside(root, realpathSync(join(root, ...parts.slice(0, -1))) + sep + 'x')) throw new Error('parent resolves outside the workspace');
      const fd = openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
      try {
        writeSync(fd, content);
      } finally {
        closeSync(fd);
      }
      written.push(checked.path);
    } catch (error) {
      refused.push({ path: name, reason: (error as NodeJS.ErrnoException).code === 'ELOOP' ? 'the file is a symbolic link' : (error as Error).message });
    }
  }
  return { written, refused };
}

const skipDirs = new Set(['node_modules', '.git', '__pycache__', 'dist', 'build', '.venv', 'venv', '.crosstalk']);

/**
 * Reads an existing project (incremental mode): text files up to 256 KiB
 * each and 300 files in all, skipping dependency and VCS folders, binaries
 * and symlinks. `crosstalk-run.json` is left out.
 */
export function readCodebase(dir: string): Files {
  const root = realpathSync(dir);
  if (!statSync(root).isDirectory()) throw new Error(`${dir} is not a directory`);
  const files: Files = {};
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      if (Object.keys(files).length >= 300) return;
      const full = join(current, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        if (!skipDirs.has(entry.name)) walk(full);
        continue;
      }
      if (!entry.isFile() || entry.name === 'crosstalk-run.json') continue;
      if (statSync(full).size > 256 * 1024) continue;
      const buffer = readFileSync(full);
      if (buffer.includes(0)) continue;
      files[relative(root, full).split(sep).join('/')] = buffer.toString('utf8');
    }
  };
  walk(root);
  return files;
}

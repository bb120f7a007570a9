import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { makeDirectory } from '../../common/index.js';
import { fileEntries, type Files, type FilesLike } from './codebase.js';
import type { RefusedFile } from './parse-codebase.js';
import { checkRelativePath } from './safe-path.js';

/** Result of {@link writeCodebase}. */
export interface WriteResult {
  /** Normalised paths written, in the order given. */
  written: string[];
  /** Files not written, with the reason. */
  refused: RefusedFile[];
}

/** Options of {@link writeCodebase}. */
export interface WriteCodebaseOptions {
  /** Largest file written, in bytes (UTF-8). Default 5 MiB. */
  maxFileBytes?: number;
}

function isInside(root: string, target: string, allowRoot = false): boolean {
  const rel = relative(root, target);
  if (rel === '') return allowRoot;
  return !isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`);
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

let temporaryCounter = 0;

/**
 * Resolves the directory that will hold `parts`' last segment, creating
 * missing directories one at a time. Every existing component is inspected
 * with lstat: a symbolic link is followed only when its real path is inside
 * the workspace, anything else that is not a directory refuses the file.
 */
function parentDirectory(root: string, parts: string[]): { dir: string } | { problem: string } {
  let dir = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const shown = parts.slice(0, i + 1).join('/');
    const next = join(dir, parts[i]!);
    let stat = lstatOrUndefined(next);
    if (!stat) {
      try {
        mkdirSync(next, { mode: 0o755 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      stat = lstatSync(next);
    }
    if (stat.isSymbolicLink()) {
      let real: string;
      try {
        real = realpathSync(next);
      } catch {
        return { problem: `'${shown}' is a dangling symbolic link` };
      }
      if (!isInside(root, real, true))
        return { problem: `'${shown}' is a symbolic link pointing outside the workspace` };
      if (!statSync(real).isDirectory())
        return { problem: `'${shown}' is a symbolic link to something that is not a directory` };
      dir = real;
    } else if (!stat.isDirectory()) {
      return { problem: `'${shown}' exists and is not a directory` };
    } else {
      dir = next;
    }
  }
  return { dir };
}

/**
 * Writes files inside `dir` and nowhere else; `dir` is created if missing.
 * Each name is checked again with {@link checkRelativePath}; parent
 * directories are created one component at a time and every existing
 * component is inspected (symbolic links are followed only when they resolve
 * inside `dir`); an existing file that is a symbolic link is refused, never
 * followed or replaced. Content goes to a new temporary file opened with
 * `O_EXCL | O_NOFOLLOW` and is renamed over the target, so a hard link to a
 * file elsewhere is replaced rather than written through. Refused files are
 * reported, never written; the call does not throw for a bad file.
 *
 * Limit: the checks and the write are separate system calls, so a process
 * racing inside `dir` at the same moment could still swap a directory for a
 * link; crosstalk never runs generated code in a workspace while writing it.
 */
export function writeCodebase(dir: string, files: FilesLike, options: WriteCodebaseOptions = {}): WriteResult {
  const maxFileBytes = options.maxFileBytes ?? 5 * 1024 * 1024;
  makeDirectory(dir);
  const root = realpathSync(dir);
  const written: string[] = [];
  const refused: RefusedFile[] = [];
  for (const [name, content] of fileEntries(files)) {
    const checked = checkRelativePath(name);
    if (!checked.ok) {
      refused.push({ path: name, reason: checked.reason });
      continue;
    }
    if (typeof content !== 'string' || Buffer.byteLength(content) > maxFileBytes) {
      refused.push({ path: name, reason: `file larger than ${maxFileBytes} bytes` });
      continue;
    }
    const parts = checked.path.split('/');
    const base = parts.at(-1)!;
    let temporary: string | undefined;
    try {
      const parent = parentDirectory(root, parts);
      if ('problem' in parent) {
        refused.push({ path: name, reason: parent.problem });
        continue;
      }
      const target = join(parent.dir, base);
      if (!isInside(root, target)) {
        refused.push({ path: name, reason: 'resolves outside the workspace' });
        continue;
      }
      const existing = lstatOrUndefined(target);
      if (existing?.isSymbolicLink()) {
        refused.push({ path: name, reason: `'${checked.path}' is a symbolic link (not followed, not replaced)` });
        continue;
      }
      if (existing && !existing.isFile()) {
        refused.push({ path: name, reason: `'${checked.path}' exists and is not a regular file` });
        continue;
      }
      temporary = join(
        parent.dir,
        `.crosstalk-write-${process.pid}-${++temporaryCounter}-${randomBytes(4).toString('hex')}.tmp`,
      );
      const fd = openSync(
        temporary,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o644,
      );
      try {
        writeFileSync(fd, content);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, target);
      temporary = undefined;
      written.push(checked.path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      refused.push({
        path: name,
        reason: code === 'ELOOP' ? 'a symbolic link is in the way' : `could not write: ${(error as Error).message}`,
      });
    } finally {
      if (temporary) {
        try {
          unlinkSync(temporary);
        } catch {
          // already gone
        }
      }
    }
  }
  return { written, refused };
}

/** Entries {@link readCodebase} looks at, at most. */
const maxScannedEntries = 100_000;
/** Folders nested deeper than this many characters below the root are not read (no project file lives there). */
const maxScannedPathChars = 1024;

const skipDirs = new Set([
  'node_modules',
  '.git',
  '__pycache__',
  'dist',
  'build',
  '.venv',
  'venv',
  '.crosstalk',
  '.mypy_cache',
  '.pytest_cache',
]);

/**
 * Reads an existing project (incremental mode): text files up to 256 KiB
 * each and 300 files in all, skipping dependency and VCS folders, binaries,
 * symbolic links and names {@link checkRelativePath} refuses. At most 100,000 entries are
 * looked at, folders more than 1,024 characters deep are skipped, and the walk never recurses.
 * `crosstalk-run.json` is left out.
 */
export function readCodebase(dir: string): Files {
  const root = realpathSync(dir);
  if (!statSync(root).isDirectory()) throw new Error(`${dir} is not a directory`);
  const files: Files = {};
  let count = 0;
  // an explicit stack, visited in name order, and a bound on entries looked at: a program can leave a tree deeper
  // than the JavaScript stack or millions of entries wide
  const stack = [root];
  for (let visited = 0; stack.length > 0 && count < 300 && visited < maxScannedEntries; ) {
    const current = stack.pop()!;
    const entries = readdirSync(current, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    const subdirs: string[] = [];
    for (const entry of entries) {
      if (count >= 300 || ++visited > maxScannedEntries) break;
      const full = join(current, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        if (!skipDirs.has(entry.name) && full.length - root.length < maxScannedPathChars) subdirs.push(full);
        continue;
      }
      if (!entry.isFile() || entry.name === 'crosstalk-run.json') continue;
      const path = relative(root, full).split(sep).join('/');
      const checked = checkRelativePath(path);
      if (!checked.ok || lstatSync(full).size > 256 * 1024) continue;
      const buffer = readFileSync(full);
      if (buffer.includes(0)) continue;
      files[checked.path] = buffer.toString('utf8');
      count++;
    }
    for (const subdir of subdirs.reverse()) stack.push(subdir);
  }
  return files;
}

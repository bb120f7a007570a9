import { chmodSync, lstatSync, readdirSync, renameSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** What {@link removeTree} did. */
export interface RemoveTreeResult {
  /** True when the tree is gone. */
  ok: boolean;
  /** Entries (files, links, directories) removed. */
  removed: number;
  /** Why the tree is not gone (first failure, or the time limit), when `ok` is false. */
  error?: string;
  /** How long the removal took, in ms. */
  durationMs: number;
}

/** Options of {@link removeTree}. */
export interface RemoveTreeOptions {
  /** Give up after this many ms and report what is left. Default 60 000. */
  timeoutMs?: number;
}

/**
 * Removes a file or directory tree without recursion (a program can make a
 * tree far deeper than the JavaScript stack), without following symbolic
 * links, and within a time limit. Never throws: a failure or the time limit
 * is returned in the result, so callers can report it instead of losing it.
 * A missing `root` counts as removed.
 */
export function removeTree(root: string, options: RemoveTreeOptions = {}): RemoveTreeResult {
  const started = performance.now();
  const deadline = started + (options.timeoutMs ?? 60_000);
  let removed = 0;
  const done = (error?: string): RemoveTreeResult => ({
    ok: error === undefined,
    removed,
    ...(error !== undefined ? { error } : {}),
    durationMs: Math.round(performance.now() - started),
  });
  try {
    const stat = lstatSync(root, { throwIfNoEntry: false });
    if (!stat) return done();
    if (!stat.isDirectory()) {
      unlinkSync(root);
      removed++;
      return done();
    }
    // Every directory below the first level is moved up to the root under a short name before its parent is
    // removed: paths stay short (Linux refuses paths over 4096 bytes and Node has no `unlinkat`), and the work
    // list holds short names only, however deep the tree.
    const prefix = `.crosstalk-rm-${process.pid}-${Math.floor(Math.random() * 1e9).toString(36)}-`;
    let moves = 0;
    const pending: string[] = [];
    const timeLeft = () => {
      if (performance.now() > deadline) {
        const left = pending.length + 1;
        throw new Error(
          `gave up after ${options.timeoutMs ?? 60_000} ms with ${left} director${left === 1 ? 'y' : 'ies'} left`,
        );
      }
    };
    const clear = (dir: string, moveUp: boolean) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if ((removed & 1023) === 0) timeLeft();
        const path = join(dir, entry.name);
        if (!entry.isDirectory()) {
          unlinkSync(path);
          removed++;
        } else if (moveUp) {
          const moved = join(root, `${prefix}${++moves}`);
          withPermission(path, () => renameSync(path, moved));
          pending.push(moved);
        } else pending.push(path);
      }
    };
    withPermission(root, () => clear(root, false));
    while (pending.length > 0) {
      timeLeft();
      const dir = pending.pop()!;
      withPermission(dir, () => clear(dir, true));
      rmdirSync(dir);
      removed++;
    }
    rmdirSync(root);
    removed++;
    return done();
  } catch (error) {
    return done((error as Error).message);
  }
}

/** Runs `action`; when a program we ran took the permissions of `dir` away, gives them back and tries once more. */
function withPermission(dir: string, action: () => void): void {
  try {
    action();
  } catch (error) {
    if (!isPermissionError(error)) throw error;
    chmodSync(dir, 0o700);
    action();
  }
}

function isPermissionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM';
}

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTree, type RemoveTreeResult } from './remove-tree.js';

const live = new Set<string>();
let exitHookInstalled = false;

/** A directory in the system temp folder; `remove` deletes it (idempotent, iterative, never throws). */
export interface TempDir {
  path: string;
  /** Removes the directory within `timeoutMs` (default 60 s) and says whether it could. */
  remove(timeoutMs?: number): RemoveTreeResult;
}

/**
 * Creates a directory in the system temp folder (`os.tmpdir()`, so `TMPDIR`
 * applies) that the caller removes when done. Directories not yet removed
 * when the process exits (a second Ctrl-C exits at once, skipping `finally`
 * blocks) are removed by an exit hook, so crosstalk leaves nothing behind.
 */
export function makeTempDir(prefix: string, parent = tmpdir()): TempDir {
  const path = mkdtempSync(join(parent, prefix));
  live.add(path);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      // exiting: a bounded, non-throwing removal, so nothing masks the exit code
      for (const dir of live) removeTree(dir, { timeoutMs: 5000 });
    });
  }
  return {
    path,
    remove(timeoutMs = 60_000) {
      if (!live.delete(path)) return { ok: true, removed: 0, durationMs: 0 };
      return removeTree(path, { timeoutMs });
    },
  };
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();
let exitHookInstalled = false;

const removeDir = (path: string) => rmSync(path, { recursive: true, force: true, maxRetries: 3 });

/** A directory in the system temp folder; `remove` deletes it (idempotent). */
export interface TempDir {
  path: string;
  remove(): void;
}

/**
 * Creates a directory in the system temp folder (`os.tmpdir()`, so `TMPDIR`
 * applies) that the caller removes when done. Directories not yet removed
 * when the process exits (a second Ctrl-C exits at once, skipping `finally`
 * blocks) are removed by an exit hook, so crosstalk leaves nothing behind.
 */
export function makeTempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  live.add(path);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const dir of live) {
        try {
          removeDir(dir);
        } catch {
          // exiting: nothing more can be done, and nothing must mask the exit code
        }
      }
    });
  }
  return {
    path,
    remove() {
      if (!live.delete(path)) return;
      removeDir(path);
    },
  };
}

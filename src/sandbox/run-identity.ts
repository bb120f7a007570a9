import { chmodSync, lchownSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * First uid of the range sandboxed programs run as when crosstalk runs as
 * root. Each run gets its own uid, never used by anything else: RLIMIT_NPROC
 * counts processes per uid, so a fork bomb in one run cannot starve another
 * run or the host, and leftover processes can be found by uid.
 */
export const sandboxUidBase = 1_000_000_000;

let counter = 0;

/** A uid (= gid) for one run: unique per crosstalk process (by pid) and per run within it. */
export function allocateRunUid(): number {
  counter = (counter + 1) % 10_000;
  return sandboxUidBase + (process.pid % 100_000) * 10_000 + counter;
}

/** Entries visited by {@link handOverWorkspace}, at most. A program could create millions of files. */
const maxEntries = 100_000;

/**
 * Gives every entry of the workspace to `uid:gid`, without following
 * symbolic links (lchown on the link itself, never descends into one), and
 * clears set-user-ID / set-group-ID bits on the way. Used before a run (so
 * the unprivileged program can write its workspace) and after it (to give
 * the files, including those the program made, back to the workspace's owner).
 */
export function handOverWorkspace(root: string, uid: number, gid: number): void {
  // an explicit stack, not recursion: a program can nest directories deeper than the JavaScript stack
  const stack = [root];
  for (let visited = 0; stack.length > 0 && visited < maxEntries; visited++) {
    const path = stack.pop()!;
    const stat = lstatSync(path);
    lchownSync(path, uid, gid);
    if (stat.isSymbolicLink()) continue;
    if (stat.mode & 0o6000) chmodSync(path, stat.mode & 0o1777);
    if (stat.isDirectory()) for (const name of readdirSync(path)) stack.push(join(path, name));
  }
}

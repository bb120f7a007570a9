import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeTree } from '../common/remove-tree.js';
import { ownerAlive, ownerTag, parseOwnerTag } from './owner-tag.js';

/** Prefixes of the temporary directories sandboxed runs make; each is followed by an {@link ownerTag}. */
export const sandboxDirPrefixes = ['crosstalk-run-', 'crosstalk-sandbox-etc-', 'crosstalk-sandbox-probe-'] as const;

/** The prefix for a temporary directory of this process: `crosstalk-run-<pid>.<start ticks>-`. */
export function ownedPrefix(prefix: (typeof sandboxDirPrefixes)[number]): string {
  return `${prefix}${ownerTag()}-`;
}

/** What {@link removeStaleSandboxDirs} did. */
export interface StaleCleanup {
  removed: string[];
  /** Directories that could not be removed, with why. */
  failed: Array<{ path: string; error: string }>;
}

const cleaned = new Set<string>();

/**
 * Removes the workspaces and sandbox files that crosstalk processes which
 * died without cleaning up (SIGKILL, power loss) left in `parent`: names
 * made with {@link ownedPrefix} whose process is gone. Directories of
 * processes still running are never touched, nor names without an owner tag.
 * Each removal is iterative and bounded in time; failures are returned, not
 * thrown. Runs once per folder per process unless `force` is set.
 */
export function removeStaleSandboxDirs(
  parent: string = tmpdir(),
  options: { timeoutMs?: number; force?: boolean } = {},
): StaleCleanup {
  const result: StaleCleanup = { removed: [], failed: [] };
  if (cleaned.has(parent) && !options.force) return result;
  cleaned.add(parent);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return result;
  }
  const deadline = performance.now() + (options.timeoutMs ?? 30_000);
  for (const name of names) {
    const prefix = sandboxDirPrefixes.find((p) => name.startsWith(p));
    if (!prefix) continue;
    const owner = parseOwnerTag(name, prefix);
    if (!owner || ownerAlive(owner)) continue;
    const path = join(parent, name);
    const left = deadline - performance.now();
    if (left <= 0) {
      result.failed.push({ path, error: 'no time left' });
      continue;
    }
    const removal = removeTree(path, { timeoutMs: left });
    if (removal.ok) result.removed.push(path);
    else result.failed.push({ path, error: removal.error ?? 'not removed' });
  }
  return result;
}

import { readFileSync } from 'node:fs';

/** Start time of a process in clock ticks since boot (`/proc/<pid>/stat` field 22), undefined when it is gone. */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name is in parentheses and may hold spaces: count fields after its closing parenthesis
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

let own: string | undefined;

/**
 * `<pid>.<start ticks>` of this process: put in the names of the directories
 * and cgroups a run makes, so a later crosstalk can tell those of a process
 * that died (killed before it could clean up) from those of one still running,
 * even when the pid was reused.
 */
export function ownerTag(): string {
  own ??= `${process.pid}.${processStartTicks(process.pid) ?? 0}`;
  return own;
}

/** Parses an owner tag out of a name made with {@link ownerTag}; undefined when the name holds none. */
export function parseOwnerTag(name: string, prefix: string): { pid: number; ticks: number } | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const match = /^(\d+)\.(\d+)-/.exec(name.slice(prefix.length));
  return match ? { pid: Number(match[1]), ticks: Number(match[2]) } : undefined;
}

/** Whether the process an owner tag names still runs (same pid and same start time). */
export function ownerAlive(owner: { pid: number; ticks: number }): boolean {
  const ticks = processStartTicks(owner.pid);
  return ticks !== undefined && (owner.ticks === 0 || ticks === owner.ticks);
}

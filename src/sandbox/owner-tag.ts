import { processStartTicks } from '../common/index.js';

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

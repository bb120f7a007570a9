import { readFileSync } from 'node:fs';

/**
 * Start time of a process in clock ticks since boot (Linux `/proc/<pid>/stat`
 * field 22); undefined elsewhere or when the process is gone. With the pid it
 * tells a live process from a later one that reused the pid.
 */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name is in parentheses and may hold spaces: fields are counted after its closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]); // field 22 overall; fields[0] is field 3 (state)
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

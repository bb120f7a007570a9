import type { Containment } from './types.js';

const mib = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MiB`;

/** One line for a run's record, e.g. `memory: cgroup-v1, 2048 MiB total; 64 processes; seccomp`. */
export function describeContainment(c: Containment): string {
  const total = mib(c.totalMemoryBytes);
  const memory =
    c.memory === 'rlimit'
      ? `memory: rlimit, ${mib(c.processMemoryBytes)} × ${c.maxProcesses} processes ≤ ${total} total`
      : `memory: ${c.memory}, ${total} total; ${c.maxProcesses} processes`;
  return `${memory}; ${c.seccomp ? 'seccomp' : 'no seccomp'}`;
}

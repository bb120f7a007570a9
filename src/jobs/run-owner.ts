import { processStartTicks } from '../common/index.js';
import { hostname } from 'node:os';
import type { RunStore } from '../store/index.js';

/** The process executing a session of a run, recorded with `run-started` / `run-resumed` events. */
export interface RunOwner {
  pid: number;
  host: string;
  /**
   * When the process started, in clock ticks since boot (Linux `/proc/<pid>/stat` field 22), when known: a pid
   * reused by another process after the owner died has another start time, so it does not block a resume.
   */
  startTicks?: number;
}

/** Whether a run's last session is still executing: `unknown` when it ran on another host or left no owner. */
export type OwnerState = 'alive' | 'gone' | 'unknown';

/** Event types that open a session and carry its {@link RunOwner}. */
export const sessionEventTypes = ['run-started', 'run-claimed', 'run-resumed'] as const;

/** This process as a run owner. */
export function currentOwner(): RunOwner {
  const startTicks = processStartTicks(process.pid);
  return { pid: process.pid, host: hostname(), ...(startTicks !== undefined ? { startTicks } : {}) };
}

/** The owner recorded by the run's latest session, if that session recorded one. */
export function runOwner(store: RunStore, runId: string): RunOwner | undefined {
  const owner = (store.lastEvent(runId, sessionEventTypes)?.data as { owner?: unknown } | null | undefined)?.owner as
    | Partial<RunOwner>
    | undefined;
  if (typeof owner?.pid !== 'number' || typeof owner.host !== 'string') return undefined;
  return {
    pid: owner.pid,
    host: owner.host,
    ...(typeof owner.startTicks === 'number' ? { startTicks: owner.startTicks } : {}),
  };
}

/**
 * Whether `owner` still runs. Only processes on this host can be checked
 * (signal 0 tests for existence without sending anything); a process that
 * exists but belongs to another user counts as alive. When the owner's start
 * time was recorded, a process with that pid but another start time is a
 * different process that reused the pid: the owner is gone.
 */
export function ownerState(owner: RunOwner | undefined): OwnerState {
  if (!owner || owner.host !== hostname()) return 'unknown';
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH' ? 'gone' : 'alive';
  }
  if (owner.startTicks !== undefined) {
    const now = processStartTicks(owner.pid);
    if (now !== undefined && now !== owner.startTicks) return 'gone';
  }
  return 'alive';
}

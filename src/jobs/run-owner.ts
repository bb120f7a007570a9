import { hostname } from 'node:os';
import type { RunStore } from '../store/index.js';

/** The process executing a session of a run, recorded with `run-started` / `run-resumed` events. */
export interface RunOwner {
  pid: number;
  host: string;
}

/** Whether a run's last session is still executing: `unknown` when it ran on another host or left no owner. */
export type OwnerState = 'alive' | 'gone' | 'unknown';

/** Event types that open a session and carry its {@link RunOwner}. */
export const sessionEventTypes = ['run-started', 'run-claimed', 'run-resumed'] as const;

/** This process as a run owner. */
export function currentOwner(): RunOwner {
  return { pid: process.pid, host: hostname() };
}

/** The owner recorded by the run's latest session, if that session recorded one. */
export function runOwner(store: RunStore, runId: string): RunOwner | undefined {
  const owner = (store.lastEvent(runId, sessionEventTypes)?.data as { owner?: unknown } | null | undefined)?.owner as Partial<RunOwner> | undefined;
  return typeof owner?.pid === 'number' && typeof owner.host === 'string' ? { pid: owner.pid, host: owner.host } : undefined;
}

/**
 * Whether `owner` still runs. Only processes on this host can be checked
 * (signal 0 tests for existence without sending anything); a process that
 * exists but belongs to another user counts as alive.
 */
export function ownerState(owner: RunOwner | undefined): OwnerState {
  if (!owner || owner.host !== hostname()) return 'unknown';
  try {
    process.kill(owner.pid, 0);
    return 'alive';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH' ? 'gone' : 'alive';
  }
}

import { constants } from 'node:os';
import type { ExecutabilityRule, SandboxLimit, SandboxOutcome } from './types.js';

/** What the runner observed, before classification. */
export interface RawRun {
  exitCode: number | null;
  signal: string | null;
  stderr: string;
  /** The wall-clock timeout fired and the sandbox was killed. */
  timedOut: boolean;
  /** A watchdog stopped the program for this limit. */
  watchdog?: 'output' | 'disk' | 'memory';
  /** The sandbox never started the program; the message says why. */
  setupFailure?: string;
  /** Most tasks seen at once, if measured. */
  peakTasks?: number;
  maxProcesses: number;
}

/** Classification of a {@link RawRun}. */
export interface Classification {
  outcome: SandboxOutcome;
  rule: ExecutabilityRule;
  limit?: SandboxLimit;
}

const errorOutput =
  /Traceback \(most recent call last\)|^(?:Uncaught )?(?:[A-Z]\w*)?(?:Error|Exception)\b(?::|\s*$)|^\s*at .+\(.+:\d+:\d+\)$/m;
const memoryMessages =
  /\bMemoryError\b|JavaScript heap out of memory|Cannot allocate memory|std::bad_alloc|Array buffer allocation failed|allocation failed|out of memory/i;
const processMessages =
  /Resource temporarily unavailable|BlockingIOError: \[Errno 11\]|\bEAGAIN\b|fork: retry|Cannot fork|can't start new thread|pthread_create failed/i;

/** Signal name for a number, e.g. 9 → `SIGKILL`. */
export function signalName(n: number): string | null {
  for (const [name, value] of Object.entries(constants.signals)) if (value === n) return name;
  return null;
}

/**
 * The signal behind an exit: the reported one, or the one encoded in a
 * 128+n status (bubblewrap and the shell report a child killed by signal n
 * that way).
 */
export function effectiveSignal(exitCode: number | null, signal: string | null): string | null {
  if (signal) return signal;
  if (exitCode !== null && exitCode > 128 && exitCode < 128 + 65) return signalName(exitCode - 128);
  return null;
}

/**
 * Turns what was observed into an outcome, naming the rule applied:
 * 1. setup failure → `sandbox-error`;
 * 2. a watchdog kill (output flood, disk) → `killed-limit`;
 * 3. timeout: the process budget exhausted → `killed-limit` (processes); an error printed →
 *    `exited-error` (rule `error-output-at-timeout`, so the fixer sees it); otherwise
 *    `timeout-running` (ChatDev's rule: still running counts as executable);
 * 4. exit 0 → `exited-ok`;
 * 5. SIGXFSZ / SIGXCPU / SIGKILL, memory or fork-failure messages, or a full process budget →
 *    `killed-limit`; anything else → `exited-error`.
 */
export function classifyRun(raw: RawRun): Classification {
  if (raw.setupFailure !== undefined) return { outcome: 'sandbox-error', rule: 'sandbox' };
  if (raw.watchdog) return { outcome: 'killed-limit', rule: 'limit', limit: raw.watchdog };
  const processBudgetSpent =
    raw.peakTasks !== undefined && raw.peakTasks >= Math.max(2, Math.floor(raw.maxProcesses * 0.9));
  if (raw.timedOut) {
    if (processBudgetSpent) return { outcome: 'killed-limit', rule: 'limit', limit: 'processes' };
    if (errorOutput.test(raw.stderr)) return { outcome: 'exited-error', rule: 'error-output-at-timeout' };
    return { outcome: 'timeout-running', rule: 'running-at-timeout-counts-as-executable' };
  }
  if (raw.exitCode === 0 && !raw.signal) return { outcome: 'exited-ok', rule: 'exit-code' };
  const signal = effectiveSignal(raw.exitCode, raw.signal);
  if (signal === 'SIGXFSZ') return { outcome: 'killed-limit', rule: 'limit', limit: 'file-size' };
  if (signal === 'SIGXCPU') return { outcome: 'killed-limit', rule: 'limit', limit: 'cpu' };
  if (memoryMessages.test(raw.stderr) || signal === 'SIGKILL')
    return { outcome: 'killed-limit', rule: 'limit', limit: 'memory' };
  if (processMessages.test(raw.stderr) || processBudgetSpent)
    return { outcome: 'killed-limit', rule: 'limit', limit: 'processes' };
  return { outcome: 'exited-error', rule: 'exit-code' };
}

import type { TestOutcome } from '../software/chain.js';
import type { ExecutabilityReport } from './types.js';

// ChatDev looks for "traceback" (any case) in what the program printed; a Node.js stack frame is the same
// signal for JavaScript, which the reference never ran
const errorTrace = /traceback|^\s*at (?:.+ \()?[^\s()]*[/.][^\s()]*:\d+:\d+\)?\s*$/im;

/** True when a program's output holds an error trace (Python traceback or Node.js stack frame). */
export function hasErrorTrace(output: string): boolean {
  return errorTrace.test(output);
}

/**
 * Executability of one run of a program under ChatDev's rule and crosstalk's
 * exit-code rule (see {@link ExecutabilityReport}). `test` is the sandbox's
 * outcome for the entry file; `undefined` when the codebase has no entry file.
 * A run that never happened (no sandbox) or that the sandbox could not start
 * gives `null` under both rules: nothing was learned about the program.
 */
export function judgeExecutability(entry: string, test: TestOutcome | undefined): ExecutabilityReport {
  if (!test) return { chatdev: 0, crosstalk: 0, outcome: 'no-entry', entry, reason: `no ${entry} to run` };
  const base = { outcome: test.outcome, entry };
  if (test.outcome === 'not-run' || test.outcome === 'sandbox-error')
    return { ...base, chatdev: null, crosstalk: null, reason: test.rule || 'the program was not run' };
  const chatdev = hasErrorTrace(test.output) ? 0 : 1;
  const crosstalk = test.outcome === 'exited-ok' || test.outcome === 'timeout-running' ? 1 : 0;
  const reasons: string[] = [];
  if (chatdev === 0) reasons.push('chatdev: the output holds an error trace');
  if (crosstalk === 0)
    reasons.push(
      `crosstalk: ${test.outcome === 'killed-limit' ? 'stopped by a sandbox limit' : test.exitCode !== null ? `exit status ${test.exitCode}` : 'error output before the time limit'} (${test.rule})`,
    );
  return { ...base, chatdev, crosstalk, ...(reasons.length ? { reason: reasons.join('; ') } : {}) };
}

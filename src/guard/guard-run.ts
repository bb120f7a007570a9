import type { ProgramRunner, TestOutcome } from '../software/chain.js';
import { type GuardPolicy, judge, policyFindings } from './policy.js';
import { scanCodebase, type ScanOptions } from './scan.js';
import type { DecidedFinding, Decision } from './types.js';

/** What one guard check found and decided. */
export interface GuardReport {
  /** What was checked: `program run` (before the sandbox), `output` (files written for the user), `inputs`. */
  scope: string;
  decision: Decision;
  findings: DecidedFinding[];
  /** The action did not happen: blocked, or askable with nobody to ask. */
  refused: boolean;
  /** Why it was refused, in one line. */
  reason?: string;
  /** How Python was read (see `ScanReport.python`). */
  python?: string;
}

/**
 * Asked about findings whose decision is `ask`; resolves true to go ahead,
 * false or a refusal with its reason otherwise. Approvals (`--approve`,
 * `createApprover`) plug in here; without one, asking means refusing.
 */
export type Approver = (report: GuardReport) => Promise<boolean | { approved: false; why: string }>;

/** How the guard is set up for a run. */
export interface GuardOptions {
  policy: GuardPolicy;
  /** Told of every check that found something, and of every refusal. */
  onReport?: (report: GuardReport) => void;
  approve?: Approver;
  scan?: ScanOptions;
}

const runtimeOf = (entry: string) => (/\.(?:m|c)?js$/.test(entry) ? 'node' : 'python3');

function describe(findings: DecidedFinding[], decision: Decision): string {
  const worst = findings.filter((f) => f.decision === decision);
  const first = worst[0];
  if (!first) return decision;
  const more = worst.length > 1 ? ` and ${worst.length - 1} more` : '';
  return `${first.rule} in ${first.file}${first.line ? `:${first.line}` : ''}${more}`;
}

/**
 * Scans a codebase and decides on it under the policy. `ask` goes to the
 * approver; with none, it is refused and the report says approval was needed.
 */
export async function checkCodebase(
  files: Record<string, string>,
  options: GuardOptions,
  scope: string,
  run?: { entry: string },
): Promise<GuardReport> {
  const scan = await scanCodebase(files, options.scan);
  const extra = policyFindings(
    files,
    options.policy,
    run ? { entry: run.entry, runtime: runtimeOf(run.entry) } : undefined,
  );
  const verdict = judge([...scan.findings, ...extra], options.policy);
  let report: GuardReport = { scope, ...verdict, refused: false, python: scan.python };
  if (verdict.decision === 'block')
    report = { ...report, refused: true, reason: `blocked by the guard: ${describe(verdict.findings, 'block')}` };
  else if (verdict.decision === 'ask') {
    const answer = options.approve ? await options.approve(report) : false;
    if (answer !== true) {
      const why = typeof answer === 'object' ? answer.why : options.approve ? 'declined' : 'no approvals in this run';
      report = {
        ...report,
        refused: true,
        reason: `refused by the guard: ${describe(verdict.findings, 'ask')} needs approval (${why})`,
      };
    }
  }
  return report;
}

/**
 * Wraps a program runner so every program is scanned before it runs; a
 * program the policy refuses is not run and its outcome is `not-run` with the
 * reason as its rule. Findings reach `onReport` whether or not the program ran.
 */
export function guardProgramRunner(run: ProgramRunner, options: GuardOptions): ProgramRunner {
  if (!options.policy.enabled) return run;
  return async (files, entry, language, signal) => {
    const report = await checkCodebase(files, options, `${language} ${entry}`, { entry });
    if (report.findings.length > 0 || report.refused) options.onReport?.(report);
    if (report.refused) {
      const outcome: TestOutcome = {
        outcome: 'not-run',
        rule: report.reason ?? 'refused by the guard',
        exitCode: null,
        output: '',
        durationMs: 0,
      };
      return outcome;
    }
    return run(files, entry, language, signal);
  };
}

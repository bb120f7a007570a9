import type { EventInput } from '../events/index.js';
import { createApprover, type ApprovalDecision, type ApprovalMode, type ApprovalPrompt } from './approvals.js';
import { checkCodebase, type Approver, type GuardOptions, type GuardReport } from './guard-run.js';
import type { GuardPolicy } from './policy.js';
import type { ScanOptions } from './scan.js';
import type { DecidedFinding, Severity } from './types.js';

/** What a run's summary (`crosstalk-run.json`) says of the guard. */
export interface GuardSummary {
  /** Checks that found something. */
  checks: number;
  findings: Record<Severity, number>;
  /** Actions not done, with why: programs not run, inputs refused. */
  refused: Array<{ scope: string; reason: string }>;
  /** Approval decisions on askable actions (`--approve`), in the order they were made. */
  approvals?: Array<Pick<ApprovalDecision, 'scope' | 'key' | 'approved' | 'by'>>;
  /** The findings themselves (the first 200). */
  details: Array<
    Pick<DecidedFinding, 'file' | 'line' | 'rule' | 'severity' | 'decision' | 'snippet'> & { scope: string }
  >;
}

/** The guard of one run: its options for the runtime, a check of output files, and its summary. */
export interface RunGuard {
  options: GuardOptions;
  /** Scans files about to be written for the user; findings become events. Nothing is withheld. */
  checkOutput(files: Record<string, string>): Promise<GuardReport | undefined>;
  /** Records a report made elsewhere (input checks). */
  record(report: GuardReport): void;
  /** Undefined while the guard found nothing. */
  summary(): GuardSummary | undefined;
}

/**
 * Sets up the guard of a run: every report becomes one `guard-finding` event
 * per finding (and a warning note when something was refused) and is counted
 * for the summary.
 */
export function createRunGuard(options: {
  policy: GuardPolicy;
  emit: (event: EventInput) => void;
  approve?: Approver;
  /**
   * Approvals of askable actions (issue 17 item 3), used when `approve` is not given: every decision becomes a
   * `guard-approval` event and an entry of the summary's `approvals`.
   */
  approvals?: {
    mode: ApprovalMode;
    prompt?: ApprovalPrompt;
    /** Answers a person gave in earlier sessions of the run (its stored `guard-approval` events). */
    remembered?: Iterable<Pick<ApprovalDecision, 'key' | 'approved'>>;
  };
  scan?: ScanOptions;
}): RunGuard {
  const summary: GuardSummary = { checks: 0, findings: { low: 0, medium: 0, high: 0 }, refused: [], details: [] };
  const approvals: NonNullable<GuardSummary['approvals']> = [];
  const approve =
    options.approve ??
    (options.approvals
      ? createApprover({
          ...options.approvals,
          onDecision: (d) => {
            approvals.push({ scope: d.scope, key: d.key, approved: d.approved, by: d.by });
            options.emit({ type: 'guard-approval', ...d });
          },
        })
      : undefined);
  const record = (report: GuardReport) => {
    if (report.findings.length === 0 && !report.refused) return;
    summary.checks++;
    for (const f of report.findings) {
      summary.findings[f.severity]++;
      if (summary.details.length < 200)
        summary.details.push({
          scope: report.scope,
          file: f.file,
          line: f.line,
          rule: f.rule,
          severity: f.severity,
          decision: f.decision,
          snippet: f.snippet,
        });
      options.emit({
        type: 'guard-finding',
        scope: report.scope,
        file: f.file,
        line: f.line,
        rule: f.rule,
        severity: f.severity,
        snippet: f.snippet,
        message: f.message,
        decision: f.decision,
        because: f.because,
        refused: report.refused && f.decision !== 'allow',
      });
    }
    if (report.refused && report.reason) {
      summary.refused.push({ scope: report.scope, reason: report.reason });
      options.emit({ type: 'note', level: 'warning', message: `${report.scope}: ${report.reason}` });
    }
  };
  const guardOptions: GuardOptions = {
    policy: options.policy,
    onReport: record,
    ...(approve ? { approve } : {}),
    ...(options.scan ? { scan: options.scan } : {}),
  };
  return {
    options: guardOptions,
    record,
    async checkOutput(files) {
      if (!options.policy.enabled || Object.keys(files).length === 0) return undefined;
      // the files are written whatever the verdict (the user asked for them); the findings say what to look at
      const report = await checkCodebase(files, { ...guardOptions, approve: async () => true }, 'output');
      const reported = { ...report, refused: false };
      delete reported.reason;
      record(reported);
      return reported;
    },
    summary: () =>
      summary.checks > 0 || approvals.length > 0
        ? { ...summary, ...(approvals.length > 0 ? { approvals } : {}) }
        : undefined,
  };
}

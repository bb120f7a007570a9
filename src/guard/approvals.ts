import { createHash } from 'node:crypto';
import { ConfigError } from '../errors/index.js';
import type { Approver, GuardReport } from './guard-run.js';

/**
 * What `--approve` does with an action the policy marks `ask`:
 * `never` refuses it, `always` allows it, `risky` asks a person on a terminal
 * (and refuses when there is no terminal to ask on).
 */
export const approvalModes = ['never', 'risky', 'always'] as const;

/** A setting of `--approve`. */
export type ApprovalMode = (typeof approvalModes)[number];

/** The default of `--approve`: ask on a terminal, refuse elsewhere. */
export const defaultApprovalMode: ApprovalMode = 'risky';

/**
 * Asks a person about one askable action (the CLI's terminal prompt); resolves
 * true to allow it. Only given when there is a terminal to ask on.
 */
export type ApprovalPrompt = (report: GuardReport) => Promise<boolean>;

/** Who or what made an approval decision. */
export type ApprovalSource = 'mode' | 'person' | 'no-terminal' | 'remembered';

/** One approval decision of a run (a `guard-approval` event, and `guard.approvals` in the summary). */
export interface ApprovalDecision {
  /** What was checked, as in the report (`Python main.py`). */
  scope: string;
  /** Identifies the askable findings: the same findings get the same key, in this run and on resume. */
  key: string;
  approved: boolean;
  /** `mode`: `--approve never|always` decided; `person`: answered on the terminal; `no-terminal`: refused, nobody to ask; `remembered`: an earlier answer of this run. */
  by: ApprovalSource;
  mode: ApprovalMode;
  /** The askable findings (the first 20). */
  findings: Array<{ rule: string; file: string; line: number; severity: string; snippet: string }>;
}

/** Reads `--approve`; an unknown value is a configuration error (exit 2). */
export function parseApprovalMode(value: string | undefined): ApprovalMode {
  if (value === undefined || value === '') return defaultApprovalMode;
  if ((approvalModes as readonly string[]).includes(value)) return value as ApprovalMode;
  throw new ConfigError({
    key: 'approve',
    message: `--approve must be one of ${approvalModes.join(', ')} (got '${value}')`,
  });
}

const askable = (report: GuardReport) => report.findings.filter((f) => f.decision === 'ask');

/**
 * The key of an askable action: a hash of its askable findings (rule, file,
 * line, snippet), so the same program asking again gets the answer already
 * given, in this session and after a resume.
 */
export function approvalKey(report: GuardReport): string {
  const parts = askable(report)
    .map((f) => `${f.rule}\u0000${f.file}\u0000${f.line}\u0000${f.snippet}`)
    .sort();
  return createHash('sha256').update(parts.join('\u0001')).digest('hex').slice(0, 16);
}

/**
 * The approver of a run. `never`/`always` decide by themselves; `risky` asks
 * `prompt` (one question at a time; a question already answered in this run,
 * or in an earlier session of it, is not asked again) and refuses when there
 * is no prompt. Every decision goes to `onDecision` once per key and session.
 * @param options.remembered answers given by a person in earlier sessions of the run.
 */
export function createApprover(options: {
  mode: ApprovalMode;
  prompt?: ApprovalPrompt;
  remembered?: Iterable<Pick<ApprovalDecision, 'key' | 'approved'>>;
  onDecision?: (decision: ApprovalDecision) => void;
}): Approver {
  const { mode, prompt } = options;
  const earlier = new Map<string, boolean>();
  for (const r of options.remembered ?? []) earlier.set(r.key, r.approved);
  const decided = new Map<string, Promise<{ approved: boolean; by: ApprovalSource }>>();
  let queue: Promise<unknown> = Promise.resolve();
  const decide = (report: GuardReport): Promise<{ approved: boolean; by: ApprovalSource }> => {
    if (mode === 'never') return Promise.resolve({ approved: false, by: 'mode' });
    if (mode === 'always') return Promise.resolve({ approved: true, by: 'mode' });
    const key = approvalKey(report);
    const before = earlier.get(key);
    if (before !== undefined) return Promise.resolve({ approved: before, by: 'remembered' });
    if (!prompt) return Promise.resolve({ approved: false, by: 'no-terminal' });
    // one question on the terminal at a time
    const asked = queue.then(() => prompt(report)).then((approved) => ({ approved, by: 'person' as const }));
    queue = asked.catch(() => undefined);
    return asked;
  };
  return async (report) => {
    const key = approvalKey(report);
    let pending = decided.get(key);
    const first = !pending;
    if (!pending) {
      pending = decide(report);
      decided.set(key, pending);
    }
    const { approved, by } = await pending;
    if (first) {
      options.onDecision?.({
        scope: report.scope,
        key,
        approved,
        by,
        mode,
        findings: askable(report)
          .slice(0, 20)
          .map((f) => ({ rule: f.rule, file: f.file, line: f.line, severity: f.severity, snippet: f.snippet })),
      });
    }
    if (approved) return true;
    const why =
      by === 'no-terminal'
        ? 'no terminal to ask on; --approve always allows it'
        : by === 'mode'
          ? '--approve never'
          : 'declined';
    return { approved: false, why };
  };
}

export {
  guardRules,
  severities,
  snippetOf,
  maxSeverity,
  type Decision,
  type DecidedFinding,
  type Finding,
  type GuardRule,
  type Severity,
} from './types.js';
export { scanCodebase, type ScanOptions, type ScanReport } from './scan.js';
export { scanShellText, type ShellContext } from './scan-shell.js';
export {
  decide,
  defaultGuardPolicy,
  guardPolicySchema,
  judge,
  policyFindings,
  resolveGuardPolicy,
  type GuardPolicy,
  type GuardPolicyInput,
  type GuardVerdict,
} from './policy.js';
export {
  checkCodebase,
  guardProgramRunner,
  type Approver,
  type GuardOptions,
  type GuardReport,
} from './guard-run.js';
export { createRunGuard, type GuardSummary, type RunGuard } from './run-guard.js';
export { checkInput, inspectChainInputs, sanitizeInput, type ChainInputs } from './inputs.js';
export {
  approvalKey,
  approvalModes,
  createApprover,
  defaultApprovalMode,
  parseApprovalMode,
  type ApprovalDecision,
  type ApprovalMode,
  type ApprovalPrompt,
  type ApprovalSource,
} from './approvals.js';

/**
 * crosstalk: teams and networks of LLM agents, as a library.
 *
 * Run functions (`runNetwork`, `runChain`, `runCrossTeam`, `runStory`,
 * `resumeRun`) return a {@link RunHandle}: iterate it for typed events, await
 * `result` for the outcome. The graph API builds and inspects networks; the
 * runtime and the run store are there for callers who compose their own jobs.
 * Test doubles live in `crosstalk/test`.
 */

// running: jobs, their handles, their results and events
export * from './jobs/api.js';
export type { RunHandle } from './jobs/handle.js';
export type { JobResult } from './jobs/job-run.js';
export type { NetSummary } from './jobs/net-job.js';
export type { DevSummary } from './jobs/dev-job.js';
export type { CrossTeamSummary } from './jobs/cross-team-job.js';
export type { StorySummary } from './jobs/story-job.js';
export { exportRun, type ExportedRun } from './jobs/export-run.js';
export { readRunEvents, type StoredEvent } from './jobs/run-events.js';
export { viewRun, type RunView } from './jobs/run-view.js';
export { EventStream } from './events/index.js';
export type * from './events/index.js';

// networks: generate, parse, validate, analyze, write
export {
  generateTopology,
  topologyNames,
  isTopologyName,
  parseGraph,
  parseDot,
  graphFromObject,
  readGraphFile,
  graphToJson,
  toDot,
  validateGraph,
  findCycle,
  graphStats,
  criticalPath,
  topologicalOrder,
  topologicalLayers,
  remainingTimeMs,
  graphSpecSchema,
  type GraphSpec,
  type NodeSpec,
  type EdgeSpec,
  type GraphFormat,
  type GraphStats,
  type TopologyName,
  type TopologyParams,
  type ValidatedGraph,
} from './graph/index.js';

// chains and teams as data: roles, phases, team settings
export { defaultRoles, roleSchema, type Role, type RoleBook } from './agents/index.js';
// self-correction (issue 17): checks first, then a critic; the best-scored attempt not rejected wins
export {
  correctText,
  critiqueSchema,
  modelCritic,
  reviewSafety,
  safetyRubric,
  selfCorrect,
  type Attempt,
  type CheckResult,
  type Critique,
  type RoundReport,
  type SafetyVerdict,
  type SelfCorrectOptions,
  type SelfCorrectResult,
} from './agents/index.js';
export { codebaseChecks } from './software/self-check.js';
export { approvalModes, createApprover, type ApprovalMode, type ApprovalPrompt } from './guard/index.js';
export { defaultPhases, phaseNames, phaseSchema, type PhaseConfig, type PhaseName } from './software/phases.js';
export { supportedLanguages, type ChainLanguage, type TestOutcome, type PhaseRecord } from './software/chain.js';
export type { TeamSpec, KeepRule, Scorer, DecisionPoint, DecisionReport, TeamReport } from './teams/index.js';

// the SRDD metrics (ChatDev's and crosstalk's rules, named), for evaluating any codebase
export {
  measureCode,
  describeMetrics,
  tfidfSimilarity,
  type CodeMetrics,
  type CompletenessReport,
  type ExecutabilityReport,
  type ConsistencyReport,
  type QualityReport,
  type MeasureCodeOptions,
  type EmbeddingSetup,
} from './metrics/index.js';

// evaluation: datasets, methods, scores with intervals, and sweeps over topologies and sizes (see the README)
export {
  evaluate,
  sweep,
  loadChoiceQuestions,
  loadConceptSets,
  loadHumanEval,
  loadSrdd,
  passAtK,
  fitLogistic,
  type EvalDataset,
  type EvalMethod,
  type EvalRow,
  type EvalSummary,
  type EvaluateOptions,
  type SweepOptions,
  type SweepResult,
  type SweepRow,
  type LogisticFit,
} from './eval/index.js';

// models, configuration and the runtime
export {
  complete,
  parseModelString,
  SimulatedModel,
  type ChatMessage,
  type CompleteOptions,
  type Completion,
  type ModelSpec,
  type SimOptions,
} from './model/index.js';
export { loadConfig, configSchema, type CrosstalkConfig, type LoadedConfig, type ConfigFlags } from './config/index.js';
export { createRuntime, type Runtime, type ProgramSandbox } from './runtime/index.js';
export { UsageTracker, defaultPrices, type UsageSnapshot, type UsageTotals } from './model/middleware/index.js';

// the run store
export {
  SqliteRunStore,
  resolveStorePath,
  type RunStore,
  type RunRecord,
  type RunStatus,
  type RunKind,
  type RunTotals,
  type StepRecord,
  type EventRecord,
  type CallRecord,
} from './store/index.js';

// errors users can branch on (`code`, `exitCode`, `isInstance`)
export * from './errors/index.js';

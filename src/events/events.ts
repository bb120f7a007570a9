import type { CodeMetrics } from '../metrics/types.js';
import type { RunKind, RunStatus, RunTotals } from '../store/index.js';

/**
 * What a step of a run is: a network node, a chain phase, a cross-team
 * segment (all teams working towards a decision point), a story stage, or a
 * merge (the final aggregation of a network's sinks).
 */
export type StepKind = 'node' | 'phase' | 'segment' | 'stage' | 'merge' | 'task';

/** Identifies the step an event belongs to. */
export interface StepRef {
  kind: StepKind;
  /** Node id, phase name, decision point or stage name. */
  id: string;
  /** The agent role doing the step's main work (a node's actor role, a phase's assistant). */
  role?: string;
  /** The model string serving that role. */
  model?: string;
  /** The team, for a phase run inside a cross-team run. */
  team?: string;
}

/** One pruned proposal and why. */
export interface PrunedProposal {
  team: string;
  reason: string;
}

/** Fields every event carries. */
export interface EventBase {
  /** The run the event belongs to. */
  runId: string;
  /** When it happened, ms since the epoch. */
  at: number;
}

/** A run began (or a stopped run was resumed). */
export interface RunStartedEvent extends EventBase {
  type: 'run-started';
  kind: RunKind;
  task: string;
  resumed: boolean;
  /** The run's default model string. */
  model: string;
  /** True when a simulated model is in use: figures measure the system, not answer quality. */
  simulated: boolean;
  /** Steps planned (network nodes, chain phases); absent when not known up front. */
  plannedSteps?: number;
  /** Steps already done by earlier sessions (resume). */
  doneSteps?: number;
}

/** A session took over a stopped run to resume it (before its models are set up): the process that now owns it. */
export interface RunClaimedEvent extends EventBase {
  type: 'run-claimed';
  owner: { pid: number; host: string };
  /** Calls the previous session left in flight: paid, their answers lost, sent again. */
  lostCalls: number;
}

/** A run ended: completed, failed, stopped by its budget or interrupted. */
export interface RunFinishedEvent extends EventBase {
  type: 'run-finished';
  status: RunStatus;
  /** Wall time of this session, ms. */
  durationMs: number;
  totals: RunTotals;
  /** Why the run stopped or failed, when it did. */
  error?: string;
}

/** A step (node, phase, segment, stage, merge) began. */
export interface StepStartedEvent extends EventBase {
  type: 'step-started';
  step: StepRef;
  attempt: number;
}

/** A step finished. */
export interface StepFinishedEvent extends EventBase {
  type: 'step-finished';
  step: StepRef;
  durationMs?: number;
  /** A phase's own outcome note (e.g. "no issues found"). */
  note?: string;
}

/** A step failed (and may be retried). */
export interface StepFailedEvent extends EventBase {
  type: 'step-failed';
  step: StepRef;
  error: string;
  attempt: number;
  willRetry: boolean;
}

/** A step was skipped (a dependency failed, or it had nothing to do). */
export interface StepSkippedEvent extends EventBase {
  type: 'step-skipped';
  step: StepRef;
  because: string;
}

/** One turn of a role-play dialogue ended. */
export interface DialogueTurnEvent extends EventBase {
  type: 'dialogue-turn';
  /** Phase or node of the dialogue. */
  scope: string;
  /** Agent that spoke, e.g. `team2/programmer`. */
  agent: string;
  turn: number;
  /** The dialogue ended with this turn (termination marker or turn limit). */
  final: boolean;
}

/** A model call was answered: paid for, or replayed free from the run's journal. */
export interface ModelCallEvent extends EventBase {
  type: 'model-call';
  agent: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  /** USD; null when the model has no known price. */
  costUsd: number | null;
  latencyMs: number;
  /** Answered from the journal (resume or cache): nothing paid. */
  replayed: boolean;
}

/** A cross-team decision point or story stage: scores, pruning and merging. */
export interface DecisionEvent extends EventBase {
  type: 'decision';
  point: string;
  /** Score of each proposal that was scored, by team id. */
  scores: Record<string, number>;
  kept: string[];
  pruned: PrunedProposal[];
  /** The aggregation's groups, level by level (team ids, or `merge-N` for earlier merges). */
  groups: string[][];
  /** One proposal only: nothing was scored or merged. */
  skipped?: boolean;
  /** Teams that continue from the merged result; empty at the last point, where the merge is the result. */
  deliveredTo?: string[];
  /** Whether the keep rule applied (more proposals than the threshold); when not, every proposal was merged. */
  pruneApplied?: boolean;
  /** Proposals that shared a score; `broken` when the second signal (`tiebreak`) put them in an order. */
  ties?: Array<{ score: number; teams: string[]; broken: boolean }>;
  /** The second signal that orders equal scores. */
  tiebreak?: string;
}

/** A team left a cross-team run. */
export interface TeamDroppedEvent extends EventBase {
  type: 'team-dropped';
  team: string;
  reason: string;
}

/** Spending crossed a share of the budget (50 %, 80 %, 95 %). */
export interface BudgetWarningEvent extends EventBase {
  type: 'budget-warning';
  /** The share crossed, 0–1. */
  fraction: number;
  spentUsd: number;
  limitUsd?: number;
  spentTokens: number;
  limitTokens?: number;
}

/** Generated code ran in the sandbox. */
export interface SandboxResultEvent extends EventBase {
  type: 'sandbox-result';
  /** The phase, team or node whose code ran. */
  scope: string;
  outcome: string;
  /** The executability rule applied. */
  rule: string;
  exitCode: number | null;
  durationMs: number;
  /** The program's output (standard output and error), its last 4,000 characters. */
  output?: string;
}

/**
 * The guard found something in generated code, a file written for the user, or an input (issue 17):
 * one event per finding, with the policy's decision on it.
 */
export interface GuardFindingEvent extends EventBase {
  type: 'guard-finding';
  /** What was checked: `Python main.py` (a program about to run), `output`, `inputs`. */
  scope: string;
  file: string;
  /** 1-based; 0 for the file as a whole. */
  line: number;
  /** The scanner's rule, e.g. `download-execute`, `secret-read`, `hidden-content`. */
  rule: string;
  severity: 'low' | 'medium' | 'high';
  snippet: string;
  message: string;
  /** The policy's decision: `allow`, `block` or `ask`. */
  decision: 'allow' | 'block' | 'ask';
  /** The setting that decided. */
  because: string;
  /** The action was not done (blocked, or needed an approval nobody could give). */
  refused: boolean;
}

/**
 * An askable action (policy decision `ask`) was approved or refused (`--approve`, issue 17): once per action and
 * session. A person's answers are kept, so a resumed run does not ask again.
 */
export interface GuardApprovalEvent extends EventBase {
  type: 'guard-approval';
  /** What was checked (`Python main.py`). */
  scope: string;
  /** Identifies the askable findings (same findings, same key). */
  key: string;
  approved: boolean;
  /** `mode` (`--approve never|always`), `person` (answered on the terminal), `no-terminal`, `remembered`. */
  by: 'mode' | 'person' | 'no-terminal' | 'remembered';
  mode: 'never' | 'risky' | 'always';
  findings: Array<{ rule: string; file: string; line: number; severity: string; snippet: string }>;
}

/**
 * One round of self-correction (issue 17 item 5): verifiable checks, then the critic's score. The last round
 * says why the loop stopped and which round won (`chosenRound` null: every attempt was rejected, nothing changed).
 */
export interface SelfCorrectionEvent extends EventBase {
  type: 'self-correction';
  /** Where the loop runs: `after-coding`, `after-review`, `before-execution`, `final-text`. */
  hook: string;
  /** The phase, node or team. */
  scope: string;
  /** The team whose work it is (cross-team runs). */
  team?: string;
  round: number;
  /** 0–10; 0 when a check failed or the critic vetoed. */
  score: number;
  threshold: number;
  /** A check failed or the critic vetoed: this attempt is never used. */
  rejected: boolean;
  checks: Array<{ name: string; passed: boolean }>;
  /** The first problems found (checks first, then the critic's). */
  problems: string[];
  rationale: string;
  stop?: { by: 'threshold' | 'no-improvement' | 'round-limit'; chosenRound: number | null };
}

/**
 * The SRDD metrics of a run's code (ChatDev's and crosstalk's completeness and executability rules,
 * consistency by embedding or the labelled TF-IDF fallback, quality as product and mean); see `src/metrics`.
 */
export interface MetricsEvent extends EventBase {
  type: 'metrics';
  /** What was measured: `result` for the run's final code. */
  scope: string;
  metrics: CodeMetrics;
}

/** Live totals of a run (not stored: derived from the other events). */
export interface ProgressEvent extends EventBase {
  type: 'progress';
  elapsedMs: number;
  calls: number;
  replayedCalls: number;
  tokens: number;
  costUsd: number;
  costKnown: boolean;
  /** Steps done / failed / skipped / running / total (networks). */
  steps?: { done: number; failed: number; skipped: number; running: number; total: number };
  /** Estimated time left, ms (networks: remaining critical path × observed latency). */
  etaMs?: number;
  /** What each team is doing (cross-team runs). */
  teams?: Record<string, string>;
}

/** Something a person watching should know (a resume point, a warning). */
export interface NoteEvent extends EventBase {
  type: 'note';
  level: 'info' | 'warning';
  message: string;
}

/**
 * Every event a run emits. One union serves the progress display, the run
 * store, `crosstalk runs events` and the viewer.
 */
export type CrosstalkEvent =
  | RunStartedEvent
  | RunClaimedEvent
  | RunFinishedEvent
  | StepStartedEvent
  | StepFinishedEvent
  | StepFailedEvent
  | StepSkippedEvent
  | DialogueTurnEvent
  | ModelCallEvent
  | DecisionEvent
  | TeamDroppedEvent
  | BudgetWarningEvent
  | SandboxResultEvent
  | GuardFindingEvent
  | GuardApprovalEvent
  | SelfCorrectionEvent
  | MetricsEvent
  | ProgressEvent
  | NoteEvent;

/** The type names of {@link CrosstalkEvent}. */
export type CrosstalkEventType = CrosstalkEvent['type'];

/** An event before the emitter stamps it with its run and time. */
export type EventInput = CrosstalkEvent extends infer E
  ? E extends CrosstalkEvent
    ? Omit<E, 'runId' | 'at'>
    : never
  : never;

/**
 * Event types kept in the run store's event log. Progress is derived from the
 * others, and model calls are already kept, with their prompts and replies,
 * in the run's journal (`RunStore.listCalls`): storing them twice would double
 * the store's writes.
 */
export function isStoredEvent(type: string): boolean {
  return type !== 'progress' && type !== 'model-call';
}

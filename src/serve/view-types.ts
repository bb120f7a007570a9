// Types only, with no imports: the shapes the viewer's API sends, used by the server (src/serve) and by the web app
// (web/src, with `import type`, so nothing of the server's runtime reaches the bundle).

/**
 * The state a viewer shows for a step: the store's, `waiting` for a planned step not begun, or `replayed` for a step
 * a resumed run answered wholly from its journal.
 */
export type StepState = 'waiting' | 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'replayed';

/** A stored event as the API sends it: the event as emitted, with the run's sequence number. */
export type StoredEventView = { type: string; runId: string; at: number; seq?: number } & Record<string, unknown>;

/** A run's totals as its view reports them. */
export interface RunTotals {
  calls: number;
  replayedCalls: number;
  lostCalls?: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
}

/** A run as the runs list and the run page show it (the run store's record with live totals). */
export interface RunSummary {
  id: string;
  kind: string;
  task: string;
  status: string;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  totals: RunTotals;
  /** The run's configuration; the run page's copy leaves out a network's graph (sent as `graph`). */
  config: { flags?: { model?: string } } | null;
  processGone?: boolean;
}

/** One step of a run as the viewer shows it. */
export interface StepView {
  id: string;
  state: StepState;
  attempts: number;
  /** The step left an artifact (read it from the artifact endpoint). */
  hasArtifact: boolean;
}

/** A step with what the node panel shows of it besides its calls: its stored meta (errors, skip reasons, …). */
export interface StepDetail extends StepView {
  meta: unknown;
  updatedAt: number | null;
}

/** A node of a network's graph; `x`, `y` (top-left corner) when the server laid the graph out. */
export interface GraphNodeView {
  id: string;
  role?: string;
  model?: string;
  layer: number;
  x?: number;
  y?: number;
}

/** A network run's graph, laid out by topological layer. */
export interface GraphView {
  nodes: GraphNodeView[];
  edges: Array<{ from: string; to: string; critic?: string }>;
  layers: number;
  /** Node ids of the longest path (unit weights). */
  criticalPath: string[];
}

/** One phase of one team in a cross-team run. */
export interface TeamStep {
  team: string;
  phase: string;
  segment: string;
  state: StepState;
}

/** Everything the run page shows up front (calls, artifacts and a step's meta are fetched when a node is opened). */
export interface RunDetail {
  run: RunSummary;
  steps: StepView[];
  graph: GraphView | null;
  /** Stored `decision` events (cross-team decision points, story stages). */
  decisions: StoredEventView[];
  /** Teams named in the run's steps (cross-team runs). */
  teams: string[];
  /** Cross-team runs: the segments (decision points, stages) in the order they began. */
  segments: string[];
  /** Cross-team runs: each team's phases, with the segment they ran in and their latest state. */
  teamSteps: TeamStep[];
  /**
   * Each step's checks, for steps that have any: sandbox runs, guard findings and approvals, self-correction rounds
   * (`sandbox-result`, `guard-finding`, `guard-approval`, `self-correction` events).
   */
  checks: Record<string, StoredEventView[]>;
  /** Checks that came while no step was running (a run's final output, its inputs). */
  runChecks: StoredEventView[];
  /** The run executes in the server's process (streamed live). */
  live?: boolean;
  /** The server resumes stopped runs (`--allow-control`). */
  canResume?: boolean;
}

/**
 * A network's graph as the API sends it: one column per field, an entry per node (edges name nodes by index).
 * A 1,000-node graph is a few tens of kilobytes this way, a quarter of it as objects.
 */
export interface GraphColumns {
  id: string[];
  layer: number[];
  /** Layout positions (top-left corners), when the server laid the graph out (graphs above 300 nodes). */
  x?: number[];
  y?: number[];
  /** Roles and models of the nodes that have one, by node index. */
  role?: Record<number, string>;
  model?: Record<number, string>;
  from: number[];
  to: number[];
  /** Critic roles of the edges that have one, by edge index. */
  critic?: Record<number, string>;
  layers: number;
  /** Node indices of the longest path. */
  criticalPath: number[];
}

/** A run's steps as the API sends them: one column per field. */
export interface StepColumns {
  id: string[];
  state: StepState[];
  attempts: number[];
  /** 1 when the step left an artifact. */
  artifact: Array<0 | 1>;
}

/** The run page's data as the API sends it (`GET /api/runs/:id`): {@link RunDetail} with its long lists as columns. */
export interface RunDetailWire extends Omit<RunDetail, 'steps' | 'graph'> {
  steps: StepColumns;
  graph: GraphColumns | null;
}

/** Calls, tokens and cost of a group of calls; cost null when a call's price is unknown. */
export interface UsageGroup {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
}

/** Calls, tokens in and out and cost, summed by agent and by model. */
export interface RunUsage {
  perAgent: Record<string, UsageGroup>;
  perModel: Record<string, UsageGroup>;
}

/** One journaled model call: where, who, the prompt, the reply and what it cost. */
export interface CallView {
  key: string;
  /** The node, phase or team phase that made it. */
  scope: string | null;
  agent: string | null;
  model: string;
  system: string | null;
  /** Every non-system message of the prompt, in order. */
  messages: Array<{ role: string; content: string }>;
  reply: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  latencyMs: number;
  at: number;
  /** Journal rows are calls that were sent and paid; replays of them in later sessions are counted on the run. */
  paid: boolean;
}

/** What an exported HTML file embeds: one run, all its calls, artifacts, step metas and events. */
export interface EmbeddedRun {
  detail: RunDetailWire;
  usage: RunUsage;
  calls: CallView[];
  artifacts: Record<string, string>;
  /** Each step's stored meta, for steps that have one. */
  meta: Record<string, unknown>;
  events: StoredEventView[];
}

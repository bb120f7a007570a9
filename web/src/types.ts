// The shapes the viewer's API returns (mirrors src/serve/run-data.ts; the web app is built apart from the server).

export type StepState = 'waiting' | 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'replayed';

export interface RunTotals {
  calls: number;
  replayedCalls: number;
  lostCalls?: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
}

export interface RunSummary {
  id: string;
  kind: string;
  task: string;
  status: string;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  totals: RunTotals;
  config: { flags?: { model?: string } } | null;
  processGone?: boolean;
}

export interface StepView {
  id: string;
  state: StepState;
  attempts: number;
  hasArtifact: boolean;
  meta: unknown;
  updatedAt: number | null;
}

export interface GraphView {
  nodes: Array<{ id: string; role?: string; model?: string; layer: number }>;
  edges: Array<{ from: string; to: string; critic?: string }>;
  layers: number;
  criticalPath: string[];
}

export interface StoredEvent {
  type: string;
  runId: string;
  at: number;
  seq?: number;
  [field: string]: unknown;
}

export interface Usage {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
}

export interface RunDetail {
  run: RunSummary;
  steps: StepView[];
  graph: GraphView | null;
  decisions: StoredEvent[];
  teams: string[];
  segments: string[];
  teamSteps: Array<{ team: string; phase: string; segment: string; state: StepState }>;
  live?: boolean;
  /** Each step's sandbox runs and guard findings, for steps that have any. */
  checks?: Record<string, StoredEvent[]>;
  /** The server resumes stopped runs (`--allow-control`). */
  canResume?: boolean;
}

export interface RunUsage {
  perAgent: Record<string, Usage>;
  perModel: Record<string, Usage>;
}

export interface CallView {
  key: string;
  scope: string | null;
  agent: string | null;
  model: string;
  system: string | null;
  messages: Array<{ role: string; content: string }>;
  reply: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  latencyMs: number;
  at: number;
  paid: boolean;
}

/** What an exported HTML file embeds: one run, all its calls, artifacts and events. */
export interface EmbeddedRun {
  detail: RunDetail;
  usage: RunUsage;
  calls: CallView[];
  artifacts: Record<string, string>;
  events: StoredEvent[];
}

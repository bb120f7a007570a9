/**
 * The run store port: everything a run persists. Modelled on checkpoint
 * savers (a small interface, one adapter per backend): runs, their steps,
 * an append-only event log, the model-call journal and content-addressed
 * artifacts. All methods are synchronous because the SQLite adapter is, and a
 * store is written by one coordinator process at a time.
 */
export interface RunStore {
  /** True for a store that keeps nothing (`--store none`): sessions on it only count their calls. */
  readonly discards?: boolean;
  /** Creates a run and returns it. */
  createRun(run: NewRun): RunRecord;
  getRun(id: string): RunRecord | undefined;
  /** Newest first. */
  listRuns(options?: { limit?: number }): RunRecord[];
  updateRun(id: string, patch: RunPatch): void;
  /** Deletes a run with its steps, events and journal entries (artifacts stay if shared). */
  deleteRun(id: string): boolean;

  /** Inserts or replaces a step's state. */
  putStep(runId: string, step: StepRecord): void;
  getSteps(runId: string): StepRecord[];

  /** Appends an event; returns its sequence number within the run. */
  appendEvent(runId: string, type: string, data: unknown): number;
  listEvents(runId: string, options?: { afterSeq?: number; limit?: number }): EventRecord[];
  /** The run's latest event, or its latest of the given types. */
  lastEvent(runId: string, types?: readonly string[]): EventRecord | undefined;

  /** Journal: the stored answer for a request key in a run, if any. */
  findCall(runId: string, key: string): CallRecord | undefined;
  /** Journal: the stored answer for a request hash in any run (the `--cache` mode). */
  findCallAnyRun(requestHash: string): CallRecord | undefined;
  putCall(record: CallRecord): void;
  listCalls(runId: string): CallRecord[];
  /** Sums of the run's journaled calls: every call paid for and answered, across all sessions. */
  callTotals(runId: string): { calls: number; inputTokens: number; outputTokens: number; costUsd: number | null };

  /** Marks a call as sent and not yet answered (cleared by `putCall` or `clearPending`). */
  markPending(runId: string, key: string): void;
  clearPending(runId: string, key: string): void;
  /** Removes and counts calls left pending: calls that were in flight when the process died (paid, answer lost). */
  takePending(runId: string): number;

  /** Stores content, returns its hash (sha256 hex). Idempotent. */
  putArtifact(content: string): string;
  getArtifact(hash: string): string | undefined;

  /** Commits buffered writes now (a no-op for stores that write through). */
  flush(): void;
  /** Resolves once all writes so far are committed, batching writes of the same event-loop turn. */
  flushSoon(): Promise<void>;
  /** Keys of the run's journaled calls (to answer journal look-ups from memory). */
  listCallKeys(runId: string): string[];

  /** Runs `fn` in one transaction: all of its writes or none. */
  transaction<T>(fn: () => T): T;
  /**
   * Runs `fn` holding the store's write lock across processes: its reads see
   * everything committed so far and its writes commit with them, so a check
   * and the write it allows cannot interleave with another process's.
   */
  exclusive<T>(fn: () => T): T;
  close(): void;
}

/** Status of a run. */
/**
 * Status of a run. `completed-with-problems`: it ran to the end, but something it must produce is
 * missing (listed in its summary's `problems`), e.g. a project without its manual.
 */
export type RunStatus =
  | 'running'
  | 'completed'
  | 'completed-with-problems'
  | 'partial'
  | 'failed'
  | 'stopped-budget'
  | 'interrupted';

/** Kind of job a run executes. */
export type RunKind = 'ask' | 'dev' | 'net' | 'cross-team' | 'story' | 'eval';

/** Fields of a new run. */
export interface NewRun {
  id?: string;
  kind: RunKind;
  task: string;
  /** The job's full configuration, enough to resume it. */
  config: unknown;
}

/** Totals kept on the run row for fast listing. */
export interface RunTotals {
  /** Calls paid for and answered. */
  calls: number;
  /** Calls answered from the journal at no cost. */
  replayedCalls: number;
  /** Calls that were in flight when a process died: paid, answer lost, sent again on resume. */
  lostCalls?: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
}

/** A stored run. */
export interface RunRecord {
  id: string;
  kind: RunKind;
  task: string;
  config: unknown;
  status: RunStatus;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  totals: RunTotals;
  /** Final result summary (JSON), when finished. */
  result: unknown;
}

/** Fields of a run that can change. */
export interface RunPatch {
  status?: RunStatus;
  finishedAt?: number | null;
  totals?: RunTotals;
  result?: unknown;
}

/** State of one step of a run (a phase, a network node, a team round). */
export interface StepRecord {
  id: string;
  state: 'pending' | 'running' | 'done' | 'failed' | 'skipped';
  attempts: number;
  /** Hash of the output artifact, when done. */
  outputHash: string | null;
  /** Small JSON metadata (durations, error message, …). */
  meta: unknown;
  updatedAt: number;
}

/** One event of a run. */
export interface EventRecord {
  runId: string;
  seq: number;
  at: number;
  type: string;
  data: unknown;
}

/** One journaled model call. */
export interface CallRecord {
  runId: string;
  /** Request hash plus occurrence number within the run (identical requests are answered in order). */
  key: string;
  requestHash: string;
  model: string;
  agent: string | null;
  request: unknown;
  /** The request as JSON, read when `request` is null (the store keeps the request, not this text). */
  requestJson?: string;
  response: unknown;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  latencyMs: number;
  at: number;
}

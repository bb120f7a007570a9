import type { LanguageModelV3Middleware } from '@ai-sdk/provider';
import { StoreError } from '../errors/index.js';
import { isStoredEvent, type CrosstalkEvent, type EventInput } from '../events/index.js';
import type { StepJournalEntry } from '../queue/step-job.js';
import { currentOwner, ownerState, runOwner } from './run-owner.js';
import {
  callCounterMiddleware,
  journalMiddleware,
  pendingMarkerMiddleware,
  type JournalStats,
  type NewRun,
  type RunRecord,
  type RunStatus,
  type RunStore,
  type RunTotals,
} from '../store/index.js';

/**
 * One execution (or resumed execution) of a stored run: journals model calls,
 * records step states, artifacts and events, and keeps totals across resumes.
 * Every job (chain, network, cross-team) persists through it the same way.
 */
export class RunSession {
  readonly journalStats: JournalStats = { replayed: 0, recorded: 0 };
  private readonly started = Date.now();
  /** Journal keys recorded by earlier sessions; look-ups of any other key are answered from memory. */
  private readonly knownKeys: ReadonlySet<string>;
  /** Journal totals of earlier sessions (read once), to which this session's recorded calls are added. */
  private readonly journaledBefore: {
    calls: number;
    inputTokens: number;
    outputTokens: number;
    costUsd: number | null;
  };
  private readonly recorded = { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, costUnknown: false };

  private readonly listeners = new Set<(event: CrosstalkEvent) => void>();
  /** Stored journal keys by call scope, built on first use by {@link knownCalls}. */
  private keysByScope: Map<string, string[]> | undefined;

  private constructor(
    readonly store: RunStore,
    readonly run: RunRecord,
    /** Totals of earlier sessions of this run. */
    private readonly previous: RunTotals,
    /** Calls lost in flight by the session that died before this one. */
    readonly lostOnResume: number,
    /** True when this session continues an earlier one. */
    readonly resumed: boolean,
  ) {
    this.knownKeys = new Set(store.listCallKeys(run.id));
    this.journaledBefore = store.callTotals(run.id);
  }

  get id(): string {
    return this.run.id;
  }

  /** Starts a new run. Call {@link begin} once its models are set up. */
  static start(store: RunStore, run: NewRun): RunSession {
    const record = store.createRun(run);
    return new RunSession(store, record, record.totals, 0, false);
  }

  /**
   * Reopens a run to continue it. Calls that were in flight when the last
   * process died are counted as lost (they were paid; they are sent again).
   * @throws StoreError when the run does not exist (`RUN_NOT_FOUND`), or is
   *   still executing in a live process of this host (`RUN_ACTIVE`): two
   *   sessions of one run would do and pay for the same work twice.
   */
  static resume(store: RunStore, id: string, path = 'run store'): RunSession {
    // check and claim under the store's write lock: of two resumes started together, one runs and one is refused
    const claimed = store.exclusive(() => {
      const record = store.getRun(id);
      if (!record)
        throw new StoreError({
          code: 'RUN_NOT_FOUND',
          path,
          message: `no run '${id}' in ${path} (see 'crosstalk runs list')`,
        });
      if (record.status === 'completed' || record.status === 'completed-with-problems')
        throw new StoreError({
          code: 'RUN_COMPLETED',
          path,
          message: `run ${id} is already completed; nothing to resume`,
        });
      const owner = record.status === 'running' ? runOwner(store, id) : undefined;
      if (owner && owner.pid !== process.pid && ownerState(owner) === 'alive') {
        throw new StoreError({
          code: 'RUN_ACTIVE',
          path,
          message: `run ${id} is still running (process ${owner.pid}); stop it (Ctrl-C) or wait for it to end before resuming`,
        });
      }
      const lost = store.takePending(id);
      const previous: RunTotals = { ...record.totals, lostCalls: (record.totals.lostCalls ?? 0) + lost };
      store.updateRun(id, { status: 'running', finishedAt: null, totals: previous });
      store.appendEvent(id, 'run-claimed', { owner: currentOwner(), lostCalls: lost });
      return { record, previous, lost };
    });
    const { record, previous, lost } = claimed;
    return new RunSession(store, { ...record, status: 'running', totals: previous }, previous, lost, true);
  }

  /** Calls `listener` with every event of this session; returns a function that stops it. */
  subscribe(listener: (event: CrosstalkEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Stamps an event with the run and the time, stores it (all but progress
   * events, which are derived) and hands it to the listeners.
   */
  emit(input: EventInput, stored: Record<string, unknown> = {}): void {
    const event = { ...input, runId: this.id, at: Date.now() } as CrosstalkEvent;
    if (isStoredEvent(event.type)) {
      const { type, runId: _runId, at: _at, ...data } = event;
      this.store.appendEvent(this.id, type, { ...data, ...stored });
    }
    for (const listener of this.listeners) listener(event);
  }

  /** Announces the session: `run-started` (with `resumed`), recording the process that runs it. */
  begin(info: { model: string; simulated: boolean; plannedSteps?: number; doneSteps?: number }): void {
    this.emit(
      { type: 'run-started', kind: this.run.kind, task: this.run.task, resumed: this.resumed, ...info },
      { owner: currentOwner(), ...(this.resumed ? { lostCalls: this.lostOnResume } : {}) },
    );
  }

  private countRecorded(r: { inputTokens: number; outputTokens: number; costUsd: number | null }): void {
    this.recorded.calls++;
    this.recorded.inputTokens += r.inputTokens;
    this.recorded.outputTokens += r.outputTokens;
    if (r.costUsd === null) this.recorded.costUnknown = true;
    else this.recorded.costUsd += r.costUsd;
  }

  /** Journal middleware for one model of this run. */
  journal(
    model: string,
    price?: { input: number; output: number },
    crossRun = false,
  ): { journal: LanguageModelV3Middleware; sent: LanguageModelV3Middleware } {
    if (this.store.discards) {
      // nothing is kept: no request to hash or look up, no pending mark; only the totals count the call
      const counter = callCounterMiddleware({
        price,
        stats: this.journalStats,
        onRecord: (r) => this.countRecorded(r),
      });
      return { journal: counter, sent: { specificationVersion: 'v3' } };
    }
    return {
      journal: journalMiddleware({
        store: this.store,
        runId: this.id,
        model,
        stats: this.journalStats,
        price,
        knownKeys: this.knownKeys,
        crossRun,
        onRecord: (r) => this.countRecorded(r),
        onReplay: (r) =>
          this.emit({
            type: 'model-call',
            agent: r.agent ?? 'unnamed',
            model: r.model,
            inputTokens: r.inputTokens,
            outputTokens: r.outputTokens,
            costUsd: 0,
            latencyMs: 0,
            replayed: true,
          }),
      }),
      sent: pendingMarkerMiddleware({ store: this.store, runId: this.id }),
    };
  }

  /**
   * Journals calls made in other processes (queue workers) as this run's own: each paid call, or answered from
   * the workers' Redis journal, is stored under the key this process would have given it, so a resume (with or
   * without the queue) replays it free. The session stays the store's only writer. Calls replayed from answers
   * this store sent with the step are counted as replayed.
   */
  recordStepCalls(entries: readonly StepJournalEntry[]): void {
    for (const e of entries) {
      if (e.source === 'store') {
        this.journalStats.replayed++;
        continue;
      }
      const key = `${e.base}#${e.n}`;
      if (!this.store.discards && (this.knownKeys.has(key) || this.store.findCall(this.id, key))) continue;
      this.journalStats.recorded++;
      this.countRecorded(e);
      if (this.store.discards || e.request === undefined || e.response === undefined) continue;
      this.store.putCall({
        runId: this.id,
        key,
        requestHash: e.requestHash,
        model: e.model,
        agent: e.agent,
        request: e.request,
        response: e.response,
        inputTokens: e.inputTokens,
        outputTokens: e.outputTokens,
        costUsd: e.costUsd,
        latencyMs: e.latencyMs,
        at: Date.now(),
      });
    }
  }

  /**
   * The answers earlier sessions stored for a call scope (a node, a task), by journal key: sent with a queued
   * step so its worker replays them. Undefined when there are none.
   */
  knownCalls(scope: string): Record<string, unknown> | undefined {
    if (this.knownKeys.size === 0 || this.store.discards) return undefined;
    if (!this.keysByScope) {
      this.keysByScope = new Map();
      for (const key of this.knownKeys) {
        const at = key.indexOf('@');
        const hash = key.lastIndexOf('#');
        if (at < 0 || hash < at) continue;
        const of = key.slice(at + 1, hash);
        const list = this.keysByScope.get(of) ?? [];
        list.push(key);
        this.keysByScope.set(of, list);
      }
    }
    const keys = this.keysByScope.get(scope);
    if (!keys) return undefined;
    const known: Record<string, unknown> = {};
    for (const key of keys) {
      const call = this.store.findCall(this.id, key);
      if (call) known[key] = call.response;
    }
    return known;
  }

  /** Outputs of steps finished in earlier sessions, by step id. */
  doneOutputs(): Map<string, string> {
    const done = new Map<string, string>();
    for (const step of this.store.getSteps(this.id)) {
      if (step.state !== 'done' || !step.outputHash) continue;
      const text = this.store.getArtifact(step.outputHash);
      if (text !== undefined) done.set(step.id, text);
    }
    return done;
  }

  /**
   * Records a checkpoint of a job that resumes from its latest one (cross-team
   * decision points, story stages): a done step `checkpoint/<index>` whose
   * output is the JSON of `state`.
   */
  checkpoint(index: number, state: unknown, meta: unknown): void {
    this.stepDone(`checkpoint/${index}`, JSON.stringify(state), meta);
  }

  /** The checkpoint with the highest index saved by earlier sessions that `accept` takes, if any. */
  latestCheckpoint<T>(accept: (state: T) => boolean): T | undefined {
    let best: { index: number; state: T } | undefined;
    for (const [id, text] of this.doneOutputs()) {
      const match = /^checkpoint\/(\d+)$/.exec(id);
      if (!match) continue;
      const index = Number(match[1]);
      let state: T;
      try {
        state = JSON.parse(text) as T;
      } catch {
        continue; // unreadable: an earlier checkpoint (or the journal's replays) will do
      }
      if (accept(state) && (!best || index > best.index)) best = { index, state };
    }
    return best?.state;
  }

  /**
   * Checkpointing for a job that resumes from its latest checkpoint: the
   * checkpoint an earlier session saved (announced with a note), the callback
   * that saves each new one, and the last one passed so far.
   */
  checkpointing<T>(options: {
    accept: (state: T) => boolean;
    index: (state: T) => number;
    name: (state: T) => string;
  }) {
    const resumeFrom = this.latestCheckpoint<T>(options.accept);
    if (resumeFrom)
      this.emit({ type: 'note', level: 'info', message: `continuing after the ${options.name(resumeFrom)}` });
    let passed = resumeFrom;
    const onCheckpoint = (state: T) => {
      passed = state;
      this.checkpoint(options.index(state), state, { after: options.name(state) });
    };
    return {
      /** For the feature's options: where to resume from, and how to save each checkpoint. */
      options: { ...(resumeFrom ? { resumeFrom } : {}), onCheckpoint },
      passed: () => passed,
    };
  }

  stepStarted(id: string, attempt: number): void {
    this.store.putStep(this.id, {
      id,
      state: 'running',
      attempts: attempt,
      outputHash: null,
      meta: null,
      updatedAt: Date.now(),
    });
  }

  /** Records a finished step and its artifact in one transaction. */
  stepDone(id: string, output: string, meta: unknown, attempt = 1): void {
    this.store.transaction(() => {
      const hash = this.store.putArtifact(output);
      this.store.putStep(this.id, {
        id,
        state: 'done',
        attempts: attempt,
        outputHash: hash,
        meta,
        updatedAt: Date.now(),
      });
    });
  }

  stepFailed(id: string, error: string, attempt: number, final: boolean): void {
    if (final)
      this.store.putStep(this.id, {
        id,
        state: 'failed',
        attempts: attempt,
        outputHash: null,
        meta: { error },
        updatedAt: Date.now(),
      });
  }

  stepSkipped(id: string, because: string): void {
    this.store.putStep(this.id, {
      id,
      state: 'skipped',
      attempts: 0,
      outputHash: null,
      meta: { because },
      updatedAt: Date.now(),
    });
  }

  /**
   * Totals of all sessions so far. Paid calls, tokens and cost come from the
   * journal, so sessions that died without finishing still count.
   */
  totals(): RunTotals {
    const before = this.journaledBefore;
    const now = this.recorded;
    return {
      calls: before.calls + now.calls,
      inputTokens: before.inputTokens + now.inputTokens,
      outputTokens: before.outputTokens + now.outputTokens,
      costUsd: before.costUsd === null || now.costUnknown ? null : before.costUsd + now.costUsd,
      replayedCalls: this.previous.replayedCalls + this.journalStats.replayed,
      lostCalls: this.previous.lostCalls ?? 0,
    };
  }

  /** Ends the session with a status and result summary (and `run-finished`). */
  finish(status: RunStatus, result: unknown, error?: string): RunTotals {
    const totals = this.totals();
    this.store.transaction(() => {
      this.store.updateRun(this.id, { status, finishedAt: status === 'running' ? null : Date.now(), totals, result });
      this.emit({
        type: 'run-finished',
        status,
        durationMs: Date.now() - this.started,
        totals,
        ...(error ? { error } : {}),
      });
    });
    return totals;
  }
}

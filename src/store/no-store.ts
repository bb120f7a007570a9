import { newRunId } from './sqlite-store.js';
import type { CallRecord, EventRecord, NewRun, RunPatch, RunRecord, RunStore, StepRecord } from './run-store.js';

/** The `--store` value (and library `store` option) that keeps nothing: {@link NoRunStore}. */
export const noStore = 'none';

/**
 * A run store that keeps nothing (`--store none`): for throwaway runs that
 * should cost no database work. The run itself works; only its own record
 * lives, in memory, while it lasts. Nothing can be listed, exported or
 * resumed afterwards, and a session on it journals no model calls (it only
 * counts them).
 */
export class NoRunStore implements RunStore {
  readonly discards = true;
  private readonly runs = new Map<string, RunRecord>();
  private seq = 0;

  createRun(run: NewRun): RunRecord {
    const now = Date.now();
    const record: RunRecord = {
      id: run.id ?? newRunId(now),
      kind: run.kind,
      task: run.task,
      config: run.config,
      status: 'running',
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
      totals: { calls: 0, replayedCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 },
      result: null,
    };
    this.runs.set(record.id, record);
    return { ...record };
  }

  getRun(id: string): RunRecord | undefined {
    const run = this.runs.get(id);
    return run ? { ...run } : undefined;
  }

  listRuns(): RunRecord[] {
    return [...this.runs.values()].reverse().map((r) => ({ ...r }));
  }

  updateRun(id: string, patch: RunPatch): void {
    const run = this.runs.get(id);
    if (run) this.runs.set(id, { ...run, ...patch, updatedAt: Date.now() });
  }

  deleteRun(id: string): boolean {
    return this.runs.delete(id);
  }

  putStep(_runId: string, _step: StepRecord): void {}
  getSteps(_runId: string): StepRecord[] {
    return [];
  }

  appendEvent(_runId: string, _type: string, _data: unknown): number {
    return ++this.seq;
  }
  listEvents(): EventRecord[] {
    return [];
  }
  lastEvent(): EventRecord | undefined {
    return undefined;
  }

  findCall(): CallRecord | undefined {
    return undefined;
  }
  findCallAnyRun(): CallRecord | undefined {
    return undefined;
  }
  putCall(_record: CallRecord): void {}
  listCalls(): CallRecord[] {
    return [];
  }
  callTotals(): { calls: number; inputTokens: number; outputTokens: number; costUsd: number | null } {
    return { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  }
  listCallKeys(): string[] {
    return [];
  }

  markPending(): void {}
  clearPending(): void {}
  takePending(): number {
    return 0;
  }

  /** Keeps nothing; returns a placeholder id (no step output is ever read back). */
  putArtifact(_content: string): string {
    return 'none';
  }
  getArtifact(): string | undefined {
    return undefined;
  }

  flush(): void {}
  flushSoon(): Promise<void> {
    return Promise.resolve();
  }
  transaction<T>(fn: () => T): T {
    return fn();
  }
  exclusive<T>(fn: () => T): T {
    return fn();
  }
  close(): void {}
}

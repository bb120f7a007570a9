import { StoreError } from '../errors/index.js';
import type { RunRecord, RunStore } from '../store/index.js';
import { ownerState, runOwner } from './run-owner.js';

/** A stored run as users should see it. */
export interface RunView {
  /** The record; a run marked running gets live totals from the journal, and `interrupted` if its process is gone. */
  run: RunRecord;
  /** Marked running, but the process executing it no longer exists (killed, crashed): resumable. */
  processGone: boolean;
  /** When the run was last active (now, while it runs). */
  activeUntil: number;
}

/**
 * A run marked `running` keeps its totals on the row only when a session
 * ends, and a killed process never ends its session: read what it paid from
 * the journal, and check whether its process still exists.
 */
export function viewRun(store: RunStore, record: RunRecord): RunView {
  if (record.status !== 'running')
    return { run: record, processGone: false, activeUntil: record.finishedAt ?? record.updatedAt };
  const journal = store.callTotals(record.id);
  const processGone = ownerState(runOwner(store, record.id)) === 'gone';
  const activeUntil = processGone ? Math.max(record.updatedAt, store.lastEvent(record.id)?.at ?? 0) : Date.now();
  return {
    run: { ...record, status: processGone ? 'interrupted' : 'running', totals: { ...record.totals, ...journal } },
    processGone,
    activeUntil,
  };
}

/** The JSON form of a view: the run, flagged when its process is gone. */
export function viewJson(view: RunView): unknown {
  return view.processGone ? { ...view.run, processGone: true } : view.run;
}

/** Sums a run's journaled model calls by agent or by model. */
export function usageBy(
  store: RunStore,
  runId: string,
  key: 'agent' | 'model',
): Record<string, { calls: number; inputTokens: number; outputTokens: number }> {
  const groups = new Map<string, { calls: number; inputTokens: number; outputTokens: number }>();
  for (const call of store.listCalls(runId)) {
    const name = (key === 'agent' ? call.agent : call.model) ?? '(none)';
    const g = groups.get(name) ?? { calls: 0, inputTokens: 0, outputTokens: 0 };
    g.calls++;
    g.inputTokens += call.inputTokens;
    g.outputTokens += call.outputTokens;
    groups.set(name, g);
  }
  return Object.fromEntries(groups);
}

/**
 * Deletes runs by id and/or by age. Every id must exist (nothing is deleted
 * otherwise); a run still executing in a live process is never deleted: by
 * id it is an error, by age it is passed over.
 * @param options.olderThanMs delete runs last active longer ago than this.
 * @returns the ids deleted, and the ids passed over because they are running.
 */
export function removeRuns(
  store: RunStore,
  path: string,
  options: { ids: string[]; olderThanMs?: number; now?: number },
): { deleted: string[]; running: string[] } {
  const now = options.now ?? Date.now();
  const chosen = new Map<string, RunView>();
  for (const id of options.ids) {
    const record = store.getRun(id);
    if (!record)
      throw new StoreError({
        code: 'RUN_NOT_FOUND',
        path,
        message: `no run '${id}' in ${path} (see 'crosstalk runs list'); nothing was deleted`,
      });
    const view = viewRun(store, record);
    if (view.run.status === 'running')
      throw new StoreError({
        code: 'RUN_ACTIVE',
        path,
        message: `run ${id} is still running; stop it before deleting it (nothing was deleted)`,
      });
    chosen.set(id, view);
  }
  const running: string[] = [];
  if (options.olderThanMs !== undefined) {
    for (const record of store.listRuns({ limit: Number.MAX_SAFE_INTEGER })) {
      const view = viewRun(store, record);
      if (now - view.activeUntil < options.olderThanMs) continue;
      if (view.run.status === 'running') running.push(record.id);
      else chosen.set(record.id, view);
    }
  }
  store.transaction(() => {
    for (const id of chosen.keys()) store.deleteRun(id);
  });
  return { deleted: [...chosen.keys()], running };
}

/** What the guard and self-correction did in a run, read from its events (`runs show`). */
export interface SafetyView {
  guard?: {
    findings: { low: number; medium: number; high: number };
    /** The findings (the first 100). */
    list: Array<{
      scope: string;
      file: string;
      line: number;
      rule: string;
      severity: string;
      decision: string;
      refused: boolean;
      snippet: string;
    }>;
    /** Actions not done: programs the guard refused to run, answers the safety check withheld. */
    vetoes: Array<{ by: 'guard' | 'safety-check'; scope: string; reason: string }>;
    approvals: Array<{ scope: string; approved: boolean; by: string; rules: string[] }>;
  };
  /** Self-correction rounds with their scores, in order. */
  selfCorrection?: Array<{
    hook: string;
    scope: string;
    round: number;
    score: number;
    threshold: number;
    rejected: boolean;
    problems: string[];
    stop?: { by: string; chosenRound: number | null };
  }>;
}

const safetyEventTypes = new Set(['guard-finding', 'guard-approval', 'self-correction', 'sandbox-result']);

/** Reads a run's guard findings, vetoes, approvals and self-correction rounds from its stored events. */
export function safetyView(store: RunStore, runId: string): SafetyView {
  const findings = { low: 0, medium: 0, high: 0 };
  const list: NonNullable<SafetyView['guard']>['list'] = [];
  const vetoes: NonNullable<SafetyView['guard']>['vetoes'] = [];
  const approvals: NonNullable<SafetyView['guard']>['approvals'] = [];
  const rounds: NonNullable<SafetyView['selfCorrection']> = [];
  let afterSeq = 0;
  for (;;) {
    const page = store.listEvents(runId, { afterSeq, limit: 2000 });
    for (const e of page) {
      if (!safetyEventTypes.has(e.type)) continue;
      const d = e.data as Record<string, unknown>;
      const text = (key: string) => String(d[key] ?? '');
      if (e.type === 'guard-finding') {
        const severity = text('severity') as keyof typeof findings;
        if (severity in findings) findings[severity]++;
        if (list.length < 100)
          list.push({
            scope: text('scope'),
            file: text('file'),
            line: Number(d.line ?? 0),
            rule: text('rule'),
            severity,
            decision: text('decision'),
            refused: d.refused === true,
            snippet: text('snippet'),
          });
      } else if (e.type === 'guard-approval') {
        const found = Array.isArray(d.findings) ? (d.findings as Array<{ rule?: unknown }>) : [];
        approvals.push({
          scope: text('scope'),
          approved: d.approved === true,
          by: text('by'),
          rules: [...new Set(found.map((f) => String(f.rule)))],
        });
      } else if (e.type === 'sandbox-result') {
        if (d.outcome === 'not-run' && /^(blocked|refused) by the guard/.test(text('rule')))
          vetoes.push({ by: 'guard', scope: text('scope'), reason: text('rule') });
        else if (d.outcome === 'not-run' && text('rule').startsWith('vetoed by the safety review'))
          vetoes.push({ by: 'safety-check', scope: text('scope'), reason: text('rule') });
      } else {
        const problems = Array.isArray(d.problems) ? (d.problems as unknown[]).map(String) : [];
        const stop = d.stop as { by: string; chosenRound: number | null } | undefined;
        rounds.push({
          hook: text('hook'),
          scope: text('scope'),
          round: Number(d.round ?? 0),
          score: Number(d.score ?? 0),
          threshold: Number(d.threshold ?? 0),
          rejected: d.rejected === true,
          problems,
          ...(stop ? { stop } : {}),
        });
        // the safety check withholds a text (or does not run a program) it vetoed or scored below its threshold
        const score = Number(d.score ?? 0);
        const reviewed = text('hook') === 'final-text' || text('hook') === 'before-execution';
        if (reviewed && (d.rejected === true || score < Number(d.threshold ?? 0)))
          vetoes.push({
            by: 'safety-check',
            scope: text('scope'),
            reason: `${d.rejected === true ? 'vetoed' : `score ${score} below ${Number(d.threshold)}`}${problems[0] ? `: ${problems[0]}` : ''}`,
          });
      }
    }
    if (page.length < 2000) break;
    afterSeq = page[page.length - 1]!.seq;
  }
  const anyGuard = list.length > 0 || vetoes.length > 0 || approvals.length > 0;
  return {
    ...(anyGuard ? { guard: { findings, list, vetoes, approvals } } : {}),
    ...(rounds.length > 0 ? { selfCorrection: rounds } : {}),
  };
}

import { callScope, storedEvent, viewJson, viewRun, type StoredEvent } from '../jobs/index.js';
import { graphSpecSchema, toDag, topologicalLayers, criticalPath } from '../graph/index.js';
import type { CallRecord, EventRecord, RunRecord, RunStore, StepRecord } from '../store/index.js';
import { groupNodeDialogue, type NodeDialogue } from './dialogue.js';
import { checksByStep } from './step-events.js';

/** Filters of the runs list. */
export interface RunFilter {
  kind?: string;
  status?: string;
  /** Matches the run's default model string (`flags.model` of its configuration), exactly. */
  model?: string;
  limit?: number;
}

/**
 * The state a viewer shows for a step: the store's, `waiting` for a planned step not begun, or `replayed` for a step
 * a resumed run answered wholly from its journal.
 */
export type StepState = StepRecord['state'] | 'waiting' | 'replayed';

/** One step of a run as the viewer shows it. */
export interface StepView {
  id: string;
  state: StepState;
  attempts: number;
  /** The step left an artifact (read it from the artifact endpoint). */
  hasArtifact: boolean;
  meta: unknown;
  updatedAt: number | null;
}

/** A network run's graph, laid out by topological layer. */
export interface GraphView {
  nodes: Array<{ id: string; role?: string; model?: string; layer: number }>;
  edges: Array<{ from: string; to: string; critic?: string }>;
  layers: number;
  /** Node ids of the longest path (unit weights). */
  criticalPath: string[];
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
  paid: true;
}

/** Everything the run page shows up front (calls and artifacts are fetched per node). */
export interface RunDetail {
  run: unknown;
  steps: StepView[];
  graph: GraphView | null;
  /** Stored `decision` events (cross-team decision points, story stages). */
  decisions: StoredEvent[];
  /** Teams named in the run's steps (cross-team runs). */
  teams: string[];
  /** Cross-team runs: the segments (decision points, stages) in the order they began. */
  segments: string[];
  /** Cross-team runs: each team's phases, with the segment they ran in and their latest state. */
  teamSteps: TeamStep[];
  /** Each step's sandbox runs and guard findings (`sandbox-result`, `guard-finding` events), for steps that have any. */
  checks: Record<string, StoredEvent[]>;
}

/** One phase of one team in a cross-team run. */
export interface TeamStep {
  team: string;
  phase: string;
  segment: string;
  state: StepState;
}

const stateOfEvent: Record<string, StepState> = {
  'step-started': 'running',
  'step-finished': 'done',
  'step-failed': 'failed',
  'step-skipped': 'skipped',
};

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

const runModel = (run: RunRecord): string | undefined =>
  ((run.config as { flags?: { model?: unknown } } | null)?.flags?.model as string | undefined) ?? undefined;

/** Runs newest first, as their views (live totals, `interrupted` when their process is gone), filtered. */
export function listRunViews(store: RunStore, filter: RunFilter = {}): unknown[] {
  const limit = filter.limit ?? 200;
  const out: unknown[] = [];
  // filters apply after reading: read generously so a filtered page is not short
  const candidates = store.listRuns({ limit: filter.kind || filter.status || filter.model ? limit * 20 : limit });
  for (const record of candidates) {
    if (filter.kind && record.kind !== filter.kind) continue;
    if (filter.model && runModel(record) !== filter.model) continue;
    const view = viewRun(store, record);
    if (filter.status && view.run.status !== filter.status) continue;
    out.push(viewJson(view));
    if (out.length >= limit) break;
  }
  return out;
}

/** A network run's graph from its stored configuration, or null for other kinds (or an unreadable graph). */
export function graphOf(run: RunRecord): GraphView | null {
  const parsed = graphSpecSchema.safeParse((run.config as { graph?: unknown } | null)?.graph);
  if (!parsed.success) return null;
  const spec = parsed.data;
  const dag = toDag(spec);
  const layerOf = new Int32Array(dag.ids.length);
  const layers = topologicalLayers(dag);
  layers.forEach((members, layer) => {
    for (const v of members) layerOf[v] = layer;
  });
  return {
    nodes: spec.nodes.map((n, i) => ({
      id: n.id,
      ...(n.role ? { role: n.role } : {}),
      ...(n.model ? { model: n.model } : {}),
      layer: layerOf[i]!,
    })),
    edges: spec.edges.map((e) => ({ from: e.from, to: e.to, ...(e.critic ? { critic: e.critic } : {}) })),
    layers: layers.length,
    criticalPath: criticalPath(dag).path,
  };
}

const stepView = (s: StepRecord): StepView => ({
  id: s.id,
  state: s.state,
  attempts: s.attempts,
  hasArtifact: s.outputHash !== null,
  meta: s.meta,
  updatedAt: s.updatedAt,
});

/**
 * Steps of a resumed run that its last session answered wholly from the journal: started after the last resume
 * (`run-claimed`), done, with model calls, every one of them answered before that resume (journal rows are written
 * when a call is paid; a replay writes none).
 * @param calls the run's journaled calls: scope (node or phase) and when each was answered.
 */
export function replayedSteps(
  events: ReadonlyArray<Pick<EventRecord, 'type' | 'at' | 'data'>>,
  states: ReadonlyMap<string, string>,
  calls: () => ReadonlyArray<{ scope: string | undefined; at: number }>,
): Set<string> {
  let resumedAt: number | undefined;
  let rerun = new Set<string>();
  for (const e of events) {
    if (e.type === 'run-claimed') {
      resumedAt = e.at;
      rerun = new Set();
    }
    const id = (e.data as { step?: { id?: unknown } } | null)?.step?.id;
    if (resumedAt !== undefined && e.type === 'step-started' && typeof id === 'string') rerun.add(id);
  }
  const replayed = new Set<string>();
  if (resumedAt === undefined || rerun.size === 0) return replayed;
  const byScope = new Map<string, { answered: number; before: number }>();
  for (const call of calls()) {
    if (call.scope === undefined || !rerun.has(call.scope)) continue;
    const c = byScope.get(call.scope) ?? { answered: 0, before: 0 };
    c.answered++;
    if (call.at < resumedAt) c.before++;
    byScope.set(call.scope, c);
  }
  for (const [id, c] of byScope)
    if (states.get(id) === 'done' && c.answered > 0 && c.before === c.answered) replayed.add(id);
  return replayed;
}

/** The run page's data for run `id`, or undefined when there is no such run. */
export function runDetail(store: RunStore, id: string): RunDetail | undefined {
  const record = store.getRun(id);
  if (!record) return undefined;
  const graph = graphOf(record);
  const stored = store.getSteps(id);
  const steps = stored.map(stepView);
  if (graph) {
    const seen = new Set(stored.map((s) => s.id));
    for (const node of graph.nodes)
      if (!seen.has(node.id))
        steps.push({ id: node.id, state: 'waiting', attempts: 0, hasArtifact: false, meta: null, updatedAt: null });
  }
  const decisions: StoredEvent[] = [];
  const teams = new Set<string>();
  const segments: string[] = [];
  const teamSteps = new Map<string, TeamStep>();
  let segment: string | undefined;
  const events = store.listEvents(id);
  const checks = checksByStep(
    events.flatMap((e) =>
      e.type === 'sandbox-result' || e.type === 'guard-finding' || e.type.startsWith('step-') ? [storedEvent(e)] : [],
    ),
  );
  for (const e of events) {
    if (e.type === 'decision') decisions.push(storedEvent(e));
    const step = (e.data as { step?: { kind?: unknown; id?: unknown; team?: unknown } } | null)?.step;
    if (!step || typeof step.id !== 'string') continue;
    if (e.type === 'step-started' && step.kind === 'segment') {
      segment = step.id;
      if (!segments.includes(step.id)) segments.push(step.id);
    }
    const state = stateOfEvent[e.type];
    if (typeof step.team === 'string' && state) {
      teams.add(step.team);
      const key = `${step.team}\u0000${step.id}`;
      const known = teamSteps.get(key);
      teamSteps.set(key, { team: step.team, phase: step.id, segment: known?.segment ?? segment ?? step.id, state });
    }
  }
  // a resumed run: steps its last session answered from the journal are shown `replayed` (read the journal only then)
  const replayed = replayedSteps(events, new Map(steps.map((st) => [st.id, st.state])), () =>
    store.listCalls(id).map((c) => ({ scope: callScope(c), at: c.at })),
  );
  for (const st of steps) if (replayed.has(st.id)) st.state = 'replayed';
  return {
    run: viewJson(viewRun(store, record)),
    steps,
    graph,
    decisions,
    teams: [...teams].sort(),
    segments,
    teamSteps: [...teamSteps.values()],
    checks: Object.fromEntries(checks),
  };
}

type PromptMessage = { role: string; content: string | Array<{ type: string; text?: string }> };

const textOf = (content: PromptMessage['content']): string =>
  typeof content === 'string' ? content : content.map((p) => p.text ?? '').join('');

/** A journal row as the viewer shows it. */
export function callView(call: CallRecord): CallView {
  const request = (call.request ?? {}) as { prompt?: PromptMessage[] };
  const prompt = Array.isArray(request.prompt) ? request.prompt : [];
  const system = prompt.find((m) => m.role === 'system');
  const response = (call.response ?? {}) as { content?: Array<{ type: string; text?: string }> };
  return {
    key: call.key,
    scope: callScope(call) ?? null,
    agent: call.agent,
    model: call.model,
    system: system ? textOf(system.content) : null,
    messages: prompt.filter((m) => m.role !== 'system').map((m) => ({ role: m.role, content: textOf(m.content) })),
    reply: (response.content ?? []).map((p) => p.text ?? '').join(''),
    inputTokens: call.inputTokens,
    outputTokens: call.outputTokens,
    costUsd: call.costUsd,
    latencyMs: call.latencyMs,
    at: call.at,
    paid: true,
  };
}

/** A run's journaled calls in the order they were answered, optionally only those of one node or phase. */
export function runCalls(store: RunStore, id: string, scope?: string): CallView[] {
  const calls = store.listCalls(id);
  const chosen = scope === undefined ? calls : calls.filter((c) => callScope(c) === scope);
  return chosen.map(callView);
}

/** Usage by agent and by model of a list of calls. */
export function usageOf(calls: readonly CallView[]): RunUsage {
  const usage: RunUsage = { perAgent: {}, perModel: {} };
  for (const call of calls) {
    for (const [groups, name] of [
      [usage.perAgent, call.agent ?? '(none)'],
      [usage.perModel, call.model],
    ] as const) {
      const g = (groups[name] ??= { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
      g.calls++;
      g.inputTokens += call.inputTokens;
      g.outputTokens += call.outputTokens;
      g.costUsd = g.costUsd === null || call.costUsd === null ? null : g.costUsd + call.costUsd;
    }
  }
  return usage;
}

/**
 * Keeps the page data of the few finished runs last asked for: a 1,000-node run's page reads thousands of events;
 * a finished run does not change (its stamp — status, last update, finish — says when it did, e.g. on resume).
 */
export class RunDetailCache {
  private readonly entries = new Map<string, { stamp: string; detail: RunDetail }>();
  constructor(private readonly capacity = 8) {}

  /** The run's page data, or undefined when there is no such run. */
  get(store: RunStore, id: string): RunDetail | undefined {
    const run = store.getRun(id);
    if (!run) return undefined;
    const stamp = `${run.status}:${run.updatedAt}:${run.finishedAt}`;
    const cached = this.entries.get(id);
    if (cached?.stamp === stamp) return cached.detail;
    const detail = runDetail(store, id);
    if (detail && run.status !== 'running') {
      this.entries.delete(id);
      this.entries.set(id, { stamp, detail });
      if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    }
    return detail;
  }
}

/** A run's calls read once: all of them, by scope, and their usage. */
export interface CallIndex {
  calls: CallView[];
  byScope: ReadonlyMap<string, CallView[]>;
  usage: RunUsage;
}

/**
 * Reads each finished run's journal once: a 1,000-node run has thousands of calls, and the node panel asks for
 * one node's at a time. A run still running is read afresh on every request; a finished one does not change.
 */
export class CallIndexCache {
  private readonly entries = new Map<string, { stamp: string; index: CallIndex }>();
  constructor(private readonly capacity = 8) {}

  /** The run's call index, or undefined when there is no such run. */
  get(store: RunStore, id: string): CallIndex | undefined {
    const run = store.getRun(id);
    if (!run) return undefined;
    const stamp = `${run.status}:${run.updatedAt}:${run.finishedAt}`;
    const cached = this.entries.get(id);
    if (cached?.stamp === stamp) return cached.index;
    const calls = runCalls(store, id);
    const byScope = new Map<string, CallView[]>();
    for (const call of calls) {
      const list = byScope.get(call.scope ?? '') ?? [];
      list.push(call);
      byScope.set(call.scope ?? '', list);
    }
    const index = { calls, byScope, usage: usageOf(calls) };
    if (run.status !== 'running') {
      this.entries.delete(id);
      this.entries.set(id, { stamp, index });
      if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    }
    return index;
  }
}

/** A step's artifact, or undefined when the step does not exist or left none. */
export function stepArtifact(store: RunStore, id: string, stepId: string): string | undefined {
  const step = store.getSteps(id).find((s) => s.id === stepId);
  if (!step?.outputHash) return undefined;
  return store.getArtifact(step.outputHash);
}

/** A run's stored events after sequence number `after`, as the event objects they were emitted as. */
export function runEvents(store: RunStore, id: string, after = 0, limit = 10_000): StoredEvent[] {
  return store.listEvents(id, { afterSeq: after, limit }).map(storedEvent);
}

/**
 * A network node's calls grouped by incoming edge (critic reviews and actor refinements in order), with its merges
 * apart; undefined when the run has no such node.
 */
export function nodeDialogue(
  store: RunStore,
  runId: string,
  node: string,
  calls: readonly CallView[],
): NodeDialogue<CallView> | undefined {
  const spec = graphSpecSchema.safeParse((store.getRun(runId)?.config as { graph?: unknown } | null)?.graph);
  if (!spec.success || !spec.data.nodes.some((n) => n.id === node)) return undefined;
  const from = new Set(spec.data.edges.filter((e) => e.to === node).map((e) => e.from));
  const predecessors = new Map<string, string>();
  for (const step of store.getSteps(runId)) {
    if (!from.has(step.id) || !step.outputHash) continue;
    const text = store.getArtifact(step.outputHash);
    if (text !== undefined) predecessors.set(step.id, text);
  }
  return groupNodeDialogue(calls, predecessors);
}

import { callScope, storedEvent, viewJson, viewRun } from '../jobs/index.js';
import { graphSpecSchema, toDag, topologicalLayers, criticalPath, type GraphSpec } from '../graph/index.js';
import type { CallRecord, EventRecord, RunRecord, RunStore, StepRecord } from '../store/index.js';
import { compactDetail } from './detail-wire.js';
import { groupNodeDialogue, type NodeDialogue } from './dialogue.js';
import { largeGraph, layerGrid } from './graph-layout.js';
import { stepChecks, stepDetailTypes, stepStateTypes } from './step-events.js';
import type {
  CallView,
  GraphView,
  RunDetail,
  RunSummary,
  RunUsage,
  StepDetail,
  StepState,
  StepView,
  StoredEventView,
  TeamStep,
} from './view-types.js';

export type {
  CallView,
  GraphView,
  RunDetail,
  RunUsage,
  StepDetail,
  StepState,
  StepView,
  TeamStep,
  UsageGroup,
} from './view-types.js';

/** Filters of the runs list. */
export interface RunFilter {
  kind?: string;
  status?: string;
  /** Matches the run's default model string (`flags.model` of its configuration), exactly. */
  model?: string;
  limit?: number;
}

const checkTypes = new Set<string>(stepDetailTypes);

const stateOfEvent: Record<string, StepState> = {
  'step-started': 'running',
  'step-finished': 'done',
  'step-failed': 'failed',
  'step-skipped': 'skipped',
};

const runModel = (run: RunRecord): string | undefined =>
  ((run.config as { flags?: { model?: unknown } } | null)?.flags?.model as string | undefined) ?? undefined;

/**
 * Runs newest first, as their views (live totals, `interrupted` when their process is gone; a network's graph left
 * out of the configuration), filtered.
 */
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
    out.push(withoutGraph(viewJson(view) as RunSummary));
    if (out.length >= limit) break;
  }
  return out;
}

/** A network run's graph spec from its stored configuration, or undefined (other kinds, an unreadable graph). */
const specOf = (run: RunRecord): GraphSpec | undefined => {
  const parsed = graphSpecSchema.safeParse((run.config as { graph?: unknown } | null)?.graph);
  return parsed.success ? parsed.data : undefined;
};

/** A network run's graph from its stored configuration, or null for other kinds (or an unreadable graph). */
export function graphOf(run: RunRecord): GraphView | null {
  const spec = specOf(run);
  return spec ? graphView(spec) : null;
}

/** A graph by topological layer, with its critical path; a large one laid out (the page then does no layout). */
function graphView(spec: GraphSpec): GraphView {
  const dag = toDag(spec);
  const layerOf = new Int32Array(dag.ids.length);
  const layers = topologicalLayers(dag);
  layers.forEach((members, layer) => {
    for (const v of members) layerOf[v] = layer;
  });
  const index = new Map(spec.nodes.map((n, i) => [n.id, i]));
  const at =
    spec.nodes.length > largeGraph
      ? layerGrid(
          [...layerOf],
          spec.edges.map((e) => index.get(e.from)!),
          spec.edges.map((e) => index.get(e.to)!),
        )
      : undefined;
  return {
    nodes: spec.nodes.map((n, i) => ({
      id: n.id,
      ...(n.role ? { role: n.role } : {}),
      ...(n.model ? { model: n.model } : {}),
      layer: layerOf[i]!,
      ...(at ? { x: at.x[i]!, y: at.y[i]! } : {}),
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
});

/** A step with its stored meta, as the node panel reads it. */
export const stepDetail = (s: StepRecord): StepDetail => ({ ...stepView(s), meta: s.meta, updatedAt: s.updatedAt });

/** The run's view for the run page: a network's graph is left out of its configuration (the page gets it apart). */
function runSummary(store: RunStore, record: RunRecord): RunSummary {
  return withoutGraph(viewJson(viewRun(store, record)) as RunSummary);
}

/**
 * A run's view without the network graph in its configuration: the runs list (refreshed every 2 s) and the run page
 * never show it there, and a 1,000-node graph is 72 KB of JSON.
 */
function withoutGraph(view: RunSummary): RunSummary {
  const run = view as RunSummary & { config: { graph?: unknown } | null };
  if (!run.config || !('graph' in run.config)) return run;
  const { graph: _graph, ...config } = run.config;
  return { ...run, config };
}

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
      if (!seen.has(node.id)) steps.push({ id: node.id, state: 'waiting', attempts: 0, hasArtifact: false });
  }
  const decisions: StoredEventView[] = [];
  const teams = new Set<string>();
  const segments: string[] = [];
  const teamSteps = new Map<string, TeamStep>();
  let segment: string | undefined;
  const events = store.listEvents(id);
  // a run with no checks (most networks) skips placing them: that would copy every step event
  const checks = events.some((e) => checkTypes.has(e.type))
    ? stepChecks(
        events.flatMap((e) =>
          checkTypes.has(e.type) || (stepStateTypes as readonly string[]).includes(e.type) ? [storedEvent(e)] : [],
        ),
      )
    : { byStep: new Map<string, StoredEventView[]>(), run: [] };
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
    run: runSummary(store, record),
    steps,
    graph,
    decisions,
    teams: [...teams].sort(),
    segments,
    teamSteps: [...teamSteps.values()],
    checks: Object.fromEntries(checks.byStep),
    runChecks: checks.run,
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

/** What the server keeps of a finished run for its page: the page data, sent as is, and its steps and graph. */
export interface RunPage {
  detail: RunDetail;
  /** `detail` as the API sends it (columns), serialized once. */
  json: string;
  steps: ReadonlyMap<string, StepRecord>;
  /** A network's graph spec, parsed once (the node dialogue reads its edges). */
  spec: GraphSpec | undefined;
}

/** A stamp that changes whenever a run does (status, last update, finish: a resume changes it). */
const stampOf = (run: RunRecord) => `${run.status}:${run.updatedAt}:${run.finishedAt}`;

/**
 * Keeps what the pages of the few finished runs last asked for need: a 1,000-node run's page reads thousands of
 * events, lays out its graph and serializes the result once; its node panels then look up steps and edges without
 * reading every step again. A run still running is read afresh on every request.
 */
export class RunPageCache {
  private readonly entries = new Map<string, { stamp: string; page: RunPage }>();
  constructor(private readonly capacity = 8) {}

  /** The run's page data, or undefined when there is no such run. */
  get(store: RunStore, id: string): RunPage | undefined {
    const run = store.getRun(id);
    if (!run) return undefined;
    const stamp = stampOf(run);
    const cached = this.entries.get(id);
    if (cached?.stamp === stamp) return cached.page;
    const detail = runDetail(store, id);
    if (!detail) return undefined;
    const page: RunPage = {
      detail,
      json: JSON.stringify(compactDetail(detail)),
      steps: new Map(store.getSteps(id).map((s) => [s.id, s])),
      spec: specOf(run),
    };
    if (run.status !== 'running') {
      this.entries.delete(id);
      this.entries.set(id, { stamp, page });
      if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    }
    return page;
  }

  /** A finished run's cached page, or undefined (a running run, or one not read yet). */
  peek(store: RunStore, id: string): RunPage | undefined {
    const run = store.getRun(id);
    const cached = run && this.entries.get(id);
    return cached && cached.stamp === stampOf(run) ? cached.page : undefined;
  }
}

/** A run's calls read once: all of them, by scope, and their usage. */
export interface CallIndex {
  calls: CallView[];
  byScope: ReadonlyMap<string, CallView[]>;
  usage: RunUsage;
}

/**
 * Reads each finished run's journal once: a 1,000-node run has thousands of calls (the timeline and the usage tables
 * ask for all of them). A run still running is read afresh on every request; a finished one does not change.
 */
export class CallIndexCache {
  private readonly entries = new Map<string, { stamp: string; index: CallIndex }>();
  private readonly keys = new Map<string, { stamp: string; byScope: Map<string, string[]> }>();
  constructor(private readonly capacity = 8) {}

  /** The run's call index, or undefined when there is no such run. */
  get(store: RunStore, id: string): CallIndex | undefined {
    const run = store.getRun(id);
    if (!run) return undefined;
    const stamp = stampOf(run);
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

  /**
   * One node's or phase's calls in the order they were answered: from the index when it was read, else only that
   * scope's journal rows (found by their keys), so opening one node does not read the whole journal.
   */
  scope(store: RunStore, id: string, scope: string): CallView[] {
    const run = store.getRun(id);
    if (!run) return [];
    const stamp = stampOf(run);
    const cached = this.entries.get(id);
    if (cached?.stamp === stamp) return cached.index.byScope.get(scope) ?? [];
    // a finished run's journal keys, grouped by scope, are kept: the next node opened reads only its own rows
    let keys = this.keys.get(id);
    if (keys?.stamp !== stamp) {
      keys = { stamp, byScope: keysByScope(store.listCallKeys(id)) };
      if (run.status !== 'running') {
        this.keys.delete(id);
        this.keys.set(id, keys);
        if (this.keys.size > this.capacity) this.keys.delete(this.keys.keys().next().value!);
      }
    }
    return callsOf(store, id, keys.byScope.get(scope) ?? []).map(callView);
  }
}

/** Journal keys grouped by the node or phase they name (see {@link callScope}). */
export function keysByScope(keys: Iterable<string>): Map<string, string[]> {
  const byScope = new Map<string, string[]>();
  for (const key of keys) {
    const scope = callScope({ key } as CallRecord);
    if (scope === undefined) continue;
    const list = byScope.get(scope);
    if (list) list.push(key);
    else byScope.set(scope, [key]);
  }
  return byScope;
}

/** The journal rows of some keys, in the order they were answered. */
export function callsOf(store: RunStore, id: string, keys: readonly string[]): CallRecord[] {
  return keys.flatMap((key) => store.findCall(id, key) ?? []).sort((a, b) => a.at - b.at);
}

/** A step's artifact, or undefined when the step does not exist or left none. */
export function stepArtifact(
  store: RunStore,
  id: string,
  stepId: string,
  steps?: ReadonlyMap<string, StepRecord>,
): string | undefined {
  const step = steps ? steps.get(stepId) : store.getSteps(id).find((s) => s.id === stepId);
  if (!step?.outputHash) return undefined;
  return store.getArtifact(step.outputHash);
}

/** A run's stored events after sequence number `after`, as the event objects they were emitted as. */
export function runEvents(store: RunStore, id: string, after = 0, limit = 10_000): StoredEventView[] {
  return store.listEvents(id, { afterSeq: after, limit }).map(storedEvent);
}

/**
 * A network node's calls grouped by incoming edge (critic reviews and actor refinements in order), with its merges
 * apart; undefined when the run has no such node.
 * @param page the run's cached page (its graph spec and steps), when there is one.
 */
export function nodeDialogue(
  store: RunStore,
  runId: string,
  node: string,
  calls: readonly CallView[],
  page?: Pick<RunPage, 'spec' | 'steps'>,
): NodeDialogue<CallView> | undefined {
  const run = page ? undefined : store.getRun(runId);
  const spec = page ? page.spec : run && specOf(run);
  if (!spec?.nodes.some((n) => n.id === node)) return undefined;
  const from = new Set(spec.edges.filter((e) => e.to === node).map((e) => e.from));
  const steps = page ? [...from].flatMap((f) => page.steps.get(f) ?? []) : store.getSteps(runId);
  const predecessors = new Map<string, string>();
  for (const step of steps) {
    if (!from.has(step.id) || !step.outputHash) continue;
    const text = store.getArtifact(step.outputHash);
    if (text !== undefined) predecessors.set(step.id, text);
  }
  return groupNodeDialogue(calls, predecessors);
}

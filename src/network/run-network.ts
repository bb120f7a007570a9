import type { LanguageModelV3 } from '@ai-sdk/provider';
import { defaultRoles, type Agent, type RoleBook } from '../agents/index.js';
import { checkOutputSize } from '../config/index.js';
import {
  nodeDepths,
  runSchedule,
  type ScheduleEvent,
  type SchedulePriority,
  type ScheduleStatus,
  type ValidatedGraph,
} from '../graph/index.js';
import type { EdgeExchangeReport, ArtifactRunner, EdgeRunMode } from './edge-dialogue.js';
import {
  mergeChecked,
  runNodeWork,
  type MergeReport,
  type NodeArtifact,
  type NodeWorkOptions,
  type NodeWorkResult,
} from './node-work.js';
import { personaFor, temperatureForDepth } from './personas.js';
import type { PruneRule } from './prune-inputs.js';
import type { NetworkTaskType } from './prompts.js';
import { complete } from '../model/index.js';

export { extractChoice } from './artifact-check.js';

/** Picks the model for an agent: a node's own model string, else the role's model. */
export type ModelPicker = (options: { role: string; model?: string }) => LanguageModelV3;

/**
 * Runs one node's work: in process by default ({@link runNodeWork}); a queue executor sends it to a worker.
 * `node.model` is the node's own model string, when it has one.
 */
export type NodeExecutor = (work: NodeWorkOptions, node: { model?: string }) => Promise<NodeWorkResult>;

/** Options of {@link executeNetwork}. */
export interface NetworkOptions {
  graph: ValidatedGraph;
  task: string;
  taskType: NetworkTaskType;
  model: ModelPicker;
  roles?: RoleBook;
  /** Nodes running at once. */
  concurrency: number;
  /** Which ready node starts first when more are ready than may run. Default `critical-path`. */
  priority?: SchedulePriority;
  /** Critic ↔ actor rounds per edge (1–3); a critic's approval ends an edge sooner. */
  edgeRounds?: number;
  /** Candidates merged per aggregation call. Default 4. */
  aggregationGroupSize?: number;
  /** Prune a node's candidates before merging them (MacNet's reference: above 4, keep the better half). */
  pruneInputs?: PruneRule;
  /** When an edge's exchange runs a code artifact in the sandbox. Default `request` (the critic asks). */
  edgeRuns?: EdgeRunMode;
  /** Runs a code artifact in the sandbox (edge runs and pruning); without it nothing is run. */
  runArtifact?: ArtifactRunner;
  seed?: number;
  signal?: AbortSignal;
  /** Node outputs already computed (resume): those nodes are not run again. */
  done?: ReadonlyMap<string, NodeOutput>;
  /** Attempts per node including the first. Default 2. */
  nodeAttempts?: number;
  /**
   * A failed node skips every node after it (`true`). Default `false`: a node
   * runs with the inputs that finished, and is skipped only when none did.
   */
  strict?: boolean;
  /** Errors that stop the whole network (budget). */
  isFatal?: (error: unknown) => boolean;
  /** Characters of one prompt built from artifacts; a longer one fails with `OUTPUT_TOO_LARGE`. Default no cap. */
  maxPromptChars?: number;
  onEvent?: (event: ScheduleEvent) => void;
  /** Runs a node's work (e.g. on a queue worker). Default: in this process. */
  executeNode?: NodeExecutor;
  /** Called when a node finishes, e.g. to persist its artifact. */
  onNodeDone?: (nodeId: string, output: NodeOutput) => void;
  /** The final merge of the sinks' artifacts: called before it starts and after it ends (not when one sink needs no merge). */
  onMerge?: (event: { phase: 'started' | 'finished'; sinks: string[]; durationMs?: number }) => void;
}

/** What a node produced. */
export interface NodeOutput {
  text: string;
  /** Predecessors that failed (or were skipped) and whose artifacts this node did without. */
  missingInputs?: string[];
  calls: number;
  maxPromptChars: number;
  temperature: number;
  /** Each incoming edge's exchange (absent for a node resumed from the store). */
  edges?: EdgeExchangeReport[];
  /** The merge of several inputs: pruning and checks. */
  merge?: MergeReport;
}

/** Result of a network run. */
export interface NetworkResult {
  status: ScheduleStatus;
  /** The merged answer of all sinks that finished (undefined if none did). */
  final: string | undefined;
  /** Sinks whose artifacts were merged into the final answer. */
  mergedSinks: string[];
  outputs: Map<string, NodeOutput>;
  failed: Map<string, string>;
  skipped: string[];
  notStarted: string[];
  stopError?: unknown;
  /** The final merge of the sinks' artifacts, when there were several. */
  finalMerge?: MergeReport;
  /** Model calls made by nodes plus the final merge. */
  calls: number;
  /** Largest prompt of any node, characters (memory control keeps this flat as the network grows). */
  maxPromptChars: number;
  makespanMs: number;
}

/**
 * Runs a MacNet collaboration network: nodes in topological order,
 * concurrently as far as dependencies and `concurrency` allow; each node's
 * actor works on its predecessors' artifacts after the edge critics' review;
 * only artifacts cross edges (memory control); a node with several inputs
 * merges them once all have finished, whatever their depth; the sinks'
 * artifacts are merged into the final answer.
 */
export async function executeNetwork(options: NetworkOptions): Promise<NetworkResult> {
  const { graph, task, taskType } = options;
  const roles = options.roles ?? defaultRoles;
  const { dag, spec } = graph;
  const depths = nodeDepths(dag);
  const maxDepth = Math.max(0, ...depths);
  const seed = options.seed ?? 0;
  const criticByEdge = new Map(spec.edges.filter((e) => e.critic).map((e) => [`${e.from}\u0000${e.to}`, e.critic!]));

  const agentFor = (role: string, nodeIndex: number, temperature: number, model?: string): Agent => ({
    name: role,
    role: roles[role] ?? roles.actor ?? defaultRoles.actor!,
    model: options.model({ role, ...(model ? { model } : {}) }),
    temperature,
    personaNote: personaFor(nodeIndex, seed),
  });

  const steps = spec.nodes.map((node, i) => ({
    id: node.id,
    deps: dag.pred[i]!.map((p) => dag.ids[p]!),
    weight: 1 + 2 * dag.pred[i]!.length,
  }));
  const result = await runSchedule<NodeOutput>({
    steps,
    concurrency: options.concurrency,
    ...(options.priority ? { priority: options.priority } : {}),
    ...(options.done ? { done: options.done } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    retry: { maxAttempts: options.nodeAttempts ?? 2 },
    ...(options.isFatal ? { isFatal: options.isFatal, isRetryable: (e: unknown) => !options.isFatal!(e) } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    onFailedInput: options.strict ? 'skip' : 'continue',
    run: async (step, inputs, ctx) => {
      const i = dag.index.get(step.id)!;
      const node = spec.nodes[i]!;
      const temperature = node.temperature ?? temperatureForDepth(depths[i]!, maxDepth);
      const actor = agentFor(node.role ?? 'actor', i, temperature, node.model);
      const critics = new Map<string, Agent>();
      for (const p of dag.pred[i]!) {
        const role = criticByEdge.get(`${dag.ids[p]}\u0000${step.id}`);
        if (role) critics.set(dag.ids[p]!, agentFor(role, i, temperature, node.model));
      }
      // a failed predecessor's artifact is missing: the node works on those that finished
      const artifacts: NodeArtifact[] = step.deps
        .filter((d) => inputs.has(d))
        .map((d) => ({ nodeId: d, text: inputs.get(d)!.text }));
      const executeNode = options.executeNode;
      const execute = executeNode
        ? (work: NodeWorkOptions) => executeNode(work, node.model ? { model: node.model } : {})
        : runNodeWork;
      const work = await execute({
        nodeId: step.id,
        task,
        taskType,
        agents: {
          actor,
          critics,
          defaultCritic: agentFor('critic', i, temperature, node.model),
          aggregator: agentFor('aggregator', i, temperature, node.model),
        },
        inputs: artifacts,
        ...(options.edgeRounds ? { edgeRounds: options.edgeRounds } : {}),
        ...(options.aggregationGroupSize ? { aggregationGroupSize: options.aggregationGroupSize } : {}),
        ...(options.pruneInputs ? { pruneInputs: options.pruneInputs } : {}),
        ...(options.edgeRuns ? { edgeRuns: options.edgeRuns } : {}),
        ...(options.runArtifact ? { runArtifact: options.runArtifact } : {}),
        seed,
        signal: ctx.signal,
        ...(options.maxPromptChars !== undefined ? { maxPromptChars: options.maxPromptChars } : {}),
      });
      const output: NodeOutput = {
        text: work.text,
        calls: work.calls,
        maxPromptChars: work.maxPromptChars,
        temperature,
        edges: work.edges,
        ...(work.merge ? { merge: work.merge } : {}),
        ...(ctx.missing.length ? { missingInputs: [...ctx.missing] } : {}),
      };
      options.onNodeDone?.(step.id, output);
      return output;
    },
  });

  let calls = 0;
  let maxPromptChars = 0;
  for (const o of result.outputs.values()) {
    calls += o.calls;
    maxPromptChars = Math.max(maxPromptChars, o.maxPromptChars);
  }
  // the virtual output node: merge every finished sink
  const sinks = dag.ids.filter((_, i) => dag.succ[i]!.length === 0 && result.outputs.has(dag.ids[i]!));
  let final: string | undefined;
  let finalMerge: MergeReport | undefined;
  if (result.status !== 'aborted' && result.status !== 'stopped' && sinks.length > 0) {
    const aggregator = agentFor('aggregator', dag.ids.length, 0);
    const mergeStarted = performance.now();
    if (sinks.length > 1) options.onMerge?.({ phase: 'started', sinks });
    const merged = await mergeChecked(
      sinks.map((s) => result.outputs.get(s)!.text),
      {
        task,
        taskType,
        groupSize: options.aggregationGroupSize ?? 4,
        ask: async (messages) => {
          calls++;
          const size = messages.reduce((sum, m) => sum + m.content.length, 0);
          maxPromptChars = Math.max(maxPromptChars, size);
          if (options.maxPromptChars !== undefined)
            checkOutputSize('the final merge prompt', size, 'maxPromptChars', options.maxPromptChars);
          return (
            await complete(aggregator.model, {
              system: `You are the ${aggregator.role.title}. ${aggregator.role.persona}`,
              messages,
              temperature: 0,
              seed,
              agent: 'aggregator',
              scope: 'output',
              ...(options.signal ? { signal: options.signal } : {}),
            })
          ).text;
        },
      },
    );
    final = merged.text;
    if (sinks.length > 1) {
      finalMerge = merged.report;
      options.onMerge?.({ phase: 'finished', sinks, durationMs: performance.now() - mergeStarted });
    }
  }
  return {
    status: result.status,
    final,
    mergedSinks: sinks,
    outputs: result.outputs,
    failed: new Map(
      [...result.failed].map(([k, v]) => [k, v instanceof Error ? v.message.split('\n')[0]! : String(v)]),
    ),
    skipped: result.skipped,
    notStarted: result.notStarted,
    ...(result.stopError !== undefined ? { stopError: result.stopError } : {}),
    ...(finalMerge ? { finalMerge } : {}),
    calls,
    maxPromptChars,
    makespanMs: result.makespanMs,
  };
}

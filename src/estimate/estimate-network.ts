import { defaultRoles, renderTemplate, type Role, type RoleBook } from '../agents/index.js';
import type { PriceEntry } from '../config/index.js';
import { remainingPathLength, topologicalOrder, type ValidatedGraph } from '../graph/index.js';
import type { ChatMessage } from '../model/index.js';
import {
  actorConversation,
  criticConversation,
  formatInstructions,
  networkPrompts,
  personaFor,
  type EdgeRound,
  type NetworkTaskType,
} from '../network/index.js';
import { planMakespan, type PlannedStep, type StepCalls } from './makespan.js';
import {
  assumedNetworkReplies,
  defaultReplyTokens,
  simNetworkReplies,
  type AssumedReplyTokens,
  type NetworkReplySizes,
} from './reply-sizes.js';
import { CallTally, isSimModel, promptChars } from './tally.js';
import type { Estimate } from './types.js';

/** A model string per role, or one model string for every role. */
export type ModelChoice = string | ((role: string) => string);

/** A model choice as a function of the role: one string serves every role. */
export function modelByRole(model: ModelChoice): (role: string) => string {
  return typeof model === 'string' ? () => model : model;
}

/** Options of {@link estimateNetwork}: what `executeNetwork` takes, with model strings instead of models. */
export interface NetworkEstimateOptions {
  graph: ValidatedGraph;
  task: string;
  taskType: NetworkTaskType;
  /** Model string per role (e.g. `runtime.modelString`); a node's own `model` wins, as in `executeNetwork`. */
  model: ModelChoice;
  roles?: RoleBook;
  /** Critic ↔ actor exchanges per edge. Default 1. */
  edgeRounds?: number;
  /** Candidates merged per aggregation call. Default 4. */
  aggregationGroupSize?: number;
  /** Nodes running at once. */
  concurrency: number;
  /** Calls in flight per model (the model limiter). Default `concurrency`, as `createRuntime` sets both. */
  callConcurrency?: number;
  /** The run's seed (persona notes, simulated replies). Default 0. */
  seed?: number;
  /** Assumed latency of one model call, ms. */
  latencyMs: number;
  /** Price overrides (config `prices:`), USD per million tokens. */
  prices?: Record<string, PriceEntry>;
  /** Reply lengths assumed for real (non-sim) models. */
  replyTokens?: Partial<AssumedReplyTokens>;
}

const systemText = (role: Role, note?: string) => `You are the ${role.title}. ${role.persona}${note ? ` ${note}` : ''}`;

/**
 * Predicts a MacNet run without calling a model: every call `executeNetwork`
 * makes (a source's actor; per incoming edge and round a critic and the
 * actor; hierarchical merges of several candidates; the final merge of the
 * sinks), its prompt size from the real templates and persona text (memory
 * control: a node's prompt depends on its in-degree and its inputs' sizes,
 * never on the network), reply sizes (measured on the simulated model's pure
 * reply function, assumed for real models), cost from the price table, and
 * the makespan at `latencyMs` per call under the node and call limits.
 */
export function estimateNetwork(options: NetworkEstimateOptions): Estimate {
  const { graph, task, taskType } = options;
  const { dag, spec } = graph;
  const roles = options.roles ?? defaultRoles;
  const seed = options.seed ?? 0;
  const rounds = Math.max(1, options.edgeRounds ?? 1);
  const groupSize = Math.max(2, Math.floor(options.aggregationGroupSize ?? 4));
  const modelFor = modelByRole(options.model);
  const roleOf = (name: string): Role => roles[name] ?? roles.actor ?? defaultRoles.actor!;
  const tokens = { ...defaultReplyTokens, ...options.replyTokens };
  let simSizes: NetworkReplySizes | undefined;
  const sizesFor = (model: string): NetworkReplySizes => {
    if (!isSimModel(model)) return assumedNetworkReplies(taskType, tokens);
    simSizes ??= simNetworkReplies({
      task,
      taskType,
      actor: roleOf('actor'),
      critic: roleOf('critic'),
      aggregator: roleOf('aggregator'),
      seed,
    });
    return simSizes;
  };

  const format = formatInstructions[taskType];
  const initialChars = renderTemplate(networkPrompts.initial, { task, format }).length;
  /**
   * Message sizes of round r of an edge whose artifact arrived with `arrived` characters, built by the
   * network's own conversation builders (the exchange so far, superseded versions as notes). Few
   * distinct sizes occur, so each is built once.
   */
  const edgeSizes = new Map<string, { critic: number[]; actor: number[] }>();
  const edgeRound = (r: number, arrived: number, review: number, revision: number) => {
    const [a, v, w] = [arrived, review, revision].map(Math.round) as [number, number, number];
    const key = `${r}:${a}:${v}:${w}`;
    let sizes = edgeSizes.get(key);
    if (!sizes) {
      const rounds: EdgeRound[] = Array.from({ length: r + 1 }, (_, k) => ({
        artifact: 'x'.repeat(k === 0 ? a : w),
        review: 'x'.repeat(v),
      }));
      const lengths = (messages: ChatMessage[]) => messages.map((m) => m.content.length);
      sizes = {
        critic: lengths(criticConversation(task, '', rounds.slice(0, r), rounds[r]!)),
        actor: lengths(actorConversation(task, format, rounds)),
      };
      edgeSizes.set(key, sizes);
    }
    return sizes;
  };
  const aggregateBase = (count: number) =>
    renderTemplate(networkPrompts.aggregate, { task, count, candidates: '', format }).length;
  const wrapper = (k: number) => `### Candidate ${k}\n<<<\n\n>>>`.length;
  const tally = new CallTally();

  /** Hierarchical merge as `partitionMerge` does it: the calls per level and the result's size. */
  const merge = (inputs: number[], model: string, system: string): { stages: string[][][]; size: number } => {
    const stages: string[][][] = [];
    let level = inputs;
    while (level.length > 1) {
      const next: number[] = [];
      const calls: string[][] = [];
      for (let i = 0; i < level.length; i += groupSize) {
        const group = level.slice(i, i + groupSize);
        if (group.length === 1) {
          next.push(group[0]!);
          continue;
        }
        const prompt =
          aggregateBase(group.length) + group.reduce((a, c, k) => a + c + wrapper(k + 1), 0) + 2 * (group.length - 1);
        tally.add(model, promptChars(system, [prompt]), sizesFor(model).aggregate);
        calls.push([model]);
        next.push(sizesFor(model).aggregate);
      }
      stages.push(calls);
      level = next;
    }
    return { stages, size: level[0] ?? 0 };
  };

  const criticByEdge = new Map(spec.edges.filter((e) => e.critic).map((e) => [`${e.from}\u0000${e.to}`, e.critic!]));
  const artifact = new Float64Array(dag.ids.length);
  const stepsCalls: StepCalls[] = new Array(dag.ids.length);
  for (const i of topologicalOrder(dag)) {
    const node = spec.nodes[i]!;
    const note = personaFor(i, seed);
    const actorName = node.role ?? 'actor';
    const actorModel = node.model ?? modelFor(actorName);
    const actorSystem = systemText(roleOf(actorName), note);
    const preds = dag.pred[i]!;
    if (preds.length === 0) {
      tally.add(actorModel, promptChars(actorSystem, [initialChars]), sizesFor(actorModel).initial);
      artifact[i] = sizesFor(actorModel).initial;
      stepsCalls[i] = [[[actorModel]]];
      continue;
    }
    const chains: string[][] = [];
    const candidates: number[] = [];
    for (const p of preds) {
      const criticName = criticByEdge.get(`${dag.ids[p]}\u0000${dag.ids[i]}`) ?? 'critic';
      const criticModel = node.model ?? modelFor(criticName);
      const criticSystem = systemText(roleOf(criticName), note);
      let size = artifact[p]!;
      const chain: string[] = [];
      for (let r = 0; r < rounds; r++) {
        // every round is assumed used: a critic's approval (which ends an edge sooner) cannot be predicted
        const instructions = sizesFor(criticModel).critic;
        const revision = sizesFor(actorModel).refine;
        const sizes = edgeRound(r, artifact[p]!, instructions, revision);
        tally.add(criticModel, promptChars(criticSystem, sizes.critic), instructions);
        tally.add(actorModel, promptChars(actorSystem, sizes.actor), revision);
        size = revision;
        chain.push(criticModel, actorModel);
      }
      chains.push(chain);
      candidates.push(size);
    }
    const aggregatorModel = node.model ?? modelFor('aggregator');
    const merged = merge(candidates, aggregatorModel, systemText(roleOf('aggregator'), note));
    artifact[i] = merged.size;
    stepsCalls[i] = [chains, ...merged.stages];
  }

  // the virtual output node merges every sink (no persona note, the run's aggregator model)
  const sinks = dag.ids.map((_, i) => i).filter((i) => dag.succ[i]!.length === 0);
  const finalModel = modelFor('aggregator');
  const final = merge(
    sinks.map((i) => artifact[i]!),
    finalModel,
    systemText(roleOf('aggregator')),
  );

  const rank = remainingPathLength(dag, (v) => 1 + 2 * dag.pred[v]!.length);
  const steps: PlannedStep[] = stepsCalls.map((stages, i) => ({ deps: dag.pred[i]!, stages, rank: rank[i]! }));
  const callConcurrency = options.callConcurrency ?? options.concurrency;
  const plan = planMakespan({ steps, finish: final.stages, concurrency: options.concurrency, callConcurrency });
  const totals = tally.totals(options.prices);
  const ms = plan.calls * options.latencyMs;
  return {
    kind: 'network',
    ...totals,
    makespan: {
      expectedMs: ms,
      boundMs: ms,
      latencyMs: options.latencyMs,
      concurrency: options.concurrency,
      callConcurrency,
      criticalPathCalls: plan.criticalPathCalls,
    },
    assumptions: [
      'every node succeeds on its first attempt (no retries, no failed branches)',
      totals.simulated
        ? 'reply sizes measured on the simulated model’s reply function for this task'
        : `real models reply with about ${tokens[taskType]} tokens per answer and ${tokens.critique} per critique (replyTokens)`,
      'tokens are counted as the simulated model counts them: about four characters a token',
      `every call takes ${formatMs(options.latencyMs)}; ${options.concurrency} nodes and ${callConcurrency} calls per model at once`,
    ],
  };
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

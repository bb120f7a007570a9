import { renderTemplate, type Agent } from '../agents/index.js';
import { partitionMerge } from '../common/index.js';
import { checkOutputSize } from '../config/index.js';
import { complete, type ChatMessage } from '../model/index.js';
import { artifactProblem } from './artifact-check.js';
import { runEdgeExchange, type ArtifactRunner, type EdgeExchangeReport, type EdgeRunMode } from './edge-dialogue.js';
import { pruneCandidates, type PruneReport, type PruneRule } from './prune-inputs.js';
import { formatInstructions, networkPrompts, type NetworkTaskType } from './prompts.js';

/** What flows along an edge: only the final artifact of a node (memory control). */
export interface NodeArtifact {
  nodeId: string;
  text: string;
}

/** The agents a node uses. */
export interface NodeAgents {
  actor: Agent;
  /** Critic per incoming edge, keyed by source node id (falls back to `defaultCritic`). */
  critics: Map<string, Agent>;
  defaultCritic: Agent;
  aggregator: Agent;
}

/** Options of one node's work. */
export interface NodeWorkOptions {
  nodeId: string;
  task: string;
  taskType: NetworkTaskType;
  agents: NodeAgents;
  /** Artifacts of the node's predecessors, in a stable order. */
  inputs: NodeArtifact[];
  /** Critic ↔ actor rounds per incoming edge (the paper caps them at 3); the critic can end sooner. Default 1. */
  edgeRounds?: number;
  /** Candidates merged per aggregation call; more are merged hierarchically. Default 4. */
  aggregationGroupSize?: number;
  /** Prune the candidates before merging them (MacNet's reference); default: merge them all. */
  pruneInputs?: PruneRule;
  /** When an edge's exchange runs the artifact (code tasks, with `runArtifact`). Default `request`. */
  edgeRuns?: EdgeRunMode;
  /** Runs a code artifact in the sandbox; without it no edge runs and pruning judges code by its form. */
  runArtifact?: ArtifactRunner;
  seed?: number;
  signal?: AbortSignal;
  /**
   * Characters of one prompt; a longer one (inputs grown past what a model can read) fails with a
   * `ModelOutputError` of code `OUTPUT_TOO_LARGE` before the call. Default no cap.
   */
  maxPromptChars?: number;
}

/** How a merge passed its check: at once, after one more request, not (a candidate stood in), or not at all. */
export type MergeCheck = 'ok' | 'repaired' | 'fell-back' | 'failed';

/** What the merges of a node (or of the sinks) did. */
export interface MergeReport {
  /** Merge calls made (a repaired merge counts twice). */
  calls: number;
  /** Each merge call's outcome, in order, with the problem found when there was one. */
  checks: Array<{ check: MergeCheck; problem?: string }>;
  prune?: PruneReport;
}

/** Result of a node: its artifact and how many model calls it made. */
export interface NodeWorkResult {
  text: string;
  calls: number;
  /** Largest prompt (characters) the node sent: memory control keeps it independent of network size. */
  maxPromptChars: number;
  /** Each incoming edge's exchange: rounds, how it ended, sandbox runs. */
  edges: EdgeExchangeReport[];
  /** The merge of several inputs, when there was one. */
  merge?: MergeReport;
}

/** The system prompt of a network agent: its role and the node's persona note. */
export function agentSystem(agent: Agent): string {
  return `You are the ${agent.role.title}. ${agent.role.persona}${agent.personaNote ? ` ${agent.personaNote}` : ''}`;
}

/**
 * One MacNet node: with no inputs the actor solves the task; otherwise each
 * incoming edge is a dialogue (`runEdgeExchange`) in which the edge's critic
 * reviews the predecessor's artifact and the actor revises it, for up to
 * `edgeRounds` rounds; the refined candidates are then (optionally pruned
 * and) merged by the aggregator, each merge checked before it moves on.
 * Dialogue history never leaves the edge.
 */
export async function runNodeWork(options: NodeWorkOptions): Promise<NodeWorkResult> {
  const format = formatInstructions[options.taskType];
  const { actor, aggregator } = options.agents;
  let calls = 0;
  let maxPromptChars = 0;
  const converse = async (agent: Agent, messages: ChatMessage[]): Promise<string> => {
    const size = messages.reduce((sum, m) => sum + m.content.length, 0);
    if (options.maxPromptChars !== undefined)
      checkOutputSize(`a prompt of node ${options.nodeId}`, size, 'maxPromptChars', options.maxPromptChars);
    calls++;
    maxPromptChars = Math.max(maxPromptChars, size);
    const reply = await complete(agent.model, {
      system: agentSystem(agent),
      messages,
      ...(agent.temperature !== undefined ? { temperature: agent.temperature } : {}),
      ...(agent.maxOutputTokens !== undefined ? { maxOutputTokens: agent.maxOutputTokens } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      agent: agent.name,
      scope: options.nodeId,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return reply.text;
  };

  if (options.inputs.length === 0) {
    const prompt = renderTemplate(networkPrompts.initial, { task: options.task, format });
    const text = await converse(actor, [{ role: 'user', content: prompt }]);
    return { text, calls, maxPromptChars, edges: [] };
  }

  const run = options.taskType === 'code' ? options.runArtifact : undefined;
  // incoming edges are independent: their exchanges run concurrently (the model limiter bounds them)
  const exchanges = await Promise.all(
    options.inputs.map((input) =>
      runEdgeExchange({
        from: input.nodeId,
        task: options.task,
        format,
        critic: options.agents.critics.get(input.nodeId) ?? options.agents.defaultCritic,
        actor,
        artifact: input.text,
        rounds: options.edgeRounds ?? 1,
        ask: converse,
        runs: options.edgeRuns ?? 'request',
        ...(run ? { run } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    ),
  );
  const edges = exchanges.map((e) => e.report);
  if (exchanges.length === 1) return { text: exchanges[0]!.text, calls, maxPromptChars, edges };

  let candidates = exchanges.map((e, i) => ({ from: options.inputs[i]!.nodeId, text: e.text }));
  let prune: PruneReport | undefined;
  if (options.pruneInputs) {
    const pruned = await pruneCandidates(candidates, {
      task: options.task,
      taskType: options.taskType,
      rule: options.pruneInputs,
      ...(run ? { run } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    candidates = pruned.kept;
    prune = pruned.report;
  }
  const merged = await mergeChecked(
    candidates.map((c) => c.text),
    {
      task: options.task,
      taskType: options.taskType,
      groupSize: options.aggregationGroupSize ?? 4,
      ask: (messages) => converse(aggregator, messages),
    },
  );
  return {
    text: merged.text,
    calls,
    maxPromptChars,
    edges,
    merge: { ...merged.report, ...(prune ? { prune } : {}) },
  };
}

/** The aggregation prompt for a group of candidates. */
export function aggregatePrompt(task: string, taskType: NetworkTaskType, group: readonly string[]): string {
  return renderTemplate(networkPrompts.aggregate, {
    task,
    count: group.length,
    candidates: group.map((c, i) => `### Candidate ${i + 1}\n<<<\n${c}\n>>>`).join('\n\n'),
    format: formatInstructions[taskType],
  });
}

/**
 * Merges candidates hierarchically ({@link mergeCandidates}) and checks every
 * merge before it moves on ({@link artifactProblem}): a merge with a problem
 * is asked for once more with the problem named; if the second is no better,
 * the first candidate of the group that passes the check stands in (the
 * reference keeps a predecessor's solution when aggregation fails), else the
 * merge is kept as it is. One candidate is returned without a call.
 */
export async function mergeChecked(
  candidates: readonly string[],
  options: {
    task: string;
    taskType: NetworkTaskType;
    groupSize: number;
    ask: (messages: ChatMessage[]) => Promise<string>;
  },
): Promise<{ text: string; report: Omit<MergeReport, 'prune'> }> {
  const report: Omit<MergeReport, 'prune'> = { calls: 0, checks: [] };
  const format = formatInstructions[options.taskType];
  const text = await mergeCandidates([...candidates], options.groupSize, async (group) => {
    const opening: ChatMessage = { role: 'user', content: aggregatePrompt(options.task, options.taskType, group) };
    report.calls++;
    const first = await options.ask([opening]);
    const problem = artifactProblem(first, options.taskType);
    if (problem === undefined) {
      report.checks.push({ check: 'ok' });
      return first;
    }
    report.calls++;
    const second = await options.ask([
      opening,
      { role: 'assistant', content: first },
      { role: 'user', content: renderTemplate(networkPrompts.aggregateAgain, { problem, format }) },
    ]);
    if (artifactProblem(second, options.taskType) === undefined) {
      report.checks.push({ check: 'repaired', problem });
      return second;
    }
    const standIn = group.find((c) => artifactProblem(c, options.taskType) === undefined);
    report.checks.push({ check: standIn === undefined ? 'failed' : 'fell-back', problem });
    return standIn ?? second;
  });
  return { text, report };
}

/**
 * Hierarchical merge of candidate texts (see `partitionMerge`); a single
 * candidate is returned as it is.
 */
export async function mergeCandidates(
  candidates: string[],
  groupSize: number,
  merge: (group: string[]) => Promise<string>,
): Promise<string> {
  if (candidates.length === 0) throw new Error('mergeCandidates needs at least one candidate');
  const merged = await partitionMerge(
    candidates.map((value, i) => ({ id: String(i), value })),
    groupSize,
    (group) => merge(group.map((g) => g.value)),
  );
  return merged.result;
}

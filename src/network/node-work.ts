import { renderTemplate, type Agent } from '../agents/index.js';
import { partitionMerge } from '../common/index.js';
import { checkOutputSize } from '../config/index.js';
import { complete } from '../model/index.js';
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
  /** Critic ↔ actor exchanges per incoming edge (the paper caps them at 3). Default 1. */
  edgeRounds?: number;
  /** Candidates merged per aggregation call; more are merged hierarchically. Default 4. */
  aggregationGroupSize?: number;
  seed?: number;
  signal?: AbortSignal;
  /**
   * Characters of one prompt; a longer one (inputs grown past what a model can read) fails with a
   * `ModelOutputError` of code `OUTPUT_TOO_LARGE` before the call. Default no cap.
   */
  maxPromptChars?: number;
}

/** Result of a node: its artifact and how many model calls it made. */
export interface NodeWorkResult {
  text: string;
  calls: number;
  /** Largest prompt (characters) the node sent: memory control keeps it independent of network size. */
  maxPromptChars: number;
}

/**
 * One MacNet node: with no inputs the actor solves the task; otherwise, for
 * each incoming edge, the edge's critic reviews the predecessor's artifact
 * and instructs, the actor refines it; several refined candidates are then
 * merged by the aggregator. Dialogue history never leaves the node.
 */
export async function runNodeWork(options: NodeWorkOptions): Promise<NodeWorkResult> {
  const format = formatInstructions[options.taskType];
  const { actor, aggregator } = options.agents;
  let calls = 0;
  let maxPromptChars = 0;
  const ask = async (agent: Agent, prompt: string): Promise<string> => {
    if (options.maxPromptChars !== undefined)
      checkOutputSize(`a prompt of node ${options.nodeId}`, prompt.length, 'maxPromptChars', options.maxPromptChars);
    calls++;
    maxPromptChars = Math.max(maxPromptChars, prompt.length);
    const reply = await complete(agent.model, {
      system: `You are the ${agent.role.title}. ${agent.role.persona}${agent.personaNote ? ` ${agent.personaNote}` : ''}`,
      messages: [{ role: 'user', content: prompt }],
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
    const text = await ask(actor, renderTemplate(networkPrompts.initial, { task: options.task, format }));
    return { text, calls, maxPromptChars };
  }

  // incoming edges are independent: their critic → actor exchanges run concurrently (the model limiter bounds them)
  const candidates = await Promise.all(
    options.inputs.map(async (input) => {
      const critic = options.agents.critics.get(input.nodeId) ?? options.agents.defaultCritic;
      let artifact = input.text;
      for (let round = 0; round < Math.max(1, options.edgeRounds ?? 1); round++) {
        const instructions = await ask(critic, renderTemplate(networkPrompts.critic, { task: options.task, artifact }));
        artifact = await ask(
          actor,
          renderTemplate(networkPrompts.refine, { task: options.task, artifact, instructions, format }),
        );
      }
      return artifact;
    }),
  );
  const text = await mergeCandidates(candidates, options.aggregationGroupSize ?? 4, (group) =>
    ask(
      aggregator,
      renderTemplate(networkPrompts.aggregate, {
        task: options.task,
        count: group.length,
        candidates: group.map((c, i) => `### Candidate ${i + 1}\n<<<\n${c}\n>>>`).join('\n\n'),
        format,
      }),
    ),
  );
  return { text, calls, maxPromptChars };
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

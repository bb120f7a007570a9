import { defaultRoles, renderTemplate, type Role } from '../agents/index.js';
import { simulateReply, type SimMessage } from '../model/sim/index.js';
import {
  criticConversation,
  formatInstructions,
  networkPrompts,
  personaFor,
  type NetworkTaskType,
} from '../network/index.js';

/**
 * Assumed reply lengths of a real model, in tokens, by kind of reply. A real
 * model's length depends on the model and the task; these are middle-of-the-
 * road figures for current chat models and can be overridden per run.
 */
export interface AssumedReplyTokens {
  /** A prose answer (network text tasks, story stages). Default 400. */
  text: number;
  /** A whole program as files in fenced blocks. Default 1500. */
  code: number;
  /** A short reasoned multiple-choice answer. Default 150. */
  choice: number;
  /** A critic's or reviewer's instructions. Default 250. */
  critique: number;
  /** One turn of a role-play discussion (demand analysis, language choice). Default 150. */
  dialogue: number;
  /** A judge's JSON verdict. Default 80. */
  judge: number;
}

/** The defaults of {@link AssumedReplyTokens}. */
export const defaultReplyTokens: AssumedReplyTokens = {
  text: 400,
  code: 1500,
  choice: 150,
  critique: 250,
  dialogue: 150,
  judge: 80,
};

/** Reply lengths in characters of the four calls a network node makes. */
export interface NetworkReplySizes {
  initial: number;
  critic: number;
  refine: number;
  aggregate: number;
}

const chars = (tokens: number) => tokens * 4;

/** Network reply sizes of a real model from the assumed token counts. */
export function assumedNetworkReplies(taskType: NetworkTaskType, tokens: AssumedReplyTokens): NetworkReplySizes {
  const answer = chars(tokens[taskType]);
  return { initial: answer, critic: chars(tokens.critique), refine: answer, aggregate: answer };
}

/** The simulated model's reply to one system text and one user message. */
export function simReplyText(system: string, user: string, seed: number, temperature: number): string {
  const messages: SimMessage[] = [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
  return simulateReply({ messages, seed, temperature });
}

const probeTemperatures = [1, 0.8, 0.6, 0.4, 0.2, 0];

/**
 * Network reply sizes of the simulated model, measured rather than guessed:
 * its reply function is pure, so the estimate runs one source → critic →
 * refine → merge path of the real templates through it for a few personas
 * and temperatures and averages the lengths. No model is called.
 */
export function simNetworkReplies(options: {
  task: string;
  taskType: NetworkTaskType;
  actor?: Role;
  critic?: Role;
  aggregator?: Role;
  seed: number;
}): NetworkReplySizes {
  const { task, taskType, seed } = options;
  const format = formatInstructions[taskType];
  const sys = (role: Role, note?: string) => `You are the ${role.title}. ${role.persona}${note ? ` ${note}` : ''}`;
  const actor = options.actor ?? defaultRoles.actor!;
  const critic = options.critic ?? defaultRoles.critic!;
  const aggregator = options.aggregator ?? defaultRoles.aggregator!;
  const sum = { initial: 0, critic: 0, refine: 0, aggregate: 0 };
  probeTemperatures.forEach((temperature, k) => {
    const note = personaFor(k, seed);
    const initial = simReplyText(
      sys(actor, note),
      renderTemplate(networkPrompts.initial, { task, format }),
      seed + k,
      temperature,
    );
    const instructions = simReplyText(
      sys(critic, note),
      criticConversation(task, '', [], { artifact: initial })[0]!.content,
      seed + k,
      temperature,
    );
    const refined = simReplyText(
      sys(actor, note),
      renderTemplate(networkPrompts.refine, { task, artifact: initial, instructions, format }),
      seed + k,
      temperature,
    );
    const candidates = [refined, refined].map((c, i) => `### Candidate ${i + 1}\n<<<\n${c}\n>>>`).join('\n\n');
    const merged = simReplyText(
      sys(aggregator, note),
      renderTemplate(networkPrompts.aggregate, { task, count: 2, candidates, format }),
      seed + k,
      temperature,
    );
    sum.initial += initial.length;
    sum.critic += instructions.length;
    sum.refine += refined.length;
    sum.aggregate += merged.length;
  });
  const n = probeTemperatures.length;
  return { initial: sum.initial / n, critic: sum.critic / n, refine: sum.refine / n, aggregate: sum.aggregate / n };
}

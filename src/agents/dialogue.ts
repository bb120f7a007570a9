import type { LanguageModelV3 } from '@ai-sdk/provider';
import { complete, type ChatMessage } from '../model/index.js';
import { systemPrompt, type Role } from './roles.js';

/** An agent: a role bound to a model and sampling settings. */
export interface Agent {
  /** Role name, used for usage accounting (`programmer`, `critic`, …). */
  name: string;
  role: Role;
  model: LanguageModelV3;
  temperature?: number;
  maxOutputTokens?: number;
  /** Extra persona text (team or node diversity). */
  personaNote?: string;
}

/** One message of a dialogue. */
export interface DialogueTurn {
  speaker: 'instructor' | 'assistant' | 'reflection';
  agent: string;
  text: string;
}

/** How a dialogue ended. */
export type DialogueEnd = 'marker' | 'turn-limit' | 'reflection';

/** Serializable outcome of a dialogue. */
export interface DialogueResult {
  turns: DialogueTurn[];
  /** The text after the marker (e.g. `Python` for `<INFO> Python`), when one was found. */
  conclusion: string | undefined;
  /** The last assistant reply (the artifact-bearing message). */
  finalReply: string;
  endedBy: DialogueEnd;
  /** Number of assistant replies. */
  assistantTurns: number;
}

/** Options of {@link runDialogue}. */
export interface DialogueOptions {
  instructor: Agent;
  assistant: Agent;
  /** The phase prompt the instructor opens with. */
  opening: string;
  /** Maximum assistant replies. */
  maxTurns: number;
  /** Termination marker, e.g. `<INFO>`; the text after it on the same line is the conclusion. */
  marker?: string;
  /** When no marker appears, ask a counselor to extract a conclusion from the transcript. */
  reflection?: { agent: Agent; instruction: string };
  /** Scope for accounting (phase, node, team). */
  scope?: string;
  seed?: number;
  signal?: AbortSignal;
  /** Called after each reply: who spoke, the turn number (from 1) and whether the dialogue ends with it. */
  onTurn?: (turn: { agent: string; turn: number; final: boolean }) => void;
}

/** Finds `marker` in a reply and returns the conclusion text after it (may be empty). */
export function findConclusion(text: string, marker: string): string | undefined {
  const index = text.lastIndexOf(marker);
  if (index < 0) return undefined;
  return (text.slice(index + marker.length).split('\n')[0] ?? '')
    .trim()
    .replace(/^[:\-\s]+/, '')
    .replace(/[.*`"']+$/, '');
}

function perspective(turns: DialogueTurn[], self: 'instructor' | 'assistant', opening: string): ChatMessage[] {
  // Each side sees its own messages as "assistant" and the other side's as "user".
  const messages: ChatMessage[] = self === 'assistant' ? [{ role: 'user', content: opening }] : [];
  for (const turn of turns) {
    if (turn.speaker === 'reflection') continue;
    messages.push({ role: turn.speaker === self ? 'assistant' : 'user', content: turn.text });
  }
  return messages;
}

/**
 * A role-play dialogue: the instructor opens with a phase prompt, the
 * assistant replies, the instructor answers, … until either side emits the
 * termination marker or the assistant has replied `maxTurns` times. Without a
 * conclusion, an optional reflection step asks a third agent to extract one.
 */
export async function runDialogue(options: DialogueOptions): Promise<DialogueResult> {
  const { instructor, assistant, opening, marker } = options;
  const turns: DialogueTurn[] = [];
  let conclusion: string | undefined;
  let assistantTurns = 0;
  let finalReply = '';
  const call = (agent: Agent, messages: ChatMessage[], system: string) =>
    complete(agent.model, {
      system,
      messages,
      ...(agent.temperature !== undefined ? { temperature: agent.temperature } : {}),
      ...(agent.maxOutputTokens !== undefined ? { maxOutputTokens: agent.maxOutputTokens } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      agent: agent.name,
      ...(options.scope ? { scope: options.scope } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  const assistantSystem = systemPrompt(assistant.role, assistant.personaNote);
  const instructorSystem = systemPrompt(
    instructor.role,
    `${instructor.personaNote ? `${instructor.personaNote}\n` : ''}You are instructing the ${assistant.role.title}. Keep your replies short: answer questions, point out what is missing, and ${marker ? `when the work is done, say so with "${marker} <conclusion>"` : 'say when the work is done'}.\nThe instruction you gave them:\n${opening}`,
  );

  while (assistantTurns < options.maxTurns) {
    const reply = await call(assistant, perspective(turns, 'assistant', opening), assistantSystem);
    assistantTurns++;
    finalReply = reply.text;
    turns.push({ speaker: 'assistant', agent: assistant.name, text: reply.text });
    if (marker) conclusion = findConclusion(reply.text, marker);
    const assistantEnds = conclusion !== undefined || assistantTurns >= options.maxTurns;
    options.onTurn?.({ agent: assistant.name, turn: turns.length, final: assistantEnds });
    if (assistantEnds) break;
    const answer = await call(instructor, perspective(turns, 'instructor', opening), instructorSystem);
    turns.push({ speaker: 'instructor', agent: instructor.name, text: answer.text });
    if (marker) conclusion = findConclusion(answer.text, marker);
    options.onTurn?.({ agent: instructor.name, turn: turns.length, final: conclusion !== undefined });
    if (conclusion !== undefined) break;
  }

  let endedBy: DialogueEnd = conclusion !== undefined ? 'marker' : 'turn-limit';
  if (conclusion === undefined && marker && options.reflection) {
    const transcript = turns.map((t) => `${t.agent}: ${t.text}`).join('\n\n');
    const reflected = await call(
      options.reflection.agent,
      [{ role: 'user', content: `${options.reflection.instruction}\n\nConversation:\n${transcript}` }],
      systemPrompt(options.reflection.agent.role),
    );
    turns.push({ speaker: 'reflection', agent: options.reflection.agent.name, text: reflected.text });
    conclusion = findConclusion(reflected.text, marker);
    if (conclusion !== undefined) endedBy = 'reflection';
  }
  return { turns, conclusion, finalReply, endedBy, assistantTurns };
}

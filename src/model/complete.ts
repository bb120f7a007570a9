import type { LanguageModelV3, LanguageModelV3Prompt } from '@ai-sdk/provider';
import { yieldToLoop } from '../common/index.js';
import { AbortedError } from '../errors/index.js';

/** A plain-text chat message. */
export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** Options of one {@link complete} call. */
export interface CompleteOptions {
  system?: string;
  messages: ChatMessage[];
  temperature?: number;
  /** Upper bound on output tokens. */
  maxOutputTokens?: number;
  seed?: number;
  /** Agent (role) name, used for usage accounting per agent. */
  agent?: string;
  /** Network node, team or phase the call belongs to, for accounting and the journal. */
  scope?: string;
  signal?: AbortSignal;
}

/** The text of a completion and its token usage. */
export interface Completion {
  text: string;
  inputTokens: number;
  outputTokens: number;
}

/** Builds the AI SDK prompt for a system text and plain-text messages. */
export function toPrompt(system: string | undefined, messages: ChatMessage[]): LanguageModelV3Prompt {
  const prompt: LanguageModelV3Prompt = [];
  if (system) prompt.push({ role: 'system', content: system });
  for (const m of messages) prompt.push({ role: m.role, content: [{ type: 'text', text: m.content }] });
  return prompt;
}

/**
 * One text completion through a (middleware-wrapped) model. The agent name
 * travels in `providerOptions.crosstalk.agent`, where the usage middleware
 * reads it; providers ignore that namespace.
 */
export async function complete(model: LanguageModelV3, options: CompleteOptions): Promise<Completion> {
  // a model that answers at once (simulated, replayed) must not starve signal handlers
  await yieldToLoop();
  if (options.signal?.aborted) throw new AbortedError();
  const result = await model.doGenerate({
    prompt: toPrompt(options.system, options.messages),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.maxOutputTokens !== undefined ? { maxOutputTokens: options.maxOutputTokens } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.signal ? { abortSignal: options.signal } : {}),
    providerOptions: {
      crosstalk: {
        ...(options.agent ? { agent: options.agent } : {}),
        ...(options.scope ? { scope: options.scope } : {}),
      },
    },
  });
  const text = result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
  return {
    text,
    inputTokens: result.usage.inputTokens.total ?? 0,
    outputTokens: result.usage.outputTokens.total ?? 0,
  };
}

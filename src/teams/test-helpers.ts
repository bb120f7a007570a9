import type { LanguageModelV3Prompt } from '@ai-sdk/provider';
import { promptToMessages } from '../model/sim/index.js';

export { SimulatedModel } from '../model/index.js';

/** The text of a prompt, for assertions on what a model was asked. */
export function promptToMessagesForTest(prompt: LanguageModelV3Prompt): string {
  return promptToMessages(prompt)
    .map((m) => m.content)
    .join('\n');
}

import type { LanguageModelV3Middleware, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { checkOutputSize } from '../../config/index.js';

/**
 * Caps the characters of one reply (text and reasoning). Sits just inside the
 * journal, so a reply over the cap is counted in usage (it was paid for) but
 * never stored, never parsed and never put into a later prompt: the call
 * fails with a `ModelOutputError` of code `OUTPUT_TOO_LARGE`. A stream is cut
 * off with that error as soon as it goes over.
 */
export function replySizeMiddleware(options: { maxReplyChars: number }): LanguageModelV3Middleware {
  const check = (size: number) => checkOutputSize('the model reply', size, 'maxReplyChars', options.maxReplyChars);
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ doGenerate }) {
      const result = await doGenerate();
      let size = 0;
      for (const part of result.content)
        if (part.type === 'text' || part.type === 'reasoning') size += part.text.length;
      check(size);
      return result;
    },
    async wrapStream({ doStream }) {
      const result = await doStream();
      let size = 0;
      const transform = new TransformStream<LanguageModelV3StreamPart, LanguageModelV3StreamPart>({
        transform(part, controller) {
          if (part.type === 'text-delta' || part.type === 'reasoning-delta') {
            size += part.delta.length;
            try {
              check(size);
            } catch (error) {
              controller.error(error);
              return;
            }
          }
          controller.enqueue(part);
        },
      });
      return { ...result, stream: result.stream.pipeThrough(transform) };
    },
  };
}

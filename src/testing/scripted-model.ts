import { APICallError, type LanguageModelV3, type LanguageModelV3CallOptions, type LanguageModelV3GenerateResult } from '@ai-sdk/provider';

/** What a scripted call does: answer, fail with a status, or hang until aborted. */
export type ScriptStep = string | { status: number; retryAfterMs?: number; retryAfter?: string } | { hang: true } | { error: unknown };

/**
 * A `LanguageModelV3` that follows a script, one step per call (the last step
 * repeats), and records every call's options. For middleware tests.
 */
export function scriptedModel(script: ScriptStep[], options: { delayMs?: number } = {}) {
  const calls: LanguageModelV3CallOptions[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const model: LanguageModelV3 = {
    specificationVersion: 'v3',
    provider: 'test',
    modelId: 'scripted',
    supportedUrls: {},
    async doGenerate(params): Promise<LanguageModelV3GenerateResult> {
      const step = script[Math.min(calls.length, script.length - 1)]!;
      calls.push(params);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
        if (typeof step === 'string') {
          return {
            content: [{ type: 'text', text: step }],
            finishReason: { unified: 'stop', raw: 'stop' },
            usage: { inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 20, text: 20, reasoning: 0 } },
            warnings: [],
          };
        }
        if ('hang' in step) {
          return await new Promise<never>((_, reject) => params.abortSignal?.addEventListener('abort', () => reject(params.abortSignal?.reason), { once: true }));
        }
        if ('error' in step) throw step.error;
        const headers: Record<string, string> = {};
        if (step.retryAfterMs !== undefined) headers['retry-after-ms'] = String(step.retryAfterMs);
        if (step.retryAfter !== undefined) headers['retry-after'] = step.retryAfter;
        throw new APICallError({ message: `status ${step.status}`, url: 'test://', requestBodyValues: {}, statusCode: step.status, responseHeaders: headers, isRetryable: step.status === 429 || step.status >= 500 });
      } finally {
        inFlight--;
      }
    },
    async doStream() {
      throw new Error('scripted model does not stream');
    },
  };
  return { model, calls, stats: () => ({ maxInFlight, calls: calls.length }) };
}

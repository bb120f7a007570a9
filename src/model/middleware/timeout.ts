import type { LanguageModelV3CallOptions, LanguageModelV3Middleware } from '@ai-sdk/provider';
import { AbortedError, ModelTimeoutError } from '../../errors/index.js';

/**
 * Per-call timeout combined with the caller's abort signal: the inner model
 * gets a signal that fires on either, and the call rejects promptly even if
 * the inner model ignores its signal.
 */
export function timeoutMiddleware(options: { timeoutMs: number }): LanguageModelV3Middleware {
  async function guarded<T>(params: LanguageModelV3CallOptions, call: (params: LanguageModelV3CallOptions) => PromiseLike<T>): Promise<T> {
    const outer = params.abortSignal;
    if (outer?.aborted) throw new AbortedError();
    const controller = new AbortController();
    let rejectEarly: (error: unknown) => void = () => {};
    const early = new Promise<never>((_, reject) => {
      rejectEarly = reject;
    });
    const timer = setTimeout(() => {
      const error = new ModelTimeoutError({ timeoutMs: options.timeoutMs });
      controller.abort(error);
      rejectEarly(error);
    }, options.timeoutMs);
    const onAbort = () => {
      const error = new AbortedError();
      controller.abort(error);
      rejectEarly(error);
    };
    outer?.addEventListener('abort', onAbort, { once: true });
    try {
      return await Promise.race([call({ ...params, abortSignal: controller.signal }), early]);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    }
  }
  return {
    specificationVersion: 'v3',
    wrapGenerate: ({ params, model }) => guarded(params, (p) => model.doGenerate(p)),
    wrapStream: ({ params, model }) => guarded(params, (p) => model.doStream(p)),
  };
}

import type { LanguageModelV3CallOptions, LanguageModelV3Middleware } from '@ai-sdk/provider';
import { AbortedError, ModelTimeoutError } from '../../errors/index.js';
import { watchStream } from './watch-stream.js';

/** The signal handed to the inner model, linked to the timer and the caller's signal until `unlink`. */
interface CallGuard {
  signal: AbortSignal;
  /** Rejects with the timeout or abort error as soon as either happens. */
  interrupted: Promise<never>;
  /** Stops the timer and forgets the caller's signal. */
  unlink: () => void;
}

function guardCall(outer: AbortSignal | undefined, timeoutMs: number): CallGuard {
  const controller = new AbortController();
  let rejectEarly: (error: unknown) => void = () => {};
  const interrupted = new Promise<never>((_, reject) => {
    rejectEarly = reject;
  });
  interrupted.catch(() => {}); // observed by whoever races it; never an unhandled rejection
  const stop = (error: Error) => {
    controller.abort(error);
    rejectEarly(error);
  };
  const timer = setTimeout(() => stop(new ModelTimeoutError({ timeoutMs })), timeoutMs);
  const onAbort = () => stop(new AbortedError());
  outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    interrupted,
    unlink: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Per-call timeout combined with the caller's abort signal: the inner model
 * gets a signal that fires on either, and the call rejects promptly even if
 * the inner model ignores its signal. `timeoutMs` bounds the whole call: for a
 * streamed response the timer and the caller's signal stay linked until the
 * stream's last part (or its error or cancellation), not only until the
 * response headers, so a stalled body fails with a {@link ModelTimeoutError}
 * and an abort mid-body fails it with an {@link AbortedError}.
 */
export function timeoutMiddleware(options: { timeoutMs: number }): LanguageModelV3Middleware {
  const start = (params: LanguageModelV3CallOptions): CallGuard => {
    if (params.abortSignal?.aborted) throw new AbortedError();
    return guardCall(params.abortSignal, options.timeoutMs);
  };
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ params, model }) {
      const guard = start(params);
      try {
        return await Promise.race([model.doGenerate({ ...params, abortSignal: guard.signal }), guard.interrupted]);
      } finally {
        guard.unlink();
      }
    },
    async wrapStream({ params, model }) {
      const guard = start(params);
      try {
        const call = model.doStream({ ...params, abortSignal: guard.signal });
        const result = await Promise.race([call, guard.interrupted]);
        const stream = watchStream(result.stream, { interrupt: guard.interrupted, onEnd: guard.unlink });
        return { ...result, stream };
      } catch (error) {
        guard.unlink();
        throw error;
      }
    },
  };
}

import {
  APICallError,
  type LanguageModelV3,
  type LanguageModelV3CallOptions,
  type LanguageModelV3GenerateResult,
  type LanguageModelV3StreamPart,
  type LanguageModelV3Usage,
} from '@ai-sdk/provider';

/**
 * What a scripted call does: answer with a text; fail with an HTTP status; hang until aborted; throw an
 * error; or, when streamed, send the headers and a `partial` text and then stall until aborted
 * (`then: 'stall'`; with `ignoreAbort` it stalls for ever) or fail the body (`then: { error }`).
 * A non-streaming call of a `partial` step fails with the step's error or hangs.
 */
export type ScriptStep =
  | string
  | { status: number; retryAfterMs?: number; retryAfter?: string }
  | { hang: true }
  | { error: unknown }
  | { partial: string; then: 'stall' | { error: unknown }; ignoreAbort?: boolean };

const usage: LanguageModelV3Usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 20, text: 20, reasoning: 0 },
};

const stop = { unified: 'stop', raw: 'stop' } as const;

const abortReason = (signal: AbortSignal | undefined) => signal?.reason ?? new Error('aborted');

/** Waits until the signal fires (for ever without one, or when told to ignore it). */
function stall(signal: AbortSignal | undefined, ignoreAbort = false): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (!signal || ignoreAbort) return;
    if (signal.aborted) return reject(abortReason(signal));
    signal.addEventListener('abort', () => reject(abortReason(signal)), { once: true });
  });
}

/** Throws or hangs as a failing step says (everything but a text answer). */
async function fail(step: Exclude<ScriptStep, string>, signal: AbortSignal | undefined): Promise<never> {
  if ('hang' in step) return stall(signal);
  if ('partial' in step) {
    if (step.then === 'stall') return stall(signal, step.ignoreAbort);
    throw step.then.error;
  }
  if ('error' in step) throw step.error;
  const headers: Record<string, string> = {};
  if (step.retryAfterMs !== undefined) headers['retry-after-ms'] = String(step.retryAfterMs);
  if (step.retryAfter !== undefined) headers['retry-after'] = step.retryAfter;
  throw new APICallError({
    message: `status ${step.status}`,
    url: 'test://',
    requestBodyValues: {},
    statusCode: step.status,
    responseHeaders: headers,
    isRetryable: step.status === 429 || step.status >= 500,
  });
}

/**
 * A `LanguageModelV3` that follows a script, one step per call (the last step
 * repeats), and records every call's options. For middleware tests: it
 * answers `doGenerate` and `doStream`, and counts calls in flight (a streamed
 * call stays in flight until its stream ends, fails or is cancelled).
 */
export function scriptedModel(script: ScriptStep[], options: { delayMs?: number } = {}) {
  const calls: LanguageModelV3CallOptions[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let streamsOpen = 0;
  const begin = (params: LanguageModelV3CallOptions): ScriptStep => {
    const step = script[Math.min(calls.length, script.length - 1)]!;
    calls.push(params);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return step;
  };
  const delay = async () => {
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
  };

  /** The body of a streamed answer: the parts, then a clean end, a stall or an error. */
  const body = (step: string | Extract<ScriptStep, { partial: string }>, signal: AbortSignal | undefined) => {
    const text = typeof step === 'string' ? step : step.partial;
    const parts: LanguageModelV3StreamPart[] = [
      { type: 'stream-start', warnings: [] },
      { type: 'text-start', id: '0' },
      { type: 'text-delta', id: '0', delta: text },
    ];
    if (typeof step === 'string')
      parts.push({ type: 'text-end', id: '0' }, { type: 'finish', usage, finishReason: stop });
    let ended = false;
    streamsOpen++;
    const end = () => {
      if (ended) return;
      ended = true;
      streamsOpen--;
      inFlight--;
    };
    return new ReadableStream<LanguageModelV3StreamPart>(
      {
        async pull(controller) {
          const part = parts.shift();
          if (part) return controller.enqueue(part);
          try {
            if (typeof step !== 'string') await fail(step, signal);
            controller.close();
          } catch (error) {
            controller.error(error);
          }
          end();
        },
        cancel: end,
      },
      { highWaterMark: 0 },
    );
  };

  const model: LanguageModelV3 = {
    specificationVersion: 'v3',
    provider: 'test',
    modelId: 'scripted',
    supportedUrls: {},
    async doGenerate(params): Promise<LanguageModelV3GenerateResult> {
      const step = begin(params);
      try {
        await delay();
        if (typeof step !== 'string') return await fail(step, params.abortSignal);
        return { content: [{ type: 'text', text: step }], finishReason: stop, usage, warnings: [] };
      } finally {
        inFlight--;
      }
    },
    async doStream(params) {
      const step = begin(params);
      try {
        await delay();
        if (typeof step === 'string' || 'partial' in step) return { stream: body(step, params.abortSignal) };
        return await fail(step, params.abortSignal);
      } catch (error) {
        inFlight--;
        throw error;
      }
    },
  };
  return { model, calls, stats: () => ({ maxInFlight, calls: calls.length, inFlight, streamsOpen }) };
}

import type { LanguageModelV3CallOptions, LanguageModelV3Middleware, LanguageModelV3Usage } from '@ai-sdk/provider';
import { AbortedError } from '../../errors/index.js';
import { abortableSleep } from './retry.js';
import { watchStream } from './watch-stream.js';

/** Options of {@link createModelLimiter}. */
export interface LimiterOptions {
  /** Maximum calls in flight. */
  concurrency: number;
  /** Maximum calls started in any 60-second window. */
  requestsPerMinute?: number;
  /** Maximum tokens (estimated before, corrected after each call) per 60 seconds. */
  tokensPerMinute?: number;
  /** Clock in ms (replace in tests). */
  now?: () => number;
  /** Sleep used while waiting for the rate window (replace in tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** A permit to make one call; release it with the call's actual token use. */
export interface Permit {
  release(actualTokens?: number): void;
}

/** Shared limits of one model: every agent using the model shares one limiter. */
export interface ModelLimiter {
  acquire(estimatedTokens: number, signal?: AbortSignal): Promise<Permit>;
  readonly inFlight: number;
  readonly maxInFlight: number;
  readonly queued: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
  cancelled: boolean;
}

/**
 * Creates a limiter: an exact FIFO concurrency cap (a waiter that is aborted
 * leaves the queue at once), a sliding one-minute window of request starts,
 * and a token bucket for tokens per minute. O(1) per call when uncontended.
 */
export function createModelLimiter(options: LimiterOptions): ModelLimiter {
  const cap = Math.max(1, Math.floor(options.concurrency));
  const now = options.now ?? Date.now;
  const queue: Waiter[] = [];
  let head = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const starts: number[] = [];
  let startsHead = 0;
  const tpm = options.tokensPerMinute;
  let bucket = tpm ?? 0;
  let bucketAt = now();

  const refill = () => {
    if (!tpm) return;
    const t = now();
    bucket = Math.min(tpm, bucket + ((t - bucketAt) * tpm) / 60_000);
    bucketAt = t;
  };

  const nextWaiter = (): Waiter | undefined => {
    while (head < queue.length) {
      const w = queue[head++]!;
      if (!w.cancelled) return w;
    }
    queue.length = 0;
    head = 0;
    return undefined;
  };

  const releaseSlot = () => {
    const next = nextWaiter();
    if (next)
      next.resolve(); // the slot passes straight to the next waiter
    else inFlight--;
  };

  const waitForSlot = (signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted) return Promise.reject(new AbortedError());
    if (inFlight < cap) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        cancelled: false,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          maxInFlight = Math.max(maxInFlight, inFlight);
          resolve();
        },
        reject,
      };
      const onAbort = () => {
        waiter.cancelled = true;
        reject(new AbortedError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });
  };

  const sleep = options.sleep ?? abortableSleep;

  const waitForRate = async (estimated: number, signal?: AbortSignal) => {
    for (;;) {
      let waitMs = 0;
      const t = now();
      if (options.requestsPerMinute) {
        while (startsHead < starts.length && starts[startsHead]! <= t - 60_000) startsHead++;
        if (startsHead > 1024 && startsHead * 2 > starts.length) {
          starts.splice(0, startsHead);
          startsHead = 0;
        }
        if (starts.length - startsHead >= options.requestsPerMinute)
          waitMs = Math.max(waitMs, starts[startsHead]! + 60_000 - t);
      }
      if (tpm) {
        refill();
        const need = Math.min(estimated, tpm);
        if (bucket < need) waitMs = Math.max(waitMs, ((need - bucket) * 60_000) / tpm);
      }
      if (waitMs <= 0) break;
      await sleep(Math.ceil(waitMs), signal);
    }
    if (options.requestsPerMinute) starts.push(now());
    if (tpm) bucket -= Math.min(estimated, tpm);
  };

  return {
    async acquire(estimatedTokens, signal) {
      await waitForSlot(signal);
      try {
        if (options.requestsPerMinute || tpm) await waitForRate(estimatedTokens, signal);
      } catch (error) {
        releaseSlot();
        throw error;
      }
      let released = false;
      return {
        release(actualTokens) {
          if (released) return;
          released = true;
          if (tpm && actualTokens !== undefined) {
            refill();
            bucket = Math.min(tpm, bucket + Math.min(estimatedTokens, tpm) - actualTokens);
          }
          releaseSlot();
        },
      };
    },
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    get queued() {
      return queue.length - head;
    },
  };
}

/** Estimated tokens of a call before it is made: prompt size plus the output cap (or 1,024). */
export function estimateCallTokens(
  params: LanguageModelV3CallOptions,
  defaultOutput = 1024,
): { input: number; output: number } {
  let chars = 0;
  for (const message of params.prompt) {
    if (typeof message.content === 'string') chars += message.content.length;
    else for (const part of message.content) if (part.type === 'text') chars += part.text.length;
  }
  return { input: Math.ceil(chars / 4), output: params.maxOutputTokens ?? defaultOutput };
}

/** Total tokens a provider reported. */
export function usageTokens(usage: LanguageModelV3Usage): number {
  return (usage.inputTokens.total ?? 0) + (usage.outputTokens.total ?? 0);
}

/** Applies a shared limiter to every call of a model. */
export function limitsMiddleware(limiter: ModelLimiter): LanguageModelV3Middleware {
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ doGenerate, params }) {
      const estimate = estimateCallTokens(params);
      const permit = await limiter.acquire(estimate.input + estimate.output, params.abortSignal);
      let actual: number | undefined;
      try {
        const result = await doGenerate();
        actual = usageTokens(result.usage);
        return result;
      } finally {
        permit.release(actual);
      }
    },
    async wrapStream({ doStream, params }) {
      const estimate = estimateCallTokens(params);
      const permit = await limiter.acquire(estimate.input + estimate.output, params.abortSignal);
      try {
        const result = await doStream();
        // the slot is held until the stream ends, however it ends: read out, failed or cancelled
        const stream = watchStream(result.stream, {
          onPart: (part) => {
            if (part.type === 'finish') permit.release(usageTokens(part.usage));
          },
          onEnd: () => permit.release(),
        });
        return { ...result, stream };
      } catch (error) {
        permit.release();
        throw error;
      }
    },
  };
}

import {
  APICallError,
  EmptyResponseBodyError,
  InvalidResponseDataError,
  JSONParseError,
  TypeValidationError,
  type LanguageModelV3Middleware,
} from '@ai-sdk/provider';
import { sleep } from '../../common/index.js';
import { AbortedError, ModelCallError, ModelTimeoutError } from '../../errors/index.js';

/** Options of {@link retryMiddleware}. */
export interface RetryOptions {
  /** Attempts per call, including the first. Default 5. */
  maxAttempts?: number;
  /** First backoff delay in ms; doubles per attempt. Default 500. */
  baseDelayMs?: number;
  /** Upper bound of one backoff delay in ms. Default 30 000. */
  maxDelayMs?: number;
  /** Upper bound of a server's Retry-After that is honoured; longer ones fail the call. Default 120 000. */
  maxRetryAfterMs?: number;
  /** Source of randomness for jitter (seed it in tests). */
  random?: () => number;
  /** Sleep function (replace in tests). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called before each retry. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown; statusCode?: number }) => void;
}

/** Why an error is (not) worth retrying. */
export interface RetryDecision {
  retry: boolean;
  statusCode?: number;
  /** Delay the server asked for, in ms. */
  retryAfterMs?: number;
}

const networkCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Parses `retry-after-ms` or `retry-after` (seconds or an HTTP date). */
export function retryAfterMs(headers: Record<string, string> | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const ms = Number(lower['retry-after-ms']);
  if (lower['retry-after-ms'] !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
  const value = lower['retry-after'];
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && networkCodes.has(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isMalformed(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (
      JSONParseError.isInstance(current) ||
      InvalidResponseDataError.isInstance(current) ||
      TypeValidationError.isInstance(current) ||
      EmptyResponseBodyError.isInstance(current)
    )
      return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Classifies an error: retry on 408, 409, 429, 5xx, network errors, timeouts and malformed responses. */
export function classifyError(error: unknown): RetryDecision {
  if (AbortedError.isInstance(error)) return { retry: false };
  if (ModelTimeoutError.isInstance(error)) return { retry: true };
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const after = retryAfterMs(error.responseHeaders);
    const base = {
      ...(status !== undefined ? { statusCode: status } : {}),
      ...(after !== undefined ? { retryAfterMs: after } : {}),
    };
    if (status === undefined) return { retry: error.isRetryable || networkCode(error) !== undefined, ...base };
    // a 2xx whose body could not be parsed (truncated JSON) is a transport fault: try again
    if (status >= 200 && status < 300) return { retry: isMalformed(error), ...base };
    return { retry: status === 408 || status === 409 || status === 429 || status >= 500, ...base };
  }
  if (isMalformed(error)) return { retry: true };
  if (error instanceof TypeError && /fetch failed|terminated|network/i.test(error.message)) return { retry: true };
  if (networkCode(error)) return { retry: true };
  return { retry: false };
}

/** Sleeps `ms`, rejecting early with {@link AbortedError} when `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return sleep(ms, signal).catch((error: unknown) => {
    throw AbortedError.isInstance(error) ? error : new AbortedError({ cause: error });
  });
}

/**
 * Retries failed calls with exponential backoff and jitter, waiting at least
 * as long as a server's Retry-After. No retry on other 4xx errors or when the
 * caller aborted. After the last attempt it throws {@link ModelCallError}.
 */
export function retryMiddleware(options: RetryOptions = {}): LanguageModelV3Middleware {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const base = options.baseDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 30_000;
  const maxRetryAfter = options.maxRetryAfterMs ?? 120_000;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? abortableSleep;

  async function withRetry<T>(call: () => PromiseLike<T>, signal: AbortSignal | undefined): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (signal?.aborted) throw AbortedError.isInstance(error) ? error : new AbortedError({ cause: error });
        const decision = classifyError(error);
        const status = decision.statusCode !== undefined ? { statusCode: decision.statusCode } : {};
        if (!decision.retry) {
          if (AbortedError.isInstance(error) || ModelCallError.isInstance(error)) throw error;
          throw new ModelCallError({
            message: `model call failed: ${(error as Error).message ?? String(error)}`,
            attempts: attempt,
            ...status,
            cause: error,
          });
        }
        if (attempt >= maxAttempts || (decision.retryAfterMs ?? 0) > maxRetryAfter) {
          throw new ModelCallError({
            message: `model call failed after ${attempt} attempt${attempt > 1 ? 's' : ''}: ${(error as Error).message ?? String(error)}`,
            attempts: attempt,
            ...status,
            cause: error,
          });
        }
        const backoff = Math.min(maxDelay, base * 2 ** (attempt - 1));
        const jittered = backoff / 2 + random() * (backoff / 2);
        const delayMs = Math.max(jittered, decision.retryAfterMs ?? 0);
        options.onRetry?.({ attempt, delayMs, error, ...status });
        await sleep(delayMs, signal);
      }
    }
  }

  return {
    specificationVersion: 'v3',
    wrapGenerate: ({ doGenerate, params }) => withRetry(doGenerate, params.abortSignal),
    wrapStream: ({ doStream, params }) => withRetry(doStream, params.abortSignal),
  };
}

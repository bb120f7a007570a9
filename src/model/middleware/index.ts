import type { LanguageModelV3, LanguageModelV3Middleware } from '@ai-sdk/provider';
import { wrapLanguageModel } from 'ai';
import type { PriceEntry } from '../../config/index.js';
import { BudgetGuard, budgetMiddleware } from './budget.js';
import { limitsMiddleware, type ModelLimiter } from './limits.js';
import { resolvePrice } from './prices.js';
import { replySizeMiddleware } from './reply-size.js';
import { retryMiddleware, type RetryOptions } from './retry.js';
import { telemetryMiddleware, type TelemetryOptions } from './telemetry.js';
import { timeoutMiddleware } from './timeout.js';
import { usageMiddleware, type UsageTracker } from './usage.js';

export {
  retryMiddleware,
  classifyError,
  retryAfterMs,
  abortableSleep,
  type RetryOptions,
  type RetryDecision,
} from './retry.js';
export { timeoutMiddleware } from './timeout.js';
export { replySizeMiddleware } from './reply-size.js';
export {
  createModelLimiter,
  limitsMiddleware,
  estimateCallTokens,
  type ModelLimiter,
  type LimiterOptions,
  type Permit,
} from './limits.js';
export {
  UsageTracker,
  usageMiddleware,
  agentOf,
  type UsageTotals,
  type UsageSnapshot,
  type CallUsage,
} from './usage.js';
export { BudgetGuard, budgetMiddleware, type BudgetLimits, type SpendSource } from './budget.js';
export { defaultPrices, resolvePrice, callCost } from './prices.js';
export {
  telemetryMiddleware,
  resolveTelemetry,
  telemetryTracerName,
  type TelemetryOptions,
  type TelemetryMiddleware,
  type TelemetryConfig,
} from './telemetry.js';

/** Options of {@link buildModelStack}. */
export interface ModelStackOptions {
  model: LanguageModelV3;
  /** Model key for prices and usage, e.g. `openai:gpt-4o-mini` or `sim`. Default `provider:modelId`. */
  name?: string;
  tracker: UsageTracker;
  limiter: ModelLimiter;
  retry?: RetryOptions;
  /** Per-call timeout, ms. */
  timeoutMs: number;
  /** Characters of one reply; a longer one fails with `OUTPUT_TOO_LARGE` and is never journaled. Default no cap. */
  maxReplyChars?: number;
  /** The run's budget guard (shared by all models); or limits to create one. */
  budget?: BudgetGuard | { maxUsd?: number; maxTokens?: number };
  prices?: Record<string, PriceEntry>;
  /** Outermost middleware, e.g. the run journal, so a replayed call costs nothing and waits for nothing. */
  journal?: LanguageModelV3Middleware;
  /**
   * Middleware placed just inside the limits, where a call is really sent (the journal's pending marker, a queue
   * worker's shared limiter), outermost first.
   */
  sent?: LanguageModelV3Middleware | LanguageModelV3Middleware[];
  /**
   * OpenTelemetry spans, one per model call (see {@link telemetryMiddleware}).
   * Default false: no spans. With an object, spans go to the global tracer
   * provider (or `tracer`), so a user's OpenTelemetry SDK receives them.
   */
  telemetry?: TelemetryOptions | false;
}

/**
 * Wraps a provider model in crosstalk's middleware, outermost first:
 * telemetry → journal → reply size → budget → usage → retry → limits → (telemetry
 * attempt, sent) → timeout → model. Usage sits outside retry so a call is
 * counted once however many attempts it took; limits sit inside retry so a
 * call waiting out its backoff holds no slot. Telemetry is outermost so its
 * span covers everything a caller waits for (queueing for a slot, backoff)
 * and also replayed calls, marked `crosstalk.replayed`, so a resumed run's
 * trace still shows every call; its attempt half sits where calls leave.
 */
export function buildModelStack(options: ModelStackOptions): LanguageModelV3 {
  const name =
    options.name ??
    (options.model.provider === 'sim' ? 'sim' : `${options.model.provider.split('.')[0]}:${options.model.modelId}`);
  const price = resolvePrice(name, options.prices);
  const guard =
    options.budget instanceof BudgetGuard ? options.budget : new BudgetGuard(options.budget ?? {}, options.tracker);
  const telemetry = options.telemetry ? telemetryMiddleware({ ...options.telemetry, model: name }) : undefined;
  const middleware: LanguageModelV3Middleware[] = [
    ...(telemetry ? [telemetry.call] : []),
    ...(options.journal ? [options.journal] : []),
    // inside the journal: a reply over the cap is never stored
    ...(options.maxReplyChars !== undefined ? [replySizeMiddleware({ maxReplyChars: options.maxReplyChars })] : []),
    budgetMiddleware({ guard, price }),
    usageMiddleware({ tracker: options.tracker, model: name, price }),
    retryMiddleware({
      ...options.retry,
      onRetry: (info) => {
        options.tracker.recordRetry(name);
        options.retry?.onRetry?.(info);
      },
    }),
    limitsMiddleware(options.limiter),
    ...(telemetry ? [telemetry.attempt] : []),
    ...(options.sent ? [options.sent].flat() : []),
    timeoutMiddleware({ timeoutMs: options.timeoutMs }),
  ];
  return wrapLanguageModel({ model: options.model, middleware });
}

import type { LanguageModelV3CallOptions, LanguageModelV3Middleware } from '@ai-sdk/provider';
import type { PriceEntry } from '../../config/index.js';
import { BudgetExceededError } from '../../errors/index.js';
import { estimateCallTokens } from './limits.js';
import { callCost } from './prices.js';
import { watchStream } from './watch-stream.js';
import type { UsageTracker } from './usage.js';

/** Limits of one run. */
export interface BudgetLimits {
  maxUsd?: number;
  maxTokens?: number;
}

/** Where a guard reads what has been spent: a run's usage tracker, or one team's share of it. */
export interface SpendSource {
  spent(): { usd: number; tokens: number };
}

/**
 * Shared budget state of a run: what calls in flight have reserved, and
 * whether the budget has tripped. One per run, shared by every model.
 */
export class BudgetGuard {
  private reservedUsd = 0;
  private reservedTokens = 0;
  private tripped: BudgetExceededError | undefined;
  constructor(
    readonly limits: BudgetLimits,
    private readonly tracker: UsageTracker | SpendSource,
    /** Spent by earlier sessions of the same run (a resumed run's budget covers the whole run). */
    private readonly spentBefore: { usd: number; tokens: number } = { usd: 0, tokens: 0 },
    /** Whose share this guard keeps (e.g. a team's); its errors name it. Default: the whole run's. */
    private readonly scope?: string,
  ) {}

  /** Spent by the whole run so far (earlier sessions included): USD of known prices, and tokens. */
  spent(): { usd: number; tokens: number } {
    const now = this.tracker.spent();
    return { usd: now.usd + this.spentBefore.usd, tokens: now.tokens + this.spentBefore.tokens };
  }

  /** Calls waiting for calls in flight to settle before they know whether they fit. */
  private readonly waiting: Array<() => void> = [];

  /**
   * Reserves a call's projected cost and returns a release function. A call
   * that would cross a limit by itself trips the budget (every later call
   * then fails the same way); a call that crosses it only because of what
   * calls in flight have reserved waits until they settle at their actual
   * cost, so many calls at once do not stop a run long before its budget.
   */
  async reserve(usd: number, tokens: number): Promise<() => void> {
    for (;;) {
      if (this.tripped) throw this.tripped;
      const spent = this.spent();
      // each limit, with what is spent, what calls in flight reserve, and what this call needs
      const checks = [
        { limit: 'usd', max: this.limits.maxUsd, spent: spent.usd, reserved: this.reservedUsd, need: usd },
        {
          limit: 'tokens',
          max: this.limits.maxTokens,
          spent: spent.tokens,
          reserved: this.reservedTokens,
          need: tokens,
        },
      ] as const;
      const crossed = checks.find((c) => c.max !== undefined && c.spent + c.need > c.max);
      if (crossed) {
        const { limit, max, spent: already, need } = crossed;
        this.tripped = new BudgetExceededError({
          limit,
          max: max!,
          spent: already,
          projected: already + need,
          ...(this.scope !== undefined ? { scope: this.scope } : {}),
        });
        this.wakeAll();
        throw this.tripped;
      }
      const fits = checks.every((c) => c.max === undefined || c.spent + c.reserved + c.need <= c.max);
      if (fits) break;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.reservedUsd += usd;
    this.reservedTokens += tokens;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reservedUsd -= usd;
      this.reservedTokens -= tokens;
      this.wakeAll();
    };
  }

  private wakeAll(): void {
    for (const wake of this.waiting.splice(0)) wake();
  }

  /** The error once the budget has tripped. */
  get exceeded(): BudgetExceededError | undefined {
    return this.tripped;
  }
}

/**
 * Stops before the call that would cross the budget: projects the call's
 * cost (prompt size, output cap or 1,024 tokens) plus what calls in flight
 * have reserved, and throws {@link BudgetExceededError} without calling the
 * model. Once tripped, every later call fails the same way.
 */
export function budgetMiddleware(options: {
  guard: BudgetGuard;
  price: PriceEntry | undefined;
  defaultOutputTokens?: number;
}): LanguageModelV3Middleware {
  const reserve = (params: LanguageModelV3CallOptions) => {
    const estimate = estimateCallTokens(params, options.defaultOutputTokens ?? 1024);
    const usd = callCost(options.price, { input: estimate.input, cachedInput: 0, output: estimate.output }) ?? 0;
    return options.guard.reserve(usd, estimate.input + estimate.output);
  };
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ doGenerate, params }) {
      const release = await reserve(params);
      try {
        return await doGenerate();
      } finally {
        release();
      }
    },
    async wrapStream({ doStream, params }) {
      const release = await reserve(params);
      try {
        const result = await doStream();
        // the reservation is held until the stream ends, however it ends: read out, failed or cancelled
        return { ...result, stream: watchStream(result.stream, { onEnd: () => release() }) };
      } catch (error) {
        release();
        throw error;
      }
    },
  };
}

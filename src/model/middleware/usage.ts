import type { LanguageModelV3CallOptions, LanguageModelV3Middleware, LanguageModelV3Usage } from '@ai-sdk/provider';
import type { PriceEntry } from '../../config/index.js';
import { callCost } from './prices.js';

/** Token and cost totals. */
export interface UsageTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  /** Sum of known costs, USD. */
  costUsd: number;
  /** False when any call had no known price (then `costUsd` is a lower bound). */
  costKnown: boolean;
  retries: number;
}

/** One recorded call. */
export interface CallUsage {
  model: string;
  agent: string;
  /** Node, phase or team the call belongs to, when the caller named one. */
  scope?: string;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costUsd: number | undefined;
  latencyMs: number;
}

/** A JSON-serializable view of the tracker. */
export interface UsageSnapshot {
  total: UsageTotals;
  perAgent: Record<string, UsageTotals>;
  perModel: Record<string, UsageTotals>;
}

const emptyTotals = (): UsageTotals => ({
  calls: 0,
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  costUsd: 0,
  costKnown: true,
  retries: 0,
});

function add(t: UsageTotals, c: CallUsage): void {
  t.calls++;
  t.inputTokens += c.inputTokens;
  t.outputTokens += c.outputTokens;
  t.cachedInputTokens += c.cachedInputTokens;
  if (c.costUsd === undefined) t.costKnown = false;
  else t.costUsd += c.costUsd;
}

/** Usage per call, per agent, per model and per run. Shared by every model of a run. */
export class UsageTracker {
  private readonly total = emptyTotals();
  private readonly perAgent = new Map<string, UsageTotals>();
  private readonly perModel = new Map<string, UsageTotals>();
  private readonly listeners: Array<(call: CallUsage) => void> = [];

  /** Records one successful logical call (retries included in it are counted separately). */
  record(call: CallUsage): void {
    add(this.total, call);
    for (const [map, key] of [
      [this.perAgent, call.agent],
      [this.perModel, call.model],
    ] as const) {
      let t = map.get(key);
      if (!t) map.set(key, (t = emptyTotals()));
      add(t, call);
    }
    for (const l of this.listeners) l(call);
  }

  /** Counts a retry attempt. */
  recordRetry(model: string): void {
    this.total.retries++;
    const t = this.perModel.get(model);
    if (t) t.retries++;
  }

  /** Calls `listener` after each recorded call. */
  onCall(listener: (call: CallUsage) => void): void {
    this.listeners.push(listener);
  }

  /** Spent so far: USD (known prices) and tokens. */
  spent(): { usd: number; tokens: number } {
    return { usd: this.total.costUsd, tokens: this.total.inputTokens + this.total.outputTokens };
  }

  snapshot(): UsageSnapshot {
    return {
      total: { ...this.total },
      perAgent: Object.fromEntries([...this.perAgent].map(([k, v]) => [k, { ...v }])),
      perModel: Object.fromEntries([...this.perModel].map(([k, v]) => [k, { ...v }])),
    };
  }
}

/** The agent name crosstalk passes in `providerOptions.crosstalk.agent`. */
export function agentOf(params: LanguageModelV3CallOptions): string {
  const agent = (params.providerOptions?.crosstalk as { agent?: unknown } | undefined)?.agent;
  return typeof agent === 'string' ? agent : 'unnamed';
}

/** The scope (node, phase, team) crosstalk passes in `providerOptions.crosstalk.scope`, if any. */
export function scopeOf(params: LanguageModelV3CallOptions): string | undefined {
  const scope = (params.providerOptions?.crosstalk as { scope?: unknown } | undefined)?.scope;
  return typeof scope === 'string' ? scope : undefined;
}

/** Token counts of a provider usage object (missing numbers count as zero). */
export function usageCounts(usage: LanguageModelV3Usage): { input: number; output: number; cachedInput: number } {
  return {
    input: usage.inputTokens.total ?? 0,
    output: usage.outputTokens.total ?? 0,
    cachedInput: usage.inputTokens.cacheRead ?? 0,
  };
}

/**
 * Records each successful call once (outside retries): tokens, cost from
 * the price table (undefined when unknown), latency, per agent and model.
 */
export function usageMiddleware(options: {
  tracker: UsageTracker;
  model: string;
  price: PriceEntry | undefined;
}): LanguageModelV3Middleware {
  const record = (params: LanguageModelV3CallOptions, usage: LanguageModelV3Usage, started: number) => {
    const counts = usageCounts(usage);
    const scope = scopeOf(params);
    options.tracker.record({
      model: options.model,
      agent: agentOf(params),
      ...(scope !== undefined ? { scope } : {}),
      inputTokens: counts.input,
      outputTokens: counts.output,
      cachedInputTokens: counts.cachedInput,
      costUsd: callCost(options.price, counts),
      latencyMs: performance.now() - started,
    });
  };
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ doGenerate, params }) {
      const started = performance.now();
      const result = await doGenerate();
      record(params, result.usage, started);
      return result;
    },
    async wrapStream({ doStream, params }) {
      const started = performance.now();
      const result = await doStream();
      const transform = new TransformStream({
        transform(part, controller) {
          if (part.type === 'finish') record(params, part.usage, started);
          controller.enqueue(part);
        },
      });
      return { ...result, stream: result.stream.pipeThrough(transform) };
    },
  };
}

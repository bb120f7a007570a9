import type { LanguageModelV3Middleware } from '@ai-sdk/provider';
import { wrapLanguageModel } from 'ai';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scriptedModel, type ScriptStep } from '../../testing/index.js';
import { AbortedError, BudgetExceededError, ModelCallError, ModelTimeoutError } from '../../errors/index.js';
import { complete } from '../complete.js';
import { SimulatedModel } from '../sim/index.js';
import { BudgetGuard, budgetMiddleware } from './budget.js';
import { buildModelStack } from './index.js';
import { createModelLimiter, limitsMiddleware } from './limits.js';
import { callCost, resolvePrice } from './prices.js';
import { classifyError, retryAfterMs, retryMiddleware } from './retry.js';
import { timeoutMiddleware } from './timeout.js';
import { UsageTracker, usageMiddleware } from './usage.js';

const ask = (model: Parameters<typeof complete>[0], signal?: AbortSignal) =>
  complete(model, { messages: [{ role: 'user', content: 'hello' }], agent: 'tester', ...(signal ? { signal } : {}) });

function withRetry(script: ScriptStep[], maxAttempts = 4) {
  const sleeps: number[] = [];
  const scripted = scriptedModel(script);
  const model = wrapLanguageModel({
    model: scripted.model,
    middleware: retryMiddleware({
      maxAttempts,
      baseDelayMs: 100,
      random: () => 0.5,
      sleep: async (ms) => void sleeps.push(ms),
    }),
  });
  return { model, sleeps, calls: scripted.calls };
}

describe('retryMiddleware', () => {
  it('retries 429 and 5xx with growing backoff, then succeeds', async () => {
    const { model, sleeps, calls } = withRetry([{ status: 429 }, { status: 503 }, { status: 500 }, 'ok']);
    expect((await ask(model)).text).toBe('ok');
    expect(calls).toHaveLength(4);
    expect(sleeps).toEqual([75, 150, 300]); // equal jitter at random() = 0.5: 3/4 of 100·2^k
  });

  it('waits at least the Retry-After a server sends (ms header, seconds header)', async () => {
    const { model, sleeps } = withRetry([{ status: 429, retryAfterMs: 1234 }, { status: 429, retryAfter: '2' }, 'ok']);
    await ask(model);
    expect(sleeps).toEqual([1234, 2000]);
  });

  it.each([400, 401, 403, 404, 422])('does not retry a %i', async (status) => {
    const { model, calls } = withRetry([{ status }, 'ok']);
    await expect(ask(model)).rejects.toBeInstanceOf(ModelCallError);
    expect(calls).toHaveLength(1);
  });

  it.each([408, 409])('retries a %i', async (status) => {
    const { model, calls } = withRetry([{ status }, 'ok']);
    await ask(model);
    expect(calls).toHaveLength(2);
  });

  it('gives up after maxAttempts with a ModelCallError carrying the status', async () => {
    const { model, calls } = withRetry([{ status: 500 }], 3);
    const error = await ask(model).catch((e: unknown) => e);
    expect(ModelCallError.isInstance(error)).toBe(true);
    expect((error as ModelCallError).attempts).toBe(3);
    expect((error as ModelCallError).statusCode).toBe(500);
    expect(calls).toHaveLength(3);
  });

  it('classifies network errors, timeouts and malformed responses as retryable', () => {
    expect(classifyError(Object.assign(new Error('socket'), { code: 'ECONNRESET' })).retry).toBe(true);
    expect(classifyError(new TypeError('fetch failed')).retry).toBe(true);
    expect(classifyError(new ModelTimeoutError({ timeoutMs: 5 })).retry).toBe(true);
    expect(classifyError(new AbortedError()).retry).toBe(false);
    expect(classifyError(new Error('some bug')).retry).toBe(false);
    expect(retryAfterMs({ 'Retry-After': new Date(Date.now() + 3000).toUTCString() })).toBeGreaterThan(1000);
  });

  it('does not retry when the caller aborted', async () => {
    const controller = new AbortController();
    const scripted = scriptedModel([{ status: 500 }, 'ok']);
    // the caller gives up while the retry waits out its 10 s backoff
    const model = wrapLanguageModel({
      model: scripted.model,
      middleware: retryMiddleware({ baseDelayMs: 10_000, onRetry: () => controller.abort() }),
    });
    const started = Date.now();
    await expect(ask(model, controller.signal)).rejects.toBeInstanceOf(AbortedError);
    expect(scripted.calls).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(5000); // the backoff was cut short
  });
});

describe('timeoutMiddleware', () => {
  it('turns a hung call into a ModelTimeoutError and aborts the inner call', async () => {
    const scripted = scriptedModel([{ hang: true }]);
    const model = wrapLanguageModel({ model: scripted.model, middleware: timeoutMiddleware({ timeoutMs: 30 }) });
    await expect(ask(model)).rejects.toBeInstanceOf(ModelTimeoutError);
    expect(scripted.calls[0]!.abortSignal?.aborted).toBe(true);
  });

  it('rejects promptly on caller abort even if the inner model ignores its signal', async () => {
    let reached!: () => void;
    const innerCalled = new Promise<void>((resolve) => (reached = resolve));
    const ignoring: LanguageModelV3Middleware = {
      specificationVersion: 'v3',
      wrapGenerate: () => {
        reached();
        return new Promise(() => {});
      },
    };
    const model = wrapLanguageModel({
      model: new SimulatedModel(),
      middleware: [timeoutMiddleware({ timeoutMs: 60_000 }), ignoring],
    });
    const controller = new AbortController();
    const pending = ask(model, controller.signal);
    await innerCalled;
    const aborted = Date.now();
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    expect(Date.now() - aborted).toBeLessThan(5000); // far from the 60 s timeout
  });
});

describe('limits', () => {
  it('never exceeds the concurrency cap (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 40 }),
        async (cap, delays) => {
          const limiter = createModelLimiter({ concurrency: cap });
          let inFlight = 0;
          let max = 0;
          await Promise.all(
            delays.map(async (d) => {
              const permit = await limiter.acquire(1);
              inFlight++;
              max = Math.max(max, inFlight);
              await new Promise((r) => setTimeout(r, d));
              inFlight--;
              permit.release();
            }),
          );
          expect(max).toBeLessThanOrEqual(cap);
          expect(limiter.maxInFlight).toBeLessThanOrEqual(cap);
          expect(max).toBe(Math.min(cap, delays.length));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('serves waiters first in, first out and drops an aborted waiter from the queue', async () => {
    const limiter = createModelLimiter({ concurrency: 1 });
    const first = await limiter.acquire(1);
    const order: string[] = [];
    const controller = new AbortController();
    const b = limiter.acquire(1, controller.signal).then((p) => (order.push('b'), p));
    const c = limiter.acquire(1).then((p) => (order.push('c'), p));
    controller.abort();
    await expect(b).rejects.toBeInstanceOf(AbortedError);
    first.release();
    (await c).release();
    expect(order).toEqual(['c']);
    expect(limiter.inFlight).toBe(0);
  });

  it('holds requests beyond the per-minute limit until the window moves', async () => {
    let now = 0;
    const waits: number[] = [];
    const limiter = createModelLimiter({
      concurrency: 10,
      requestsPerMinute: 2,
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
      },
    });
    (await limiter.acquire(1)).release();
    now = 1_000;
    (await limiter.acquire(1)).release();
    now = 2_000;
    (await limiter.acquire(1)).release();
    // the third start had to wait until the first left the window (at 60 s)
    expect(waits).toEqual([58_000]);
    expect(now).toBe(60_000);
  });

  it('applies the cap through the middleware', async () => {
    const scripted = scriptedModel(['ok'], { delayMs: 5 });
    const model = wrapLanguageModel({
      model: scripted.model,
      middleware: limitsMiddleware(createModelLimiter({ concurrency: 3 })),
    });
    await Promise.all(Array.from({ length: 20 }, () => ask(model)));
    expect(scripted.stats().maxInFlight).toBe(3);
  });
});

describe('usage and prices', () => {
  it('records tokens and cost per agent and per model', async () => {
    const tracker = new UsageTracker();
    const price = resolvePrice('openai:gpt-4o-mini');
    const model = wrapLanguageModel({
      model: scriptedModel(['ok']).model,
      middleware: usageMiddleware({ tracker, model: 'openai:gpt-4o-mini', price }),
    });
    await ask(model);
    await ask(model);
    const snap = tracker.snapshot();
    expect(snap.total).toMatchObject({ calls: 2, inputTokens: 20, outputTokens: 40, costKnown: true });
    expect(snap.total.costUsd).toBeCloseTo((20 * 0.15 + 40 * 0.6) / 1e6, 12);
    expect(snap.perAgent.tester?.calls).toBe(2);
  });

  it('matches dated snapshots by prefix and marks unknown prices as unknown', () => {
    expect(resolvePrice('openai:gpt-4o-mini-2024-07-18')).toEqual(resolvePrice('openai:gpt-4o-mini'));
    expect(resolvePrice('ollama:llama3')).toBeUndefined();
    expect(resolvePrice('ollama:llama3', { 'ollama:llama3': { input: 0, output: 0 } })).toEqual({
      input: 0,
      output: 0,
    });
    expect(callCost(undefined, { input: 1, output: 1, cachedInput: 0 })).toBeUndefined();
  });

  it('counts a retried call once', async () => {
    const tracker = new UsageTracker();
    const scripted = scriptedModel([{ status: 500 }, { status: 429 }, 'ok']);
    const model = buildModelStack({
      model: scripted.model,
      tracker,
      limiter: createModelLimiter({ concurrency: 2 }),
      retry: { baseDelayMs: 1 },
      timeoutMs: 1000,
    });
    await ask(model);
    expect(scripted.calls).toHaveLength(3);
    expect(tracker.snapshot().total).toMatchObject({ calls: 1, retries: 2, inputTokens: 10 });
  });
});

describe('budget', () => {
  it('stops before the call that would cross the limit, and stays stopped', async () => {
    const tracker = new UsageTracker();
    const sim = new SimulatedModel();
    // sim is priced at $0.50 / $1.50 per million; each call here reserves ~1,027 tokens ≈ $0.0015
    const model = buildModelStack({
      model: sim,
      tracker,
      limiter: createModelLimiter({ concurrency: 1 }),
      timeoutMs: 1000,
      budget: { maxUsd: 0.002 },
    });
    let completed = 0;
    let error: unknown;
    for (let i = 0; i < 30; i++) {
      try {
        await ask(model);
        completed++;
      } catch (e) {
        error = e;
        break;
      }
    }
    expect(BudgetExceededError.isInstance(error)).toBe(true);
    expect(sim.stats.calls).toBe(completed); // the refused call never reached the model
    expect(completed).toBeGreaterThan(0);
    expect(tracker.spent().usd).toBeLessThanOrEqual(0.002);
    await expect(ask(model)).rejects.toBeInstanceOf(BudgetExceededError);
    expect(sim.stats.calls).toBe(completed);
  });

  it('makes a call that fits only once the calls in flight settle wait for them, and refuses one that never fits', async () => {
    const tracker = new UsageTracker();
    const guard = new BudgetGuard({ maxTokens: 2500 }, tracker);
    const scripted = scriptedModel(['ok'], { delayMs: 20 });
    let inFlight = 0;
    let peak = 0;
    const counting: LanguageModelV3Middleware = {
      specificationVersion: 'v3',
      wrapGenerate: async ({ doGenerate }) => {
        peak = Math.max(peak, ++inFlight);
        try {
          return await doGenerate();
        } finally {
          inFlight--;
        }
      },
    };
    const model = wrapLanguageModel({
      model: scripted.model,
      middleware: [budgetMiddleware({ guard, price: undefined }), counting],
    });
    const results = await Promise.allSettled([ask(model), ask(model), ask(model)]);
    // each call reserves ~1,026 tokens: two fit under 2,500 at once; the third waits for them instead of stopping the run
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(peak).toBe(2);
    expect(guard.exceeded).toBeUndefined();
    const small = new BudgetGuard({ maxTokens: 1000 }, tracker);
    const tooBig = wrapLanguageModel({
      model: scripted.model,
      middleware: budgetMiddleware({ guard: small, price: undefined }),
    });
    await expect(ask(tooBig)).rejects.toThrow(/^budget reached: spent 0 tokens of 1000 tokens/);
  });
});

describe('budget with many calls in flight', () => {
  it('spends most of the budget with 64 calls at once instead of stopping at what their reservations project', async () => {
    const tracker = new UsageTracker();
    const maxUsd = 0.01;
    const model = buildModelStack({
      model: new SimulatedModel({ seed: 1, latency: { kind: 'fixed', ms: 2 } }),
      name: 'sim',
      tracker,
      limiter: createModelLimiter({ concurrency: 64 }),
      timeoutMs: 30_000,
      budget: { maxUsd },
      prices: { sim: { input: 1, output: 2 } },
    });
    // each call reserves about $0.002 (its prompt and 1,024 output tokens) but costs a tenth of that
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        complete(model, { messages: [{ role: 'user', content: `Say something about ${i}.` }] }),
      ),
    );
    const stops = results.filter((r) => r.status === 'rejected');
    expect(stops.length).toBeGreaterThan(0);
    expect(stops.every((r) => BudgetExceededError.isInstance((r as PromiseRejectedResult).reason))).toBe(true);
    const spent = tracker.spent().usd;
    expect(spent).toBeLessThanOrEqual(maxUsd);
    // before, the 6th reservation tripped the budget with almost nothing spent
    expect(spent).toBeGreaterThan(maxUsd * 0.5);
    const message = ((stops[0] as PromiseRejectedResult).reason as Error).message;
    expect(message).toMatch(
      /^budget reached: spent \$0\.0\d{3} of \$0\.0100; the next call would bring it to about \$0\.01\d{2}$/,
    );
  });
});

import type { LanguageModelV3, LanguageModelV3Middleware, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { wrapLanguageModel } from 'ai';
import { describe, expect, it } from 'vitest';
import { AbortedError, BudgetExceededError, ModelTimeoutError } from '../../errors/index.js';
import { scriptedModel, type ScriptStep } from '../../testing/index.js';
import { BudgetGuard, budgetMiddleware } from './budget.js';
import { createModelLimiter, limitsMiddleware } from './limits.js';
import { timeoutMiddleware } from './timeout.js';
import { UsageTracker } from './usage.js';

const prompt = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'hello' }] }];

async function open(model: LanguageModelV3, signal?: AbortSignal) {
  const { stream } = await model.doStream({ prompt, ...(signal ? { abortSignal: signal } : {}) });
  return stream.getReader();
}

/** Reads a stream to its end; returns the text, or the error the stream failed with. */
type PartReader = ReadableStreamDefaultReader<LanguageModelV3StreamPart>;

async function drain(reader: PartReader): Promise<{ text: string; error?: unknown }> {
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text };
      if (value.type === 'text-delta') text += value.delta;
    }
  } catch (error) {
    return { text, error };
  }
}

/** Reads parts until the first text arrives, so the stream is past its headers. */
async function readFirstText(reader: PartReader): Promise<string> {
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error('stream ended before any text');
    if (value.type === 'text-delta') return value.delta;
  }
}

const broken = (): ScriptStep => ({
  partial: 'half an answer',
  then: { error: new Error('connection reset mid-body') },
});

describe('streams and the limiter', () => {
  function limited(script: ScriptStep[]) {
    const scripted = scriptedModel(script);
    const limiter = createModelLimiter({ concurrency: 2 });
    const model = wrapLanguageModel({ model: scripted.model, middleware: limitsMiddleware(limiter) });
    return { scripted, limiter, model };
  }

  it('releases the slot when a stream fails mid-body, so two failures do not exhaust a limit of 2', async () => {
    const { limiter, model } = limited([broken(), broken(), 'third answer']);
    for (let i = 0; i < 2; i++) {
      const { text, error } = await drain(await open(model));
      expect(text).toBe('half an answer');
      expect((error as Error).message).toBe('connection reset mid-body');
    }
    expect(limiter.inFlight).toBe(0);
    expect((await drain(await open(model))).text).toBe('third answer');
    expect(limiter.inFlight).toBe(0);
  });

  it('releases the slot when the reader cancels the stream, and cancels the source', async () => {
    const { scripted, limiter, model } = limited([{ partial: 'endless', then: 'stall' }]);
    for (let i = 0; i < 2; i++) {
      const reader = await open(model);
      expect(await readFirstText(reader)).toBe('endless');
      await reader.cancel('not needed any more');
    }
    expect(limiter.inFlight).toBe(0);
    expect(scripted.stats().streamsOpen).toBe(0);
    const third = await open(model);
    expect(await readFirstText(third)).toBe('endless');
    await third.cancel();
    expect(limiter.inFlight).toBe(0);
  });

  it('holds the slot while the stream is read and gives it back at its end', async () => {
    const { limiter, model } = limited(['whole answer']);
    const reader = await open(model);
    expect(limiter.inFlight).toBe(1);
    expect(await drain(reader)).toEqual({ text: 'whole answer' });
    expect(limiter.inFlight).toBe(0);
    expect(limiter.maxInFlight).toBe(1);
  });
});

describe('streams and the budget', () => {
  it('releases a reservation when a stream fails mid-body or is cancelled', async () => {
    const tracker = new UsageTracker();
    // each call reserves about 1,026 tokens: two reservations left behind would refuse the third call
    const guard = new BudgetGuard({ maxTokens: 2500 }, tracker);
    const scripted = scriptedModel([broken(), { partial: 'endless', then: 'stall' }, 'ok']);
    const middleware = budgetMiddleware({ guard, price: undefined });
    const model = wrapLanguageModel({ model: scripted.model, middleware });
    expect((await drain(await open(model))).error).toBeInstanceOf(Error);
    const cancelled = await open(model);
    await readFirstText(cancelled);
    await cancelled.cancel();
    const third = await drain(await open(model)).catch((error: unknown) => ({ text: '', error }));
    expect(BudgetExceededError.isInstance(third.error)).toBe(false);
    expect(third).toEqual({ text: 'ok' });
  });
});

describe('streams and the timeout', () => {
  const timed = (script: ScriptStep[], timeoutMs: number, inner: LanguageModelV3Middleware[] = []) => {
    const scripted = scriptedModel(script);
    const middleware = [timeoutMiddleware({ timeoutMs }), ...inner];
    return { scripted, model: wrapLanguageModel({ model: scripted.model, middleware }) };
  };

  const failFast = { timeout: 10_000 }; // the bug these catch is a stream that hangs for ever

  it(
    'fails a body that stalls after the headers with a ModelTimeoutError and aborts the inner call',
    failFast,
    async () => {
      const { scripted, model } = timed([{ partial: 'first words', then: 'stall' }], 100);
      const { text, error } = await drain(await open(model));
      expect(text).toBe('first words');
      expect(error).toBeInstanceOf(ModelTimeoutError);
      expect(scripted.calls[0]!.abortSignal?.aborted).toBe(true);
      expect(scripted.calls[0]!.abortSignal?.reason).toBeInstanceOf(ModelTimeoutError);
    },
  );

  it(
    'fails the body at once when the caller aborts mid-stream, even if the inner ignores its signal',
    failFast,
    async () => {
      const { scripted, model } = timed([{ partial: 'first words', then: 'stall', ignoreAbort: true }], 60_000);
      const controller = new AbortController();
      const reader = await open(model, controller.signal);
      expect(await readFirstText(reader)).toBe('first words');
      const rest = drain(reader);
      controller.abort();
      const { error } = await rest;
      expect(error).toBeInstanceOf(AbortedError);
      expect(scripted.calls[0]!.abortSignal?.aborted).toBe(true);
      expect(scripted.stats().streamsOpen).toBe(0); // the stalled source was cancelled
    },
  );

  it('lets go of the caller signal once the stream has ended', async () => {
    const { scripted, model } = timed(['complete answer'], 60_000);
    const controller = new AbortController();
    expect(await drain(await open(model, controller.signal))).toEqual({ text: 'complete answer' });
    controller.abort();
    expect(scripted.calls[0]!.abortSignal?.aborted).toBe(false);
  });

  it('lets go when the reader cancels, and the source is cancelled too', async () => {
    const { scripted, model } = timed([{ partial: 'endless', then: 'stall' }], 60_000);
    const controller = new AbortController();
    const reader = await open(model, controller.signal);
    await readFirstText(reader);
    await reader.cancel();
    expect(scripted.stats().streamsOpen).toBe(0);
    controller.abort();
    expect(scripted.calls[0]!.abortSignal?.aborted).toBe(false);
  });

  it('still times out a call that hangs before its headers', failFast, async () => {
    const { scripted, model } = timed([{ hang: true }], 50);
    await expect(open(model)).rejects.toBeInstanceOf(ModelTimeoutError);
    expect(scripted.stats().inFlight).toBe(0);
  });
});

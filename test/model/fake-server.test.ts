import type { LanguageModelV3 } from '@ai-sdk/provider';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedError, BudgetExceededError, ModelTimeoutError } from '../../src/errors/index.js';
import { complete, createProviderModel, parseModelString } from '../../src/model/index.js';
import { buildModelStack, createModelLimiter, UsageTracker } from '../../src/model/middleware/index.js';
import { startFakeOpenAIServer, waitFor, type FakeServer } from '../support/index.js';
import { cleanEnv, runProcess, tempDir } from '../support/run-cli.js';

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function providerModel(url: string): LanguageModelV3 {
  return createProviderModel(parseModelString(`compatible:${url}#fake-model`), {});
}

function stack(
  model: LanguageModelV3,
  tracker: UsageTracker,
  extra: Partial<Parameters<typeof buildModelStack>[0]> = {},
) {
  return buildModelStack({
    model,
    name: 'fake',
    tracker,
    limiter: createModelLimiter({ concurrency: 16 }),
    retry: { maxAttempts: 10, baseDelayMs: 10, maxDelayMs: 200 },
    // long enough that a slow answer on a loaded machine is rarely retried, short enough that 'hang' faults end soon
    timeoutMs: 2000,
    prices: { fake: { input: 1, output: 2 } },
    ...extra,
  });
}

describe('the model stack against a fake OpenAI-compatible server', () => {
  it('gets 200 calls through 30% failures (429 with Retry-After, 500, hangs, truncated JSON), counting each exactly once', async () => {
    server = await startFakeOpenAIServer({
      faults: { rate: 0.3, kinds: ['429', '500', 'hang', 'truncated'], seed: 11 },
      retryAfter: { ms: 60 },
      latencyMs: [1, 5],
    });
    const tracker = new UsageTracker();
    const model = stack(providerModel(server.url), tracker);
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        complete(model, {
          messages: [{ role: 'user', content: `call number ${i}: say something` }],
          agent: `agent-${i % 4}`,
        }),
      ),
    );
    expect(replies.every((r) => r.text.length > 0)).toBe(true);
    const s = server.stats;
    // every fault kind was exercised
    for (const kind of ['429', '500', 'hang', 'truncated'] as const) expect(s.outcomes[kind]).toBeGreaterThan(0);
    // the server answered every call; on a loaded machine an answer may arrive after the client's timeout and be
    // asked for again, so the server may count more answers than calls, each retry counted once by the client
    expect(s.outcomes.ok).toBeGreaterThanOrEqual(200);
    const total = tracker.snapshot().total;
    expect(total.calls).toBe(200);
    const wasted = s.outcomes.ok - 200; // answered by the server after the client had given up on them
    if (wasted === 0) {
      expect(total.outputTokens).toBe(s.completionTokens);
      expect(total.inputTokens).toBe(s.promptTokens);
    }
    expect(total.retries).toBe(s.requests - 200);
    // a request that got a 429 was not retried before its Retry-After (60 ms) had passed
    const byPrompt = new Map<string, Array<{ at: number; outcome: string }>>();
    for (const entry of s.log) byPrompt.set(entry.promptKey, [...(byPrompt.get(entry.promptKey) ?? []), entry]);
    let checked = 0;
    for (const attempts of byPrompt.values()) {
      for (let i = 0; i + 1 < attempts.length; i++) {
        if (attempts[i]!.outcome !== '429') continue;
        expect(attempts[i + 1]!.at - attempts[i]!.at).toBeGreaterThanOrEqual(59);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('honours the concurrency cap exactly with 1,000 queued calls', async () => {
    server = await startFakeOpenAIServer({ latencyMs: 2, reply: () => 'ok' });
    const tracker = new UsageTracker();
    const limiter = createModelLimiter({ concurrency: 8 });
    const model = stack(providerModel(server.url), tracker, { limiter, timeoutMs: 10_000 });
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => complete(model, { messages: [{ role: 'user', content: `q${i}` }] })),
    );
    expect(server.stats.requests).toBe(1000);
    // the server never sees more than the cap; whether it sees all 8 at once depends on the OS scheduler,
    // so the cap being reached is read from the limiter's own peak
    expect(server.stats.maxInFlight).toBeLessThanOrEqual(8);
    expect(limiter.maxInFlight).toBe(8);
    expect(tracker.snapshot().total.calls).toBe(1000);
  });

  it('stops before the call that would cross the budget and never sends it', async () => {
    server = await startFakeOpenAIServer({ reply: () => 'x'.repeat(400) });
    const tracker = new UsageTracker();
    // priced at $1 / $2 per million: a call reserves about (4 + 1024×2)/1e6 ≈ $0.00205 and costs ≈ $0.000204
    const model = stack(providerModel(server.url), tracker, { budget: { maxUsd: 0.003 } });
    let completed = 0;
    let error: unknown;
    for (let i = 0; i < 50 && !error; i++) {
      try {
        await complete(model, { messages: [{ role: 'user', content: `q${i}` }] });
        completed++;
      } catch (e) {
        error = e;
      }
    }
    expect(BudgetExceededError.isInstance(error)).toBe(true);
    expect(completed).toBeGreaterThan(1);
    expect(server.stats.requests).toBe(completed);
    expect(tracker.spent().usd).toBeLessThanOrEqual(0.003);
    // the next call would have crossed: spent plus its reservation exceeds the limit
    expect(tracker.spent().usd + 0.00205).toBeGreaterThan(0.003);
  });

  it('streams through the stack', async () => {
    server = await startFakeOpenAIServer({
      reply: () => 'streamed reply text that is long enough to need several chunks',
    });
    const tracker = new UsageTracker();
    const model = stack(providerModel(server.url), tracker);
    const { stream } = await model.doStream({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
    let text = '';
    for await (const part of stream as unknown as AsyncIterable<{ type: string; delta?: string }>)
      if (part.type === 'text-delta') text += part.delta;
    expect(text).toBe('streamed reply text that is long enough to need several chunks');
    expect(tracker.snapshot().total.calls).toBe(1);
  });

  it('stops promptly when the caller aborts while the server hangs', async () => {
    server = await startFakeOpenAIServer({ script: ['hang'] });
    const model = stack(providerModel(server.url), new UsageTracker(), { timeoutMs: 60_000 });
    const controller = new AbortController();
    const pending = complete(model, { messages: [{ role: 'user', content: 'hi' }], signal: controller.signal });
    const live = server;
    await waitFor(() => live.stats.requests === 1, 'the request to reach the server');
    const aborted = Date.now();
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    // far below the 60 s timeout: the abort, not the timer, ended the call
    expect(Date.now() - aborted).toBeLessThan(10_000);
    await waitFor(() => live.stats.closedEarly === 1, 'the client to close the hung connection');
    expect(live.stats.requests).toBe(1);
  });

  describe('a streamed body that stalls after its headers', () => {
    const prompt = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'hi' }] }];
    const reply = () => 'the first forty characters arrive at once, and then the body stalls for ever';

    async function firstTextAndRest(model: LanguageModelV3, signal?: AbortSignal) {
      const { stream } = await model.doStream({ prompt, ...(signal ? { abortSignal: signal } : {}) });
      const reader = stream.getReader();
      let first = '';
      while (!first) {
        const { done, value } = await reader.read();
        if (done) throw new Error('the stream ended before any text');
        if (value.type === 'text-delta') first = value.delta;
      }
      const rest = (async () => {
        for (;;) if ((await reader.read()).done) return undefined;
      })().catch((error: unknown) => error);
      return { first, rest };
    }

    it('fails with a ModelTimeoutError, closes the connection and frees the limiter slot', async () => {
      server = await startFakeOpenAIServer({ script: ['stall', 'ok'], reply });
      const limiter = createModelLimiter({ concurrency: 1 });
      const model = stack(providerModel(server.url), new UsageTracker(), {
        limiter,
        timeoutMs: 2000,
        retry: { maxAttempts: 1 },
      });
      const { first, rest } = await firstTextAndRest(model);
      expect(first).toBe(reply().slice(0, 40));
      expect(await rest).toBeInstanceOf(ModelTimeoutError);
      expect(limiter.inFlight).toBe(0);
      const live = server;
      await waitFor(() => live.stats.closedEarly === 1, 'the client to close the stalled connection');
      const next = await complete(model, { messages: [{ role: 'user', content: 'again' }] });
      expect(next.text).toBe(reply());
    });

    it('fails with an AbortedError when the caller aborts mid-body', async () => {
      server = await startFakeOpenAIServer({ script: ['stall'], reply });
      const limiter = createModelLimiter({ concurrency: 1 });
      const model = stack(providerModel(server.url), new UsageTracker(), { limiter, timeoutMs: 60_000 });
      const controller = new AbortController();
      const { rest } = await firstTextAndRest(model, controller.signal);
      controller.abort();
      expect(await rest).toBeInstanceOf(AbortedError);
      expect(limiter.inFlight).toBe(0);
      const live = server;
      await waitFor(() => live.stats.closedEarly === 1, 'the client to close the stalled connection');
    });
  });

  it('works from the command line with the compatible: provider', async () => {
    server = await startFakeOpenAIServer();
    const result = await runProcess(
      ['ask', 'Task: a haiku about rivers.', '--model', `compatible:${server.url}#fake-model`, '--json'],
      { cwd: tempDir(), env: cleanEnv() },
    );
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as { ok: boolean; reply: string; usage: { calls: number } };
    expect(doc.ok).toBe(true);
    expect(doc.reply.length).toBeGreaterThan(10);
    expect(doc.usage.calls).toBe(1);
    expect(server.stats.requests).toBe(1);
  });

  it('works with the openai provider pointed at the server', async () => {
    server = await startFakeOpenAIServer({ reply: () => 'from openai provider' });
    const result = await runProcess(['ask', 'hi', '--model', 'openai:gpt-4o-mini', '--json'], {
      cwd: tempDir(),
      env: cleanEnv({ OPENAI_API_KEY: 'sk-test-not-real', OPENAI_BASE_URL: server.url }),
    });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { reply: string }).reply).toBe('from openai provider');
  });
});

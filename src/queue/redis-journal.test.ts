import type { LanguageModelV3CallOptions, LanguageModelV3GenerateResult } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { type HashClient, journalKey, redisJournalMiddleware, stepScope, type StepScope } from './redis-journal.js';

/** An in-memory stand-in for the Redis hash commands. */
function memoryHash(): HashClient & { data: Map<string, Map<string, string>> } {
  const data = new Map<string, Map<string, string>>();
  return {
    data,
    hget: async (key, field) => data.get(key)?.get(field) ?? null,
    hset: async (key, field, value) => {
      if (!data.has(key)) data.set(key, new Map());
      data.get(key)!.set(field, value);
      return 1;
    },
    expire: async () => 1,
  };
}

const params = (text: string): LanguageModelV3CallOptions => ({
  prompt: [{ role: 'user', content: [{ type: 'text', text }] }],
  providerOptions: { crosstalk: { scope: 'n1' } },
});

const answer = (text: string): LanguageModelV3GenerateResult => ({
  content: [{ type: 'text', text }],
  finishReason: { unified: 'stop', raw: 'stop' },
  usage: {
    inputTokens: { total: 3, noCache: 3, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: 2, text: 2, reasoning: 0 },
  },
  warnings: [],
});

describe('redisJournalMiddleware', () => {
  it("replays a step's answered calls when the step runs again after a stall, and asks anew on a retry", async () => {
    const client = memoryHash();
    const journal = redisJournalMiddleware({ client, model: 'sim' });
    let paid = 0;
    const call = (scope: StepScope, text: string) =>
      stepScope.run(scope, () =>
        journal.wrapGenerate!({
          params: params(text),
          doGenerate: async () => answer(`reply ${++paid}`),
          doStream: async () => {
            throw new Error('not used');
          },
          model: {} as never,
        }),
      );
    const run = async (attempt: number) => {
      const scope: StepScope = { runId: 'r1', attempt, occurrences: new Map(), replayed: 0 };
      // the same request twice within a step: two answers, told apart by occurrence
      const texts = [await call(scope, 'hello'), await call(scope, 'hello')].map(
        (r) => (r.content[0] as { text: string }).text,
      );
      return { texts, replayed: scope.replayed };
    };
    const first = await run(1);
    expect(first).toEqual({ texts: ['reply 1', 'reply 2'], replayed: 0 });
    // the worker died after answering: another worker runs the same attempt and pays nothing
    expect(await run(1)).toEqual({ texts: ['reply 1', 'reply 2'], replayed: 2 });
    expect(paid).toBe(2);
    // the coordinator's retry after a failure asks the model again
    expect((await run(2)).replayed).toBe(0);
    expect(paid).toBe(4);
    expect(client.data.get(journalKey('r1'))?.size).toBe(4);
  });

  it("lists every call for the coordinator's journal and replays the answers the coordinator sent first", async () => {
    const client = memoryHash();
    const journal = redisJournalMiddleware({ client, model: 'sim', price: { input: 1, output: 2 } });
    let paid = 0;
    const call = (scope: StepScope, text: string) =>
      stepScope.run(scope, () =>
        journal.wrapGenerate!({
          params: params(text),
          doGenerate: async () => answer(`reply ${++paid}`),
          doStream: async () => {
            throw new Error('not used');
          },
          model: {} as never,
        }),
      );
    const first: StepScope = { runId: 'r2', attempt: 1, occurrences: new Map(), replayed: 0, journal: [] };
    await call(first, 'hello');
    await call(first, 'hello');
    expect(first.journal!.map((e) => [e.source, e.n, e.inputTokens, e.outputTokens])).toEqual([
      ['paid', 0, 3, 2],
      ['paid', 1, 3, 2],
    ]);
    const entry = first.journal![0]!;
    expect(entry.base).toMatch(/^[0-9a-f]{64}@n1$/);
    expect(entry.costUsd).toBeCloseTo((3 * 1 + 2 * 2) / 1e6);
    expect(entry.request).toMatchObject({ model: 'sim' });

    // a resumed run: the coordinator's store holds the first answer; only the second is asked for
    const known = { [`${entry.base}#0`]: entry.response };
    const resumed: StepScope = { runId: 'r3', attempt: 1, occurrences: new Map(), replayed: 0, known, journal: [] };
    const texts = [await call(resumed, 'hello'), await call(resumed, 'hello')].map(
      (r) => (r.content[0] as { text: string }).text,
    );
    expect(texts).toEqual(['reply 1', 'reply 3']);
    expect(resumed.replayed).toBe(1);
    expect(resumed.journal!.map((e) => e.source)).toEqual(['store', 'paid']);
    expect(resumed.journal![0]!.response).toBeUndefined();
  });

  it("a fresh step's first execution only writes the journal; a re-run reads it; the TTL is set once per run", async () => {
    const client = memoryHash();
    const counts = { hget: 0, expire: 0 };
    const counting: HashClient = {
      hget: (key, field) => (counts.hget++, client.hget(key, field)),
      hset: (key, field, value) => client.hset(key, field, value),
      expire: (key, seconds) => (counts.expire++, client.expire(key, seconds)),
    };
    const journal = redisJournalMiddleware({ client: counting, model: 'sim' });
    let paid = 0;
    const call = (scope: StepScope, text: string) =>
      stepScope.run(scope, () =>
        journal.wrapGenerate!({
          params: params(text),
          doGenerate: async () => answer(`reply ${++paid}`),
          doStream: async () => {
            throw new Error('not used');
          },
          model: {} as never,
        }),
      );
    const fresh: StepScope = { runId: 'r4', attempt: 1, occurrences: new Map(), replayed: 0, fresh: true };
    await call(fresh, 'a');
    await call(fresh, 'b');
    expect(counts).toEqual({ hget: 0, expire: 1 });
    // the same step taken again after a stall: its answers are looked up and replayed
    const again: StepScope = { runId: 'r4', attempt: 1, occurrences: new Map(), replayed: 0 };
    await call(again, 'a');
    await call(again, 'b');
    expect(again.replayed).toBe(2);
    expect(paid).toBe(2);
    expect(counts).toEqual({ hget: 2, expire: 1 });
  });
});

/**
 * Testing your own pipeline offline with crosstalk's test doubles: a fake OpenAI-compatible server
 * that injects faults, and the simulated model. Written with node:test, so it runs anywhere.
 * Run: npx tsx --test examples/testing-with-doubles.ts
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { complete, generateTopology, runNetwork } from 'crosstalk';
import { SimulatedModel, startFakeOpenAIServer } from 'crosstalk/test';

test('a network gets through a flaky OpenAI-compatible server, each call counted once', async () => {
  const server = await startFakeOpenAIServer({ faults: { rate: 0.2, kinds: ['429', '500'], seed: 7 }, latencyMs: 1 });
  try {
    const run = runNetwork({
      task: 'Summarize the plot of a heist film in two sentences.',
      graph: generateTopology('tree', { n: 7, seed: 1 }),
      model: `compatible:${server.url}#fake-model`,
      timeoutMs: 10_000,
    });
    const { status, summary } = await run.result;
    assert.equal(status, 'completed');
    assert.ok(summary.answer && summary.answer.length > 0);
    assert.equal(summary.totals.calls, server.stats.outcomes.ok);
    assert.ok(server.stats.requests > summary.totals.calls, 'some calls were retried');
  } finally {
    await server.close();
  }
});

test('the simulated model is deterministic for the same seed', async () => {
  const ask = (seed: number) =>
    complete(new SimulatedModel({ seed }), { messages: [{ role: 'user', content: 'Name a colour.' }] });
  assert.equal((await ask(3)).text, (await ask(3)).text);
});

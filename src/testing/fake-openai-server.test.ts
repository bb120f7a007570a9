import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { afterEach, describe, expect, it } from 'vitest';
import { complete } from '../model/index.js';
import { drawLatencyMs } from '../model/sim/index.js';
import { seededRandom } from '../common/index.js';
import { startFakeOpenAIServer, type FakeServer } from './fake-openai-server.js';

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('fake server latency', () => {
  it('draws a heavy-tailed latency per request from its seed, in arrival order', async () => {
    const latency = { kind: 'lognormal', medianMs: 1, sigma: 1 } as const;
    const server = await startFakeOpenAIServer({ latency, latencySeed: 42 });
    servers.push(server);
    const model = createOpenAICompatible({ name: 'fake', baseURL: server.url })('fake-model');
    for (let i = 0; i < 5; i++) await complete(model, { messages: [{ role: 'user', content: `question ${i}` }] });
    const random = seededRandom(42);
    const expected = Array.from({ length: 5 }, () => drawLatencyMs(latency, random));
    expect(server.stats.log.map((e) => e.latencyMs)).toEqual(expected);
  });
});

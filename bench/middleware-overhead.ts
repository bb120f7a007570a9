import type { LanguageModelV3 } from '@ai-sdk/provider';
import { complete, SimulatedModel } from '../src/model/index.js';
import { buildModelStack, createModelLimiter, UsageTracker } from '../src/model/middleware/index.js';
import { median, percentile, printTable } from './table.js';

async function timeCalls(model: LanguageModelV3, calls: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await complete(model, {
      messages: [{ role: 'user', content: `Task: call ${i % 50}. Describe a plan.` }],
      agent: 'bench',
    });
    samples.push(performance.now() - started);
  }
  return samples;
}

/** Issue 3: per-call overhead of the whole middleware stack on the zero-latency simulated model. */
export async function benchMiddlewareOverhead(): Promise<void> {
  const calls = 4000;
  const raw = new SimulatedModel({ seed: 1 });
  const stacked = buildModelStack({
    model: new SimulatedModel({ seed: 1 }),
    tracker: new UsageTracker(),
    limiter: createModelLimiter({ concurrency: 8, requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000 }),
    retry: { maxAttempts: 5 },
    timeoutMs: 60_000,
    budget: { maxUsd: 1_000_000 },
    prices: {},
  });
  // warm up both paths so JIT compilation is not measured
  await timeCalls(raw, 500);
  await timeCalls(stacked, 500);
  // interleave rounds so machine noise hits both sides alike
  const rawSamples: number[] = [];
  const stackSamples: number[] = [];
  for (let round = 0; round < 4; round++) {
    rawSamples.push(...(await timeCalls(raw, calls / 4)));
    stackSamples.push(...(await timeCalls(stacked, calls / 4)));
  }
  const rawMedian = median(rawSamples);
  const stackMedian = median(stackSamples);
  printTable(
    'Middleware overhead per call (sim, zero latency; target: overhead median < 0.2 ms)',
    ['path', 'calls', 'median ms', 'p95 ms', 'overhead median ms', 'ratio', 'target met'],
    [
      ['raw sim model', rawSamples.length, rawMedian, percentile(rawSamples, 95), 0, 1, '-'],
      [
        'usage+budget+retry+limits+timeout',
        stackSamples.length,
        stackMedian,
        percentile(stackSamples, 95),
        stackMedian - rawMedian,
        stackMedian / rawMedian,
        stackMedian - rawMedian < 0.2 ? 'yes' : 'NO',
      ],
    ],
  );
}

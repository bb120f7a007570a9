import { rmSync } from 'node:fs';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { runInProcess, tempDir } from '../support/run-cli.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
afterAll(() => provider.shutdown());

describe('--otel', () => {
  it('gives every model call of a run a span with the run, agent and node, and none without it', async () => {
    const cwd = tempDir();
    onTestFinished(() => rmSync(cwd, { recursive: true, force: true }));
    const args = ['net', 'Write a haiku.', '--topology', 'tree', '--agents', '3', '--model', 'sim', '--json'];
    const off = await runInProcess([...args, '--out', 'off'], { cwd });
    expect(off.code).toBe(0);
    expect(exporter.getFinishedSpans()).toHaveLength(0);

    const on = await runInProcess([...args, '--out', 'on', '--otel'], { cwd });
    expect(on.code).toBe(0);
    const doc = JSON.parse(on.stdout) as { runId: string; totals: { calls: number } };
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(doc.totals.calls);
    expect(
      spans.every((s) => s.name === 'ai.generateText.doGenerate' && s.attributes['crosstalk.run.id'] === doc.runId),
    ).toBe(true);
    expect(new Set(spans.map((s) => s.attributes['crosstalk.scope']))).toEqual(new Set(['n0', 'n1', 'n2', 'output']));
    expect(
      spans.find((s) => s.attributes['crosstalk.agent'] === 'critic')?.attributes['ai.usage.outputTokens'],
    ).toBeGreaterThan(0);
  });
});

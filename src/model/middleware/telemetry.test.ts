import { SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/index.js';
import { createRuntime } from '../../runtime/index.js';
import { journalMiddleware, SqliteRunStore } from '../../store/index.js';
import { scriptedModel } from '../../testing/index.js';
import { complete } from '../complete.js';
import { SimulatedModel } from '../sim/index.js';
import {
  buildModelStack,
  createModelLimiter,
  resolveTelemetry,
  UsageTracker,
  type ModelStackOptions,
} from './index.js';

// A user's set-up: an SDK tracer provider registered globally, spans kept in memory.
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
});
beforeEach(() => exporter.reset());

function stack(overrides: Partial<ModelStackOptions> = {}) {
  return buildModelStack({
    model: new SimulatedModel({ seed: 3 }),
    tracker: new UsageTracker(),
    limiter: createModelLimiter({ concurrency: 4 }),
    retry: { baseDelayMs: 1 },
    timeoutMs: 5_000,
    ...overrides,
  });
}

const ask = (model: ReturnType<typeof stack>, agent: string, scope: string, content = `hello from ${agent}`) =>
  complete(model, { messages: [{ role: 'user', content }], agent, scope, temperature: 0.2, maxOutputTokens: 200 });

describe('telemetry middleware', () => {
  it('opens one span per call with AI SDK, gen_ai and crosstalk attributes', async () => {
    const model = stack({ telemetry: { runId: 'run-42', metadata: { team: 'blue' } } });
    const first = await ask(model, 'programmer', 'node-1');
    const second = await ask(model, 'reviewer', 'coding/team-2');

    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    expect(spans.map((s) => s.name)).toEqual(['ai.generateText.doGenerate', 'ai.generateText.doGenerate']);
    const [a, b] = spans.map((s) => s.attributes);
    expect(a).toMatchObject({
      'ai.operationId': 'ai.generateText.doGenerate',
      'operation.name': 'ai.generateText.doGenerate crosstalk',
      'ai.telemetry.functionId': 'crosstalk',
      'ai.telemetry.metadata.team': 'blue',
      'ai.model.provider': 'sim',
      'ai.model.id': 'sim',
      'ai.settings.temperature': 0.2,
      'ai.usage.inputTokens': first.inputTokens,
      'ai.usage.outputTokens': first.outputTokens,
      'ai.response.finishReason': 'stop',
      'gen_ai.system': 'sim',
      'gen_ai.request.model': 'sim',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 200,
      'gen_ai.usage.input_tokens': first.inputTokens,
      'gen_ai.usage.output_tokens': first.outputTokens,
      'gen_ai.response.finish_reasons': ['stop'],
      'crosstalk.run.id': 'run-42',
      'crosstalk.model': 'sim',
      'crosstalk.agent': 'programmer',
      'crosstalk.scope': 'node-1',
      'crosstalk.attempts': 1,
      'crosstalk.replayed': false,
    });
    expect(b).toMatchObject({
      'crosstalk.agent': 'reviewer',
      'crosstalk.scope': 'coding/team-2',
      'ai.usage.outputTokens': second.outputTokens,
    });
    // prompts and replies stay out of spans unless asked for
    expect(a).not.toHaveProperty('ai.prompt.messages');
    expect(a).not.toHaveProperty('ai.response.text');
    expect(spans.every((s) => s.status.code !== SpanStatusCode.ERROR)).toBe(true);
  });

  it('records no spans when disabled', async () => {
    await ask(stack(), 'programmer', 'node-1');
    await ask(stack({ telemetry: false }), 'programmer', 'node-1');
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('records prompt and reply when asked to', async () => {
    const reply = await ask(
      stack({ telemetry: { recordInputs: true, recordOutputs: true, functionId: 'review' } }),
      'reviewer',
      'n',
    );
    const [span] = exporter.getFinishedSpans();
    expect(span!.attributes['ai.response.text']).toBe(reply.text);
    expect(JSON.parse(String(span!.attributes['ai.prompt.messages']))).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'hello from reviewer' }] },
    ]);
    expect(span!.attributes['resource.name']).toBe('review');
  });

  it('counts retried attempts in one span, and marks a failed call as an error', async () => {
    const retried = scriptedModel([{ status: 500 }, { status: 429, retryAfterMs: 1 }, 'ok', { status: 400 }]);
    const model = stack({ model: retried.model, telemetry: {} });
    await ask(model, 'a', 's');
    await expect(ask(model, 'a', 's', 'again')).rejects.toThrow();

    const [ok, failed] = exporter.getFinishedSpans();
    expect(ok!.attributes['crosstalk.attempts']).toBe(3);
    expect(ok!.events.filter((e) => e.name === 'crosstalk.attempt')).toHaveLength(3);
    expect(ok!.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(failed!.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed!.events.some((e) => e.name === 'exception')).toBe(true);
  });

  it('marks calls the journal answered as replayed', async () => {
    const store = new SqliteRunStore(':memory:');
    const run = store.createRun({ kind: 'net', task: 't', config: {} });
    const journaled = () =>
      stack({ telemetry: { runId: run.id }, journal: journalMiddleware({ store, runId: run.id, model: 'sim' }) });
    await ask(journaled(), 'a', 'node-1');
    await ask(journaled(), 'a', 'node-1'); // a resumed session: same request, answered from the store
    store.close();

    const [sent, replayed] = exporter.getFinishedSpans().map((s) => s.attributes);
    expect(sent).toMatchObject({ 'crosstalk.replayed': false, 'crosstalk.attempts': 1 });
    expect(replayed).toMatchObject({ 'crosstalk.replayed': true, 'crosstalk.attempts': 0, 'crosstalk.run.id': run.id });
  });

  it('ends a streamed call when its stream is done', async () => {
    const model = stack({ telemetry: { recordOutputs: true } });
    const { stream } = await model.doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'stream it' }] }],
      providerOptions: { crosstalk: { agent: 'streamer' } },
    });
    expect(exporter.getFinishedSpans()).toHaveLength(0); // open while the stream is read
    let text = '';
    for await (const part of stream) if (part.type === 'text-delta') text += part.delta;
    const [span] = exporter.getFinishedSpans();
    expect(span!.name).toBe('ai.streamText.doStream');
    expect(span!.attributes).toMatchObject({
      'crosstalk.agent': 'streamer',
      'ai.response.text': text,
      'crosstalk.replayed': false,
    });
    expect(span!.attributes['ai.usage.outputTokens']).toBeGreaterThan(0);
  });
});

describe('createRuntime telemetry', () => {
  const runtime = (telemetry: unknown, option?: Parameters<typeof createRuntime>[0]['telemetry']) =>
    createRuntime({
      loaded: { config: configSchema.parse({ model: 'sim', telemetry }), file: undefined, sources: {} },
      env: {},
      ...(option ? { telemetry: option } : {}),
    });

  it('turns spans on from the config and adds the run id the caller passes', async () => {
    const rt = await runtime(true, { runId: 'run-7' });
    await complete(rt.model('programmer'), { messages: [{ role: 'user', content: 'hi' }], agent: 'programmer' });
    expect(exporter.getFinishedSpans().map((s) => s.attributes['crosstalk.run.id'])).toEqual(['run-7']);
  });

  it('leaves them off by default, and --otel (enabled) turns them on', async () => {
    await complete((await runtime(undefined, { runId: 'r' })).model(), { messages: [{ role: 'user', content: 'hi' }] });
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    await complete((await runtime(undefined, { enabled: true })).model(), {
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });
});

describe('resolveTelemetry', () => {
  const parse = (telemetry: unknown) => configSchema.parse({ telemetry }).telemetry;

  it('is off unless the config or the caller turns it on', () => {
    expect(resolveTelemetry(undefined)).toBe(false);
    expect(resolveTelemetry(parse(false), { runId: 'r' })).toBe(false);
    expect(resolveTelemetry(parse(true), { runId: 'r' })).toEqual({ runId: 'r' });
    expect(resolveTelemetry(undefined, { enabled: true, runId: 'r' })).toEqual({ runId: 'r' });
  });

  it('lets the caller (--otel) override the config and merges settings', () => {
    const config = parse({ functionId: 'nightly', metadata: { env: 'ci' } });
    expect(resolveTelemetry(config, { runId: 'r' })).toEqual({
      functionId: 'nightly',
      metadata: { env: 'ci' },
      runId: 'r',
    });
    expect(resolveTelemetry(config, { enabled: false })).toBe(false);
    expect(resolveTelemetry(parse({ enabled: false, recordInputs: true }), { enabled: true })).toEqual({
      recordInputs: true,
    });
  });

  it('rejects unknown telemetry keys in a config', () => {
    expect(() => parse({ exporter: 'otlp' })).toThrow();
  });
});

import {
  SpanStatusCode,
  trace,
  type Attributes,
  type AttributeValue,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { CrosstalkConfig } from '../../config/index.js';
import type {
  JSONObject,
  LanguageModelV3CallOptions,
  LanguageModelV3FinishReason,
  LanguageModelV3Middleware,
  LanguageModelV3StreamPart,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';

/**
 * OpenTelemetry settings of a model stack, after the AI SDK's
 * `experimental_telemetry` (`functionId`, `metadata`, `recordInputs`,
 * `recordOutputs`, `tracer`) plus crosstalk's run id. Spans go to the
 * globally registered tracer provider unless `tracer` is given; with no
 * OpenTelemetry SDK registered they are no-ops.
 */
export interface TelemetryOptions {
  /** The run every call belongs to: the `crosstalk.run.id` attribute. */
  runId?: string;
  /** Groups calls by function, as in the AI SDK: `ai.telemetry.functionId`, `resource.name`. Default `crosstalk`. */
  functionId?: string;
  /** Extra attributes, recorded as `ai.telemetry.metadata.<key>`. */
  metadata?: Record<string, AttributeValue>;
  /**
   * Record the prompt as `ai.prompt.messages` (JSON). Default false, unlike
   * the AI SDK: crosstalk prompts carry whole artifacts and codebases.
   */
  recordInputs?: boolean;
  /** Record the reply text as `ai.response.text`. Default false, for the same reason. */
  recordOutputs?: boolean;
  /** Tracer to use. Default `trace.getTracer('crosstalk')` from the global provider. */
  tracer?: Tracer;
}

/** The two halves of the telemetry middleware; see {@link telemetryMiddleware}. */
export interface TelemetryMiddleware {
  /** Opens and ends one span per logical call. Place it outermost. */
  call: LanguageModelV3Middleware;
  /** Notes each attempt really sent to the provider. Place it where a call leaves (inside retry and limits). */
  attempt: LanguageModelV3Middleware;
}

/** Name of the tracer crosstalk asks the global provider for. */
export const telemetryTracerName = 'crosstalk';

interface CallState {
  id: string;
  span: Span;
  attempts: number;
}

/** Tells stacks apart, so a stack wrapped in another keeps its own per-call ids. */
let instances = 0;

/** Reads a string from `providerOptions.crosstalk`, where `complete` puts the agent and scope. */
function crosstalkOption(params: LanguageModelV3CallOptions, key: string): string | undefined {
  const value = (params.providerOptions?.crosstalk as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** Drops undefined values: OpenTelemetry ignores them anyway, and tests read cleaner attribute maps. */
function defined(attributes: Record<string, AttributeValue | undefined>): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

function recordError(span: Span, error: unknown): void {
  if (error instanceof Error) {
    span.recordException({ name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) });
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  } else {
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
}

/**
 * One OpenTelemetry span per model call, with the attributes the AI SDK's
 * `generateText` puts on its `ai.generateText.doGenerate` span (`ai.model.*`,
 * `ai.usage.*`, `ai.response.*`, `gen_ai.*`), so tools that read AI SDK
 * traces read these too, plus `crosstalk.run.id`, `crosstalk.agent`,
 * `crosstalk.scope` (network node, team or phase), `crosstalk.attempts` and
 * `crosstalk.replayed`.
 *
 * Spans are named `ai.generateText.doGenerate` (and `ai.streamText.doStream`)
 * because each is one provider-level call: crosstalk calls the model port
 * directly, so there is no enclosing `ai.generateText` span.
 *
 * It comes in two halves sharing per-call state: `call` opens the span and
 * `attempt`, placed where a call really leaves, counts attempts; a call that
 * succeeds with no attempt was answered by the journal (`crosstalk.replayed`).
 *
 * @param options telemetry settings; `model` is crosstalk's model key (`openai:gpt-4o-mini`), recorded as `crosstalk.model`.
 */
export function telemetryMiddleware(options: TelemetryOptions & { model?: string } = {}): TelemetryMiddleware {
  const tracer = options.tracer ?? trace.getTracer(telemetryTracerName);
  const functionId = options.functionId ?? 'crosstalk';
  // per-call state travels inward as an id in providerOptions.crosstalk (the journal hashes no providerOptions)
  const idKey = `telemetryCall${instances++}`;
  const calls = new Map<string, CallState>();
  let nextId = 0;

  const startAttributes = (
    operationId: string,
    params: LanguageModelV3CallOptions,
    model: { provider: string; modelId: string },
  ): Attributes => {
    const metadata: Record<string, AttributeValue> = {};
    for (const [key, value] of Object.entries(options.metadata ?? {})) metadata[`ai.telemetry.metadata.${key}`] = value;
    return defined({
      'operation.name': `${operationId} ${functionId}`,
      'resource.name': functionId,
      'ai.operationId': operationId,
      'ai.telemetry.functionId': functionId,
      ...metadata,
      'ai.model.provider': model.provider,
      'ai.model.id': model.modelId,
      'ai.settings.maxOutputTokens': params.maxOutputTokens,
      'ai.settings.temperature': params.temperature,
      'ai.settings.seed': params.seed,
      'ai.prompt.messages': options.recordInputs ? JSON.stringify(params.prompt) : undefined,
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': model.provider,
      'gen_ai.request.model': model.modelId,
      'gen_ai.request.max_tokens': params.maxOutputTokens,
      'gen_ai.request.temperature': params.temperature,
      'gen_ai.request.top_p': params.topP,
      'gen_ai.request.top_k': params.topK,
      'gen_ai.request.seed': params.seed,
      'crosstalk.run.id': options.runId,
      'crosstalk.model': options.model,
      'crosstalk.agent': crosstalkOption(params, 'agent'),
      'crosstalk.scope': crosstalkOption(params, 'scope'),
    });
  };

  const endAttributes = (
    state: CallState,
    result: {
      usage: LanguageModelV3Usage;
      finishReason: LanguageModelV3FinishReason;
      response?: { id?: string; modelId?: string } | undefined;
      text?: string;
    },
  ): Attributes =>
    defined({
      'ai.response.finishReason': result.finishReason.unified,
      'ai.response.id': result.response?.id,
      'ai.response.model': result.response?.modelId,
      'ai.response.text': options.recordOutputs ? result.text : undefined,
      'ai.usage.inputTokens': result.usage.inputTokens.total,
      'ai.usage.outputTokens': result.usage.outputTokens.total,
      'ai.usage.cachedInputTokens': result.usage.inputTokens.cacheRead,
      'ai.usage.reasoningTokens': result.usage.outputTokens.reasoning,
      'gen_ai.response.finish_reasons': [result.finishReason.unified],
      'gen_ai.response.id': result.response?.id,
      'gen_ai.response.model': result.response?.modelId,
      'gen_ai.usage.input_tokens': result.usage.inputTokens.total,
      'gen_ai.usage.output_tokens': result.usage.outputTokens.total,
      'crosstalk.attempts': state.attempts,
      'crosstalk.replayed': state.attempts === 0,
    });

  /** Runs `fn` inside a new active span (so provider HTTP spans nest under it) with per-call state registered. */
  const withSpan = <T>(
    operationId: string,
    params: LanguageModelV3CallOptions,
    model: { provider: string; modelId: string },
    fn: (state: CallState, inner: LanguageModelV3CallOptions) => Promise<T>,
  ): Promise<T> =>
    tracer.startActiveSpan(operationId, { attributes: startAttributes(operationId, params, model) }, async (span) => {
      const id = String(nextId++);
      const state: CallState = { id, span, attempts: 0 };
      calls.set(id, state);
      const crosstalk: JSONObject = params.providerOptions?.crosstalk ?? {};
      const inner: LanguageModelV3CallOptions = {
        ...params,
        providerOptions: { ...params.providerOptions, crosstalk: { ...crosstalk, [idKey]: id } },
      };
      try {
        return await fn(state, inner);
      } catch (error) {
        calls.delete(id);
        recordError(span, error);
        span.end();
        throw error;
      }
    });

  const call: LanguageModelV3Middleware = {
    specificationVersion: 'v3',
    wrapGenerate: ({ params, model }) =>
      withSpan('ai.generateText.doGenerate', params, model, async (state, inner) => {
        const result = await model.doGenerate(inner);
        const text = result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
        state.span.setAttributes(endAttributes(state, { ...result, text }));
        calls.delete(state.id);
        state.span.end();
        return result;
      }),
    wrapStream: ({ params, model }) =>
      withSpan('ai.streamText.doStream', params, model, async (state, inner) => {
        const result = await model.doStream(inner);
        let text = '';
        let ended = false;
        const end = (error?: unknown) => {
          if (ended) return;
          ended = true;
          calls.delete(state.id);
          if (error !== undefined) recordError(state.span, error);
          state.span.end();
        };
        const observe = (part: LanguageModelV3StreamPart) => {
          if (part.type === 'text-delta') text += part.delta;
          else if (part.type === 'response-metadata') {
            state.span.setAttributes(
              defined({
                'ai.response.id': part.id,
                'ai.response.model': part.modelId,
                'gen_ai.response.id': part.id,
                'gen_ai.response.model': part.modelId,
              }),
            );
          } else if (part.type === 'finish')
            state.span.setAttributes(
              endAttributes(state, { usage: part.usage, finishReason: part.finishReason, text }),
            );
          else if (part.type === 'error') recordError(state.span, part.error);
        };
        // the span lasts until the stream is done, as the AI SDK's doStream span does; reading the
        // source ourselves (rather than pipeThrough) is what lets us see it fail or be cancelled
        const reader = result.stream.getReader();
        const stream = new ReadableStream<LanguageModelV3StreamPart>({
          async pull(controller) {
            try {
              const next = await reader.read();
              if (next.done) {
                end();
                controller.close();
                return;
              }
              observe(next.value);
              controller.enqueue(next.value);
            } catch (error) {
              end(error);
              controller.error(error);
            }
          },
          async cancel(reason) {
            state.span.addEvent('crosstalk.cancelled');
            end();
            await reader.cancel(reason);
          },
        });
        return { ...result, stream };
      }),
  };

  const noteAttempt = (params: LanguageModelV3CallOptions) => {
    const id = crosstalkOption(params, idKey);
    const state = id === undefined ? undefined : calls.get(id);
    if (!state) return;
    state.attempts++;
    state.span.addEvent('crosstalk.attempt', { 'crosstalk.attempt': state.attempts });
  };
  const attempt: LanguageModelV3Middleware = {
    specificationVersion: 'v3',
    wrapGenerate: ({ doGenerate, params }) => {
      noteAttempt(params);
      return doGenerate();
    },
    wrapStream: ({ doStream, params }) => {
      noteAttempt(params);
      return doStream();
    },
  };

  return { call, attempt };
}

/** The `telemetry` key of a crosstalk config file. */
export type TelemetryConfig = CrosstalkConfig['telemetry'];

/**
 * Telemetry settings of a run from the config's `telemetry` key and the
 * caller's settings: `enabled` (e.g. `--otel`) overrides the config's on/off;
 * the other settings (e.g. the run id) are merged over the config's.
 *
 * @returns the settings for {@link telemetryMiddleware}, or false when telemetry is off.
 */
export function resolveTelemetry(
  config: TelemetryConfig,
  overrides: TelemetryOptions & { enabled?: boolean } = {},
): TelemetryOptions | false {
  const { enabled: configEnabled, ...fromConfig } = typeof config === 'object' ? config : { enabled: config === true };
  const { enabled, ...settings } = overrides;
  return (enabled ?? configEnabled) ? { ...fromConfig, ...settings } : false;
}

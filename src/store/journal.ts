import { createHash } from 'node:crypto';
import type { LanguageModelV3CallOptions, LanguageModelV3GenerateResult, LanguageModelV3Middleware, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import type { RunStore } from './run-store.js';

/** Counters of one journal. */
export interface JournalStats {
  /** Calls answered from the store (free). */
  replayed: number;
  /** Calls sent to the model and recorded. */
  recorded: number;
}

/** Options of {@link journalMiddleware}. */
export interface JournalOptions {
  store: RunStore;
  runId: string;
  /** The model string, part of the request hash. */
  model: string;
  /** Also answer from other runs' identical requests (`--cache`). */
  crossRun?: boolean;
  stats?: JournalStats;
  /** Called after a journal hit, so totals can count replays. */
  onReplay?: (record: { agent: string | null; inputTokens: number; outputTokens: number }) => void;
}

/**
 * Hash of everything that determines a model's answer: model, prompt and
 * sampling settings (not the abort signal, headers or crosstalk's own
 * accounting options).
 */
export function requestHash(model: string, params: LanguageModelV3CallOptions): string {
  const { prompt, temperature, maxOutputTokens, topP, topK, seed, stopSequences, responseFormat, presencePenalty, frequencyPenalty, tools, toolChoice } = params;
  const key = JSON.stringify({ model, prompt, temperature, maxOutputTokens, topP, topK, seed, stopSequences, responseFormat, presencePenalty, frequencyPenalty, tools, toolChoice });
  return createHash('sha256').update(key).digest('hex');
}

type StoredResponse = Pick<LanguageModelV3GenerateResult, 'content' | 'finishReason' | 'usage' | 'warnings'>;

function agentOf(params: LanguageModelV3CallOptions): string | null {
  const agent = (params.providerOptions?.crosstalk as { agent?: unknown } | undefined)?.agent;
  return typeof agent === 'string' ? agent : null;
}

/**
 * The model-call journal: every call is looked up by the hash of its full
 * request before it is sent; a hit is answered from the store at zero cost.
 * Identical requests within a run are told apart by an occurrence number, so
 * a run that asks the same thing twice gets two recorded answers, and a
 * resumed run replays them in the same order. This is what makes resume free.
 */
export function journalMiddleware(options: JournalOptions): LanguageModelV3Middleware {
  const occurrences = new Map<string, number>();
  const stats = options.stats ?? { replayed: 0, recorded: 0 };
  const lookup = (params: LanguageModelV3CallOptions) => {
    const hash = requestHash(options.model, params);
    const n = occurrences.get(hash) ?? 0;
    occurrences.set(hash, n + 1);
    const key = `${hash}#${n}`;
    const hit = options.store.findCall(options.runId, key) ?? (options.crossRun ? options.store.findCallAnyRun(hash) : undefined);
    return { hash, key, hit };
  };
  const replay = (hit: NonNullable<ReturnType<typeof lookup>['hit']>): StoredResponse => {
    stats.replayed++;
    options.onReplay?.({ agent: hit.agent, inputTokens: hit.inputTokens, outputTokens: hit.outputTokens });
    return hit.response as StoredResponse;
  };
  const record = (params: LanguageModelV3CallOptions, hash: string, key: string, response: StoredResponse, latencyMs: number) => {
    stats.recorded++;
    options.store.putCall({
      runId: options.runId,
      key,
      requestHash: hash,
      model: options.model,
      agent: agentOf(params),
      request: { prompt: params.prompt, temperature: params.temperature, maxOutputTokens: params.maxOutputTokens, seed: params.seed },
      response,
      inputTokens: response.usage.inputTokens.total ?? 0,
      outputTokens: response.usage.outputTokens.total ?? 0,
      costUsd: null,
      latencyMs,
      at: Date.now(),
    });
  };
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ doGenerate, params }) {
      const { hash, key, hit } = lookup(params);
      if (hit) return { ...replay(hit), response: { id: `replay-${key.slice(0, 12)}` } };
      const started = performance.now();
      const result = await doGenerate();
      record(params, hash, key, { content: result.content, finishReason: result.finishReason, usage: result.usage, warnings: result.warnings }, performance.now() - started);
      return result;
    },
    async wrapStream({ doStream, params }) {
      const { hash, key, hit } = lookup(params);
      if (hit) {
        const stored = replay(hit);
        const text = stored.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
        const parts: LanguageModelV3StreamPart[] = [
          { type: 'stream-start', warnings: [] },
          { type: 'text-start', id: '0' },
          { type: 'text-delta', id: '0', delta: text },
          { type: 'text-end', id: '0' },
          { type: 'finish', usage: stored.usage, finishReason: stored.finishReason },
        ];
        return { stream: new ReadableStream({ start: (c) => { for (const p of parts) c.enqueue(p); c.close(); } }) };
      }
      const started = performance.now();
      const result = await doStream();
      let text = '';
      const transform = new TransformStream<LanguageModelV3StreamPart, LanguageModelV3StreamPart>({
        transform(part, controller) {
          if (part.type === 'text-delta') text += part.delta;
          if (part.type === 'finish') {
            record(params, hash, key, { content: [{ type: 'text', text }], finishReason: part.finishReason, usage: part.usage, warnings: [] }, performance.now() - started);
          }
          controller.enqueue(part);
        },
      });
      return { ...result, stream: result.stream.pipeThrough(transform) };
    },
  };
}

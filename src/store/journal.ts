import type {
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3Middleware,
  LanguageModelV3StreamPart,
} from '@ai-sdk/provider';
import { callCost } from '../model/middleware/prices.js';
import type { RunStore } from './run-store.js';
import { sha256Hex } from './sha256.js';

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
  /** Price of the model, to record each call's cost (undefined: unknown). */
  price?: { input: number; output: number; cachedInput?: number } | undefined;
  /**
   * Keys already in the store for this run, loaded once; look-ups of other
   * keys are answered from memory (a new run has none). Without it, every
   * call queries the store.
   */
  knownKeys?: ReadonlySet<string>;
  /** Also answer from other runs' identical requests (`--cache`). */
  crossRun?: boolean;
  stats?: JournalStats;
  /** Called after a journal hit, so totals can count replays. */
  onReplay?: (record: { agent: string | null; model: string; inputTokens: number; outputTokens: number }) => void;
  /** Called when an answered call is recorded, so totals can be kept without reading the store back. */
  onRecord?: (record: { inputTokens: number; outputTokens: number; costUsd: number | null }) => void;
}

/**
 * Hash of everything that determines a model's answer: model, prompt and
 * sampling settings (not the abort signal, headers or crosstalk's own
 * accounting options).
 */
export function requestHash(model: string, params: LanguageModelV3CallOptions): string {
  return requestIdentity(model, params).hash;
}

/** The request fields that decide an answer, in the order the canonical JSON lists them (stored hashes depend on it). */
const identityFields = [
  'prompt',
  'temperature',
  'maxOutputTokens',
  'topP',
  'topK',
  'seed',
  'stopSequences',
  'responseFormat',
  'presencePenalty',
  'frequencyPenalty',
  'tools',
  'toolChoice',
] as const;

/**
 * The request's identity (what the journal stores) and the hash of its canonical JSON. Queue workers use it to
 * hand the coordinator journal entries it stores as its own.
 */
export function requestIdentity(
  model: string,
  params: LanguageModelV3CallOptions,
): { hash: string; request: Record<string, unknown> } {
  const request: Record<string, unknown> = { model };
  for (const key of identityFields) request[key] = params[key];
  return { hash: sha256Hex(JSON.stringify(request)), request };
}

type StoredResponse = Pick<LanguageModelV3GenerateResult, 'content' | 'finishReason' | 'usage' | 'warnings'>;

function agentOf(params: LanguageModelV3CallOptions): string | null {
  const agent = (params.providerOptions?.crosstalk as { agent?: unknown } | undefined)?.agent;
  return typeof agent === 'string' ? agent : null;
}

function withJournalKey(params: LanguageModelV3CallOptions, key: string): LanguageModelV3CallOptions {
  const crosstalk = (params.providerOptions?.crosstalk ?? {}) as Record<string, unknown>;
  return { ...params, providerOptions: { ...params.providerOptions, crosstalk: { ...crosstalk, journalKey: key } } };
}

/**
 * Marks a journaled call as pending while it is really out with the
 * provider (place it inside the limits, so calls waiting for a slot do not
 * count). A process that dies leaves its pending marks behind: those calls
 * were paid and their answers lost, and resume counts them. The mark is
 * committed with the other writes of the same event-loop turn rather than
 * before the request leaves, so a crash within that turn can miss it.
 */
export function pendingMarkerMiddleware(options: { store: RunStore; runId: string }): LanguageModelV3Middleware {
  const keyOf = (params: LanguageModelV3CallOptions) => {
    const key = (params.providerOptions?.crosstalk as { journalKey?: unknown } | undefined)?.journalKey;
    return typeof key === 'string' ? key : undefined;
  };
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ doGenerate, params }) {
      const key = keyOf(params);
      if (key) {
        options.store.markPending(options.runId, key);
        void options.store.flushSoon().catch(() => {}); // committed within this event-loop turn
      }
      try {
        return await doGenerate();
      } catch (error) {
        if (key) options.store.clearPending(options.runId, key);
        throw error;
      }
    },
    async wrapStream({ doStream, params }) {
      const key = keyOf(params);
      if (key) {
        options.store.markPending(options.runId, key);
        void options.store.flushSoon().catch(() => {});
      }
      try {
        return await doStream();
      } catch (error) {
        if (key) options.store.clearPending(options.runId, key);
        throw error;
      }
    },
  };
}

/** Tokens and cost of one answered call. */
function usageOf(
  price: JournalOptions['price'],
  usage: LanguageModelV3GenerateResult['usage'],
): { inputTokens: number; outputTokens: number; costUsd: number | null } {
  const inputTokens = usage.inputTokens.total ?? 0;
  const outputTokens = usage.outputTokens.total ?? 0;
  const cachedInput = usage.inputTokens.cacheRead ?? 0;
  return {
    inputTokens,
    outputTokens,
    costUsd: callCost(price, { input: inputTokens, cachedInput, output: outputTokens }) ?? null,
  };
}

/**
 * Stands in for the journal when the store keeps nothing (`--store none`):
 * no request is hashed, looked up or recorded; answered calls are only
 * counted, so the run's totals stay right.
 */
export function callCounterMiddleware(
  options: Pick<JournalOptions, 'price' | 'stats' | 'onRecord'>,
): LanguageModelV3Middleware {
  const stats = options.stats ?? { replayed: 0, recorded: 0 };
  const count = (usage: LanguageModelV3GenerateResult['usage']) => {
    stats.recorded++;
    options.onRecord?.(usageOf(options.price, usage));
  };
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ doGenerate }) {
      const result = await doGenerate();
      count(result.usage);
      return result;
    },
    async wrapStream({ doStream }) {
      const result = await doStream();
      const transform = new TransformStream<LanguageModelV3StreamPart, LanguageModelV3StreamPart>({
        transform(part, controller) {
          if (part.type === 'finish') count(part.usage);
          controller.enqueue(part);
        },
      });
      return { ...result, stream: result.stream.pipeThrough(transform) };
    },
  };
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
    const { hash, request } = requestIdentity(options.model, params);
    // identical requests are told apart by where they come from (node, phase, team) and their order there,
    // so a resumed run finds each node's own answers whatever order the nodes run in
    const scope = (params.providerOptions?.crosstalk as { scope?: unknown } | undefined)?.scope;
    const base = typeof scope === 'string' ? `${hash}@${scope}` : hash;
    const n = occurrences.get(base) ?? 0;
    occurrences.set(base, n + 1);
    const key = `${base}#${n}`;
    const known = options.knownKeys === undefined || options.knownKeys.has(key);
    const hit =
      (known ? options.store.findCall(options.runId, key) : undefined) ??
      (options.crossRun ? options.store.findCallAnyRun(hash) : undefined);
    return { hash, request, key, hit };
  };
  const replay = (hit: NonNullable<ReturnType<typeof lookup>['hit']>): StoredResponse => {
    stats.replayed++;
    options.onReplay?.({
      agent: hit.agent,
      model: hit.model,
      inputTokens: hit.inputTokens,
      outputTokens: hit.outputTokens,
    });
    return hit.response as StoredResponse;
  };
  const record = (
    params: LanguageModelV3CallOptions,
    hash: string,
    request: Record<string, unknown>,
    key: string,
    response: StoredResponse,
    latencyMs: number,
  ) => {
    stats.recorded++;
    const { inputTokens, outputTokens, costUsd } = usageOf(options.price, response.usage);
    options.onRecord?.({ inputTokens, outputTokens, costUsd });
    options.store.putCall({
      runId: options.runId,
      key,
      requestHash: hash,
      model: options.model,
      agent: agentOf(params),
      request,
      response,
      inputTokens,
      outputTokens,
      costUsd,
      latencyMs,
      at: Date.now(),
    });
  };
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ params, model }) {
      const { hash, request, key, hit } = lookup(params);
      if (hit) return { ...replay(hit), response: { id: `replay-${key.slice(0, 12)}` } };
      const started = performance.now();
      // the key travels inward so the pending marker can note the moment the call is really sent
      const result = await model.doGenerate(withJournalKey(params, key));
      record(
        params,
        hash,
        request,
        key,
        { content: result.content, finishReason: result.finishReason, usage: result.usage, warnings: result.warnings },
        performance.now() - started,
      );
      return result;
    },
    async wrapStream({ params, model }) {
      const { hash, request, key, hit } = lookup(params);
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
        return {
          stream: new ReadableStream({
            start: (c) => {
              for (const p of parts) c.enqueue(p);
              c.close();
            },
          }),
        };
      }
      const started = performance.now();
      const result = await model.doStream(withJournalKey(params, key));
      let text = '';
      const transform = new TransformStream<LanguageModelV3StreamPart, LanguageModelV3StreamPart>({
        transform(part, controller) {
          if (part.type === 'text-delta') text += part.delta;
          if (part.type === 'finish') {
            record(
              params,
              hash,
              request,
              key,
              { content: [{ type: 'text', text }], finishReason: part.finishReason, usage: part.usage, warnings: [] },
              performance.now() - started,
            );
          }
          controller.enqueue(part);
        },
      });
      return { ...result, stream: result.stream.pipeThrough(transform) };
    },
  };
}

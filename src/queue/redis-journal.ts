import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3Middleware,
} from '@ai-sdk/provider';
import { callCost } from '../model/middleware/index.js';
import { requestIdentity } from '../store/index.js';
import { queuePrefix, type StepJournalEntry } from './step-job.js';

/** The few Redis hash commands the journal needs (a BullMQ worker's client has them). */
export interface HashClient {
  hget(key: string, field: string): Promise<string | null>;
  hset(key: string, field: string, value: string): Promise<number>;
  expire(key: string, seconds: number): Promise<number>;
}

/** The step a model call belongs to, set by the worker around each job. */
export interface StepScope {
  runId: string;
  /** The coordinator's attempt of the step: a retry after a failure asks anew, a re-run after a stall replays. */
  attempt: number;
  /** Occurrences of each request within this execution of the step (identical requests are told apart). */
  occurrences: Map<string, number>;
  replayed: number;
  /** Answers the coordinator's run store holds for this step, by `<base>#<n>` (sent with the step). */
  known?: Record<string, unknown>;
  /** Every call of this execution, in the order asked, for the coordinator's run store (filled when present). */
  journal?: StepJournalEntry[];
  /**
   * No earlier execution of this step can have written its answers to the Redis journal (the step's first
   * execution in a session that began with an empty journal): the journal is not looked up, only written.
   */
  fresh?: boolean;
}

/** The step being worked on in the current async context. */
export const stepScope = new AsyncLocalStorage<StepScope>();

/** The Redis key of a run's call journal. */
export const journalKey = (runId: string) => `${queuePrefix}:journal:${runId}`;

/** A run's Redis journal is dropped about a day after its last write. */
const journalTtlSeconds = 24 * 3600;
/**
 * How often a worker renews a run's journal TTL, ms: once per run at its first write, then at most this often
 * (not on every call: that was one more Redis command per call). The journal lives 24 h less this after the
 * last write at worst.
 */
const journalTtlRenewMs = 10 * 60_000;

type StoredResponse = Pick<LanguageModelV3GenerateResult, 'content' | 'finishReason' | 'usage' | 'warnings'>;

/**
 * The workers' shared call journal: each answered call of a step is written to the run's Redis hash under the
 * hash of its request, its scope (the node) and its occurrence; a step re-run on another worker (its first
 * worker died) replays those answers instead of paying for them again. Answers the coordinator sent with the
 * step (its run store's, on resume) are replayed first. Every call is listed in the scope's `journal`, so the
 * coordinator can store it as its own. Only model replies travel: never keys.
 */
export function redisJournalMiddleware(options: {
  client: HashClient;
  model: string;
  /** The model's price, so journal entries carry their cost. */
  price?: { input: number; output: number; cachedInput?: number } | undefined;
}): LanguageModelV3Middleware {
  const baseOf = (params: LanguageModelV3CallOptions) => {
    const { hash, request } = requestIdentity(options.model, params);
    const node = (params.providerOptions?.crosstalk as { scope?: unknown } | undefined)?.scope;
    return { hash, request, base: `${hash}${typeof node === 'string' ? `@${node}` : ''}` };
  };
  const agentOf = (params: LanguageModelV3CallOptions) => {
    const agent = (params.providerOptions?.crosstalk as { agent?: unknown } | undefined)?.agent;
    return typeof agent === 'string' ? agent : null;
  };
  const usageOf = (response: StoredResponse) => {
    const inputTokens = response.usage.inputTokens.total ?? 0;
    const outputTokens = response.usage.outputTokens.total ?? 0;
    const cachedInput = response.usage.inputTokens.cacheRead ?? 0;
    const cost = callCost(options.price, { input: inputTokens, cachedInput, output: outputTokens });
    return { inputTokens, outputTokens, costUsd: cost ?? null };
  };
  // when each run's journal TTL was last set by this middleware
  const ttlSetAt = new Map<string, number>();
  const renewTtl = (runId: string, key: string): Promise<unknown> | undefined => {
    const now = Date.now();
    const last = ttlSetAt.get(runId);
    if (last !== undefined && now - last < journalTtlRenewMs) return undefined;
    ttlSetAt.set(runId, now);
    for (const [id, at] of ttlSetAt) if (now - at > journalTtlSeconds * 1000) ttlSetAt.delete(id);
    return options.client.expire(key, journalTtlSeconds).catch((error: unknown) => {
      ttlSetAt.delete(runId); // set it again on the next write
      throw error;
    });
  };
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ params, doGenerate }) {
      const scope = stepScope.getStore();
      if (!scope) return doGenerate();
      const { hash, request, base } = baseOf(params);
      const n = scope.occurrences.get(base) ?? 0;
      scope.occurrences.set(base, n + 1);
      const entry = { base, n, requestHash: hash, model: options.model, agent: agentOf(params) };
      const known = scope.known?.[`${base}#${n}`] as StoredResponse | undefined;
      if (known !== undefined) {
        scope.replayed++;
        scope.journal?.push({ ...entry, source: 'store', ...usageOf(known), latencyMs: 0 });
        return { ...known, response: { id: `replay-${base.slice(0, 12)}` } };
      }
      const key = journalKey(scope.runId);
      const field = `${base}#${scope.attempt}.${n}`;
      const stored = scope.fresh ? null : await options.client.hget(key, field);
      if (stored !== null) {
        scope.replayed++;
        const response = JSON.parse(stored) as StoredResponse;
        scope.journal?.push({ ...entry, source: 'redis', request, response, ...usageOf(response), latencyMs: 0 });
        return { ...response, response: { id: `replay-${field.slice(0, 12)}` } };
      }
      const started = performance.now();
      const result = await doGenerate();
      const response: StoredResponse = {
        content: result.content,
        finishReason: result.finishReason,
        usage: result.usage,
        warnings: result.warnings,
      };
      // the write and (when due) the TTL go out together: one round trip
      await Promise.all([options.client.hset(key, field, JSON.stringify(response)), renewTtl(scope.runId, key)]);
      scope.journal?.push({
        ...entry,
        source: 'paid',
        request,
        response,
        ...usageOf(response),
        latencyMs: performance.now() - started,
      });
      return result;
    },
  };
}

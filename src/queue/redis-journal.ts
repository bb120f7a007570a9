import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3Middleware,
} from '@ai-sdk/provider';
import { requestHash } from '../store/index.js';
import { queuePrefix } from './step-job.js';

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
}

/** The step being worked on in the current async context. */
export const stepScope = new AsyncLocalStorage<StepScope>();

/** The Redis key of a run's call journal. */
export const journalKey = (runId: string) => `${queuePrefix}:journal:${runId}`;

/** A run's Redis journal is dropped a day after its last write. */
const journalTtlSeconds = 24 * 3600;

type StoredResponse = Pick<LanguageModelV3GenerateResult, 'content' | 'finishReason' | 'usage' | 'warnings'>;

/**
 * The workers' shared call journal: each answered call of a step is written to the run's Redis hash under the
 * hash of its request, its scope (the node) and its occurrence; a step re-run on another worker (its first
 * worker died) replays those answers instead of paying for them again. Only model replies travel: never keys.
 */
export function redisJournalMiddleware(options: { client: HashClient; model: string }): LanguageModelV3Middleware {
  const keyOf = (scope: StepScope, params: LanguageModelV3CallOptions) => {
    const node = (params.providerOptions?.crosstalk as { scope?: unknown } | undefined)?.scope;
    const base = `${requestHash(options.model, params)}${typeof node === 'string' ? `@${node}` : ''}`;
    const n = scope.occurrences.get(base) ?? 0;
    scope.occurrences.set(base, n + 1);
    return `${base}#${scope.attempt}.${n}`;
  };
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ params, doGenerate }) {
      const scope = stepScope.getStore();
      if (!scope) return doGenerate();
      const key = journalKey(scope.runId);
      const field = keyOf(scope, params);
      const stored = await options.client.hget(key, field);
      if (stored !== null) {
        scope.replayed++;
        return { ...(JSON.parse(stored) as StoredResponse), response: { id: `replay-${field.slice(0, 12)}` } };
      }
      const result = await doGenerate();
      const response: StoredResponse = {
        content: result.content,
        finishReason: result.finishReason,
        usage: result.usage,
        warnings: result.warnings,
      };
      await options.client.hset(key, field, JSON.stringify(response));
      await options.client.expire(key, journalTtlSeconds);
      return result;
    },
  };
}

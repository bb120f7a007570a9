import type { LanguageModelV3Middleware } from '@ai-sdk/provider';
import type { z } from 'zod';
import type { ConfigFlags } from '../../config/index.js';
import type { Runtime } from '../../runtime/index.js';
import type { StepJournalEntry } from '../step-job.js';

/** What a step kind gets from the worker that runs it. */
export interface StepContext {
  /**
   * The worker's runtime for a default model string and seed: models built from the worker's own environment
   * and config, wrapped in its middleware (the run's Redis journal among them). Built once, reused by later steps.
   */
  runtimeFor(model: string, seed: number | undefined): Promise<Runtime>;
  /** The worker's folder and environment (provider keys), for kinds that run a whole job of their own. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The worker's config flags (config file, limits). */
  flags: ConfigFlags;
  /**
   * Adds calls a kind made outside the worker's runtime (a whole job with its own store) to the step's journal
   * and paid calls, so the coordinator counts and stores them as it does a node's.
   */
  addCalls(entries: StepJournalEntry[]): void;
  /**
   * The worker's shared (Redis) limiter for a model string, as middleware, for kinds that build a runtime of their
   * own: each call waits for a slot under the limits the step's coordinator published.
   */
  limiterFor(modelString: string): LanguageModelV3Middleware;
}

/**
 * One kind of queued step: the schema of its data, and how a worker runs it. The worker dispatches on the
 * data's `kind`; each kind lives in a file of its own under `src/queue/steps/`.
 */
export interface StepKind<Step extends { kind: string; stepId: string; seed?: number | undefined }> {
  kind: Step['kind'];
  schema: z.ZodType<Step>;
  /** Runs the step; its value is the step's output (plain data: it travels back through Redis). */
  run(step: Step, context: StepContext): Promise<unknown>;
}

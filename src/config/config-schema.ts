import { z } from 'zod';

const positiveInt = z.number().int().positive();
const priceSchema = z
  .object({
    /** USD per million input tokens. */
    input: z.number().min(0),
    /** USD per million output tokens. */
    output: z.number().min(0),
    /** USD per million cached input tokens (defaults to `input`). */
    cachedInput: z.number().min(0).optional(),
  })
  .strict();

const providerSchema = z
  .object({
    apiKey: z.string().min(1).optional(),
    /** An http(s) URL: other schemes (`file:`, `data:`) are refused as bad input instead of failing every call. */
    baseURL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  })
  .strict();

/**
 * The crosstalk configuration, as read from `crosstalk.config.yaml` (or
 * `.json`) and then overridden by the environment and by flags. Every key is
 * optional; unknown keys are errors.
 */
export const configSchema = z
  .object({
    /** Default model string, e.g. `openai:gpt-4o-mini`, `sim`, `compatible:http://127.0.0.1:8000/v1#qwen`. */
    model: z.string().min(1).optional(),
    /** Model per agent role (e.g. `programmer: anthropic:claude-sonnet-4-5`). */
    roleModels: z.record(z.string(), z.string().min(1)).optional(),
    /**
     * Embedding model for the consistency metric (ChatDev's cosine of task and code embeddings), e.g.
     * `openai:text-embedding-3-small`. Absent: a local TF-IDF similarity, labelled as the fallback in reports.
     */
    embeddingModel: z.string().min(1).optional(),
    /** Provider credentials and endpoints. Environment variables override these. */
    providers: z
      .object({
        openai: providerSchema.optional(),
        anthropic: providerSchema.optional(),
        ollama: providerSchema.optional(),
      })
      .strict()
      .optional(),
    /** Options of the simulated model, as in `sim?latency=50ms&fail429=0.1`. */
    sim: z
      .object({
        latency: z.string().optional(),
        jitter: z.number().min(0).max(1).optional(),
        sigma: z.number().min(0).max(4).optional(),
        fail429: z.number().min(0).max(1).optional(),
        fail500: z.number().min(0).max(1).optional(),
        timeout: z.number().min(0).max(1).optional(),
        malformed: z.number().min(0).max(1).optional(),
        failHard: z.number().min(0).max(1).optional(),
        retryAfter: z.string().optional(),
        minTurns: z.number().int().min(1).max(50).optional(),
        seed: z.number().int().optional(),
      })
      .strict()
      .optional(),
    /** Limits shared by all agents using one model, and size caps on what models produce. */
    limits: z
      .object({
        /** Maximum model calls in flight per model. Default 8. */
        concurrency: positiveInt.optional(),
        requestsPerMinute: positiveInt.optional(),
        tokensPerMinute: positiveInt.optional(),
        /** Per-call timeout in milliseconds. Default 120000. */
        timeoutMs: positiveInt.optional(),
        /** Attempts per call including the first. Default 5. */
        maxAttempts: positiveInt.optional(),
        /** Characters of one model reply; a longer reply stops the run (`OUTPUT_TOO_LARGE`). Default 2,000,000. */
        maxReplyChars: positiveInt.optional(),
        /** Characters of one file a model writes. Default 1,000,000. */
        maxFileChars: positiveInt.optional(),
        /** Files in one generated codebase. Default 1,000. */
        maxFiles: positiveInt.optional(),
        /** Characters of one prompt built from earlier output (a codebase, a node's inputs). Default 4,000,000. */
        maxPromptChars: positiveInt.optional(),
      })
      .strict()
      .optional(),
    /** Spending limits of one run. */
    budget: z
      .object({
        usd: z.number().positive().optional(),
        tokens: positiveInt.optional(),
      })
      .strict()
      .optional(),
    /** Price overrides keyed by model string (`openai:gpt-4o-mini`), USD per million tokens. */
    prices: z.record(z.string(), priceSchema).optional(),
    /** Seed for every random choice (graphs, simulated replies). Default 0. */
    seed: z.number().int().optional(),
    /** Path of the run store. Default `./.crosstalk/runs.db`. */
    store: z.string().min(1).optional(),
    /**
     * OpenTelemetry spans per model call (`true`, or settings as the AI SDK's
     * `experimental_telemetry`). Spans reach whatever OpenTelemetry SDK the
     * process registered; see docs/telemetry.md. Default off.
     */
    telemetry: z
      .union([
        z.boolean(),
        z
          .object({
            enabled: z.boolean().default(true),
            functionId: z.string().min(1).optional(),
            metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
            recordInputs: z.boolean().optional(),
            recordOutputs: z.boolean().optional(),
          })
          .strict(),
      ])
      .optional(),
  })
  .strict();

/** A validated configuration (all keys optional). */
export type CrosstalkConfig = z.infer<typeof configSchema>;
/** A price entry, USD per million tokens. */
export type PriceEntry = z.infer<typeof priceSchema>;

import { z } from 'zod';
import { roleSchema } from '../agents/index.js';
import { edgeRunModes } from '../network/index.js';

/** The queue's name in Redis (under the `crosstalk` prefix). */
export const stepQueueName = 'steps';
/** The key prefix of everything crosstalk keeps in Redis. */
export const queuePrefix = 'crosstalk';

/** One agent as it travels: its role as data and its model as a string (the worker builds the model). */
export const agentSpecSchema = z.object({
  name: z.string(),
  role: roleSchema,
  model: z.string().min(1),
  temperature: z.number().optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  personaNote: z.string().optional(),
});
/** An agent as it travels through the queue. */
export type AgentSpec = z.infer<typeof agentSpecSchema>;

/**
 * A MacNet node's work as a queued step: everything a worker needs, and nothing secret (no provider keys:
 * a worker reads them from its own environment).
 */
export const nodeStepSchema = z.object({
  kind: z.literal('node'),
  /** The coordinator's run id: the worker-side call journal is kept per run. */
  runId: z.string().min(1),
  /** The scheduler's attempt of this step (a stalled job re-run by BullMQ keeps its attempt). */
  attempt: z.number().int().positive(),
  nodeId: z.string(),
  task: z.string(),
  taskType: z.enum(['code', 'text', 'choice']),
  inputs: z.array(z.object({ nodeId: z.string(), text: z.string() })),
  agents: z.object({
    actor: agentSpecSchema,
    critics: z.array(z.tuple([z.string(), agentSpecSchema])),
    defaultCritic: agentSpecSchema,
    aggregator: agentSpecSchema,
  }),
  edgeRounds: z.number().int().min(1).max(3).optional(),
  aggregationGroupSize: z.number().int().min(2).optional(),
  pruneInputs: z.object({ above: z.number(), keep: z.number() }).optional(),
  edgeRuns: z.enum(edgeRunModes).optional(),
  /** Code tasks: the worker may run artifacts in its own sandbox. */
  codeRuns: z.boolean(),
  seed: z.number().optional(),
  maxPromptChars: z.number().optional(),
});
/** A node step's data. */
export type NodeStep = z.infer<typeof nodeStepSchema>;

/** One model call a worker paid for (or replayed from the run's Redis journal). */
export const stepCallSchema = z.object({
  model: z.string(),
  agent: z.string(),
  scope: z.string().optional(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cachedInputTokens: z.number(),
  costUsd: z.number().optional(),
  latencyMs: z.number(),
});

/** What a worker returns for a node step. */
export const nodeStepResultSchema = z.object({
  text: z.string(),
  calls: z.number().int().nonnegative(),
  maxPromptChars: z.number(),
  edges: z.array(z.any()),
  merge: z.any().optional(),
  /** Calls paid for by this execution (calls replayed from the Redis journal are not listed). */
  paid: z.array(stepCallSchema),
  /** Calls answered from the run's Redis journal (answered before, e.g. by a worker that died). */
  replayed: z.number().int().nonnegative(),
  worker: z.string(),
});
/** A node step's result. */
export type NodeStepResult = z.infer<typeof nodeStepResultSchema>;

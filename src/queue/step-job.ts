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
 * The fields every queued step has, whatever its kind: whose run it is, which attempt, and the answers the
 * coordinator's run store already holds for it (a resumed run's step pays for none of them again).
 */
export const stepBaseShape = {
  /** The coordinator's run id: the worker-side call journal is kept per run. */
  runId: z.string().min(1),
  /** The scheduler's attempt of this step (a stalled job re-run by BullMQ keeps its attempt). */
  attempt: z.number().int().positive(),
  /** What the step is, for people: a node id, a task id, a team and phase. */
  stepId: z.string(),
  seed: z.number().optional(),
  /**
   * Answers stored by the coordinator for this step's calls, by journal key (`<request hash>@<scope>#<n>`):
   * a resumed run's step replays them instead of paying again.
   */
  known: z.record(z.string(), z.any()).optional(),
  /**
   * The run's Redis journal was empty when this coordinator session began (not a resume through the queue), so
   * a step's first execution on a worker finds nothing in it and skips the lookups (one Redis command per call).
   */
  journalFresh: z.boolean().optional(),
};

/**
 * A MacNet node's work as a queued step: everything a worker needs, and nothing secret (no provider keys:
 * a worker reads them from its own environment).
 */
export const nodeStepSchema = z.object({
  kind: z.literal('node'),
  ...stepBaseShape,
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
  maxPromptChars: z.number().optional(),
});
/** A node step's data. */
export type NodeStep = z.infer<typeof nodeStepSchema>;

/** What a node step produces. */
export const nodeOutputSchema = z.object({
  text: z.string(),
  calls: z.number().int().nonnegative(),
  maxPromptChars: z.number(),
  edges: z.array(z.any()),
  merge: z.any().optional(),
});
/** A node step's output. */
export type NodeOutput = z.infer<typeof nodeOutputSchema>;

/** One model call a worker paid for (its usage, for the coordinator's totals and budget). */
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

/**
 * One model call of a step as the coordinator's run store journals it. `source` says where its answer came from:
 * `paid` (asked now), `redis` (the run's Redis journal: paid by a worker that died), `store` (the coordinator's
 * own journal, sent with the step; carries no request or response back).
 */
export const stepJournalEntrySchema = z.object({
  /** `<request hash>@<scope>`, or the hash alone for a call without a scope. */
  base: z.string(),
  /** The occurrence of `base` within this execution of the step. */
  n: z.number().int().nonnegative(),
  source: z.enum(['paid', 'redis', 'store']),
  requestHash: z.string(),
  model: z.string(),
  agent: z.string().nullable(),
  request: z.record(z.string(), z.unknown()).optional(),
  response: z.any().optional(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  costUsd: z.number().nullable(),
  latencyMs: z.number(),
});
/** One call of a step, for the coordinator's journal. */
export type StepJournalEntry = z.infer<typeof stepJournalEntrySchema>;

/** What a worker returns for any step: the kind's output, and the calls made to produce it. */
export const stepOutcomeSchema = z.object({
  output: z.unknown(),
  /** Calls paid for by this execution (calls replayed from a journal are not listed). */
  paid: z.array(stepCallSchema),
  /** Calls answered from a journal (the run's Redis journal, or the coordinator's answers sent with the step). */
  replayed: z.number().int().nonnegative(),
  /** Every call of this execution, in the order asked, for the coordinator's run store. */
  journal: z.array(stepJournalEntrySchema),
  worker: z.string(),
});
/** A step's result as it comes back from a worker. */
export type StepOutcome = z.infer<typeof stepOutcomeSchema>;

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { answerWithMethod, evalMethodSchema, type MethodAnswer } from '../../eval/methods.js';
import { SqliteRunStore } from '../../store/index.js';
import { stepBaseShape, type StepJournalEntry } from '../step-job.js';
import type { StepKind } from './step-kind.js';

/**
 * One evaluation task (one sample of it) as a queued step: the method, the task's prompt and type, and the run
 * settings that decide its answer (model strings, seed, the task's budget share). The worker answers it with the
 * same public run function an in-process evaluation uses; the coordinator scores it and records the row.
 */
export const evalTaskStepSchema = z.object({
  kind: z.literal('eval-task'),
  ...stepBaseShape,
  method: evalMethodSchema,
  task: z.object({ prompt: z.string(), taskType: z.enum(['text', 'code', 'choice', 'software']) }),
  run: z.object({
    model: z.string().optional(),
    roleModels: z.record(z.string(), z.string()).optional(),
    concurrency: z.number().int().positive().optional(),
    budgetUsd: z.number().min(0).optional(),
    maxTokens: z.number().positive().optional(),
    timeoutMs: z.number().positive().optional(),
    embeddingModel: z.string().optional(),
    allowUnsafeSandbox: z.boolean().optional(),
  }),
});
/** An evaluation task step's data. */
export type EvalTaskStep = z.infer<typeof evalTaskStepSchema>;

/** What an evaluation task step returns: the method's answer (files included: the worker keeps no folder). */
export const evalTaskOutputSchema = z.object({
  runId: z.string(),
  status: z.string(),
  text: z.string(),
  files: z.record(z.string(), z.string()),
  calls: z.number(),
  replayedCalls: z.number(),
  tokens: z.number(),
  replayedTokens: z.number(),
  costUsd: z.number().nullable(),
  durationMs: z.number(),
  model: z.string(),
  simulated: z.boolean(),
  metrics: z.any(),
});

/**
 * Runs an evaluation task on a worker: the method's run goes into a store of its own in a temporary folder
 * (the coordinator's store is written by the coordinator only); its journaled calls travel back with the
 * answer, and the folder is removed. Its calls wait for the worker's shared limiter, as a node step's do.
 */
export const evalTaskStepKind: StepKind<EvalTaskStep> = {
  kind: 'eval-task',
  schema: evalTaskStepSchema,
  async run(step, context): Promise<MethodAnswer> {
    const dir = mkdtempSync(join(tmpdir(), 'crosstalk-eval-step-'));
    try {
      const storeFile = join(dir, 'runs.db');
      const answer = await answerWithMethod(
        step.method,
        { ...step.task, ...(step.task.taskType === 'software' ? { outDir: join(dir, 'out') } : {}) },
        {
          ...step.run,
          ...(step.seed !== undefined ? { seed: step.seed } : {}),
          ...(context.flags.config !== undefined ? { configFile: context.flags.config } : {}),
          store: storeFile,
          cwd: context.cwd,
          env: context.env,
          // the run's calls keep the coordinator's limits, held by all workers together
          sentMiddleware: context.limiterFor,
        },
      );
      context.addCalls(journaledCalls(storeFile, answer.runId));
      return { ...answer, metrics: answer.metrics ?? null };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** A run's journaled calls as step journal entries (all paid: the run's store was new). */
function journaledCalls(storeFile: string, runId: string): StepJournalEntry[] {
  const store = new SqliteRunStore(storeFile, { readOnly: true });
  try {
    return store.listCalls(runId).map((call) => {
      const cut = call.key.lastIndexOf('#');
      return {
        base: call.key.slice(0, cut),
        n: Number(call.key.slice(cut + 1)),
        source: 'paid' as const,
        requestHash: call.requestHash,
        model: call.model,
        agent: call.agent,
        request: (call.request ?? JSON.parse(call.requestJson ?? '{}')) as Record<string, unknown>,
        response: call.response,
        inputTokens: call.inputTokens,
        outputTokens: call.outputTokens,
        costUsd: call.costUsd,
        latencyMs: call.latencyMs,
      };
    });
  } finally {
    store.close();
  }
}

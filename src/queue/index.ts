export {
  createRedisLimiter,
  createRedisLimiters,
  limiterKeys,
  type RedisLimiterOptions,
  type RedisModelLimiter,
  type RedisLimiters,
  type ScriptClient,
  type LimiterClient,
  stepLimitsSchema,
  type StepLimits,
  publishRunLimits,
  runLimitsKey,
} from './redis-limiter.js';
export { parseQueueUrl, type QueueConnection } from './queue-url.js';
export {
  openQueueExecutor,
  type OutgoingStep,
  type QueueExecutor,
  type QueueExecutorOptions,
} from './queue-executor.js';
export { startWorker, type QueueWorker, type StepLabel, type WorkerOptions } from './worker.js';
export { queueStatus, type QueueStatus } from './queue-status.js';
export {
  nodeStepSchema,
  nodeOutputSchema,
  stepOutcomeSchema,
  stepJournalEntrySchema,
  stepQueueName,
  queuePrefix,
  type NodeStep,
  type NodeOutput,
  type StepOutcome,
  type StepJournalEntry,
  type AgentSpec,
} from './step-job.js';
export { stepKindNames, type StepContext, type StepKind } from './steps/index.js';

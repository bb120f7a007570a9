export { RunSession } from './run-session.js';
export { currentOwner, ownerState, runOwner, sessionEventTypes, type OwnerState, type RunOwner } from './run-owner.js';
export {
  openJob,
  finishJob,
  finalStatus,
  catchStop,
  type JobEnvironment,
  type JobStart,
  type JobRun,
  type JobResult,
} from './job-run.js';
export { netJobSchema, runNetJob, type NetJobConfig, type NetSummary } from './net-job.js';
export { devJobSchema, runDevJob, type DevJobConfig, type DevSummary } from './dev-job.js';
export {
  crossTeamJobSchema,
  runCrossTeamJob,
  type CrossTeamJobConfig,
  type CrossTeamSummary,
} from './cross-team-job.js';
export { storyJobSchema, runStoryJob, type StoryJobConfig, type StorySummary } from './story-job.js';
export { resumeJob, findRun } from './resume-job.js';
export { teamOptionsSchema, type TeamOptions } from './flags.js';
export { startRun, type RunHandle, type StartOptions } from './handle.js';
export * from './api.js';
export { viewRun, viewJson, usageBy, removeRuns, safetyView, type RunView, type SafetyView } from './run-view.js';
export { exportRun, transcriptEntry, callScope, type ExportedRun } from './export-run.js';
export { readRunEvents, storedEvent, type StoredEvent, type EventsEnd } from './run-events.js';
export { planJob, type JobConfig } from './plan-job.js';

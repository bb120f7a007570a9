export type {
  RunStore,
  RunRecord,
  RunPatch,
  RunStatus,
  RunKind,
  RunTotals,
  NewRun,
  StepRecord,
  EventRecord,
  CallRecord,
} from './run-store.js';
export { SqliteRunStore, newRunId, schemaVersion } from './sqlite-store.js';
export { NoRunStore, noStore } from './no-store.js';
export {
  callCounterMiddleware,
  journalMiddleware,
  pendingMarkerMiddleware,
  requestHash,
  requestIdentity,
  type JournalOptions,
  type JournalStats,
} from './journal.js';
export { resolveStorePath, defaultStorePath } from './store-path.js';

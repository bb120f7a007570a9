export type {
  Containment,
  ExecutabilityRule,
  Sandbox,
  SandboxKind,
  SandboxLimit,
  SandboxOutcome,
  SandboxResult,
  SandboxRunOptions,
} from './types.js';
export { sandboxRunOptionsSchema } from './types.js';
export {
  detectSandbox,
  detectSandboxOptionsSchema,
  requireSandbox,
  sandboxFromEnv,
  type DetectSandboxOptions,
  type SandboxCheck,
  type SandboxChoice,
} from './detect-sandbox.js';
export {
  discoverHostRuntimes,
  hasVirtualDisplay,
  runtimeFor,
  wantsDisplay,
  type HostRuntimes,
} from './host-runtimes.js';
export { classifyRun, type Classification, type RawRun } from './classify.js';
export { describeContainment } from './containment.js';
export { removeStaleSandboxDirs, ownedPrefix, type StaleCleanup } from './stale-workspaces.js';
export type { MemoryMechanism } from './memory-bound.js';

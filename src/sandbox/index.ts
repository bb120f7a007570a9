export type {
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

export { createRuntime, defaultConcurrency, type Runtime, type ProgramSandbox, type Logger } from './runtime.js';
export { checkModelStrings } from './check-model-strings.js';

export { createRuntime, defaultConcurrency, type Runtime, type ProgramSandbox } from './runtime.js';
export { checkModelStrings } from './check-model-strings.js';

export { createRuntime, defaultConcurrency, type Runtime } from './runtime.js';
export { checkModelStrings } from './check-model-strings.js';

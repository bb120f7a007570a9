export { CrosstalkError, ExitCode } from './crosstalk-error.js';
export { ConfigError } from './config-error.js';
export { ModelConfigError } from './model-config-error.js';
export { BudgetExceededError } from './budget-exceeded-error.js';
export { AbortedError } from './aborted-error.js';
export { ModelOutputError } from './model-output-error.js';
export { ModelCallError } from './model-call-error.js';
export { StoreError } from './store-error.js';
export { ModelTimeoutError } from './model-timeout-error.js';

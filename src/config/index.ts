export { configSchema, type CrosstalkConfig, type PriceEntry } from './config-schema.js';
export {
  loadConfig,
  maskConfig,
  maskSecret,
  parseRoleModels,
  configFileNames,
  type ConfigFlags,
  type LoadedConfig,
} from './load-config.js';
export { formatFirstIssue } from './format-issue.js';
export { defaultOutputLimits, resolveOutputLimits, checkOutputSize, type OutputLimits } from './output-limits.js';

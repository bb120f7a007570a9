/**
 * crosstalk: teams and networks of LLM agents.
 * The public API; see README.md for the command-line program.
 */
export * from './errors/index.js';
export { loadConfig, configSchema, type CrosstalkConfig, type LoadedConfig } from './config/index.js';
export * from './model/index.js';
export * from './model/middleware/index.js';
export { createRuntime, type Runtime } from './runtime/index.js';
export * from './agents/index.js';
export { runNodeWork, mergeCandidates, type NodeArtifact, type NodeWorkOptions, type NodeWorkResult } from './network/node-work.js';
export * from './store/index.js';
export { runCli } from './cli/main.js';

export {
  executeNetwork,
  extractChoice,
  type NetworkOptions,
  type NetworkResult,
  type NodeOutput,
  type ModelPicker,
} from './run-network.js';
export {
  runNodeWork,
  mergeCandidates,
  type NodeArtifact,
  type NodeAgents,
  type NodeWorkOptions,
  type NodeWorkResult,
} from './node-work.js';
export { networkPrompts, formatInstructions, type NetworkTaskType } from './prompts.js';
export { personaFor, temperatureForDepth } from './personas.js';

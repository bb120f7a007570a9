export {
  executeNetwork,
  extractChoice,
  type NetworkOptions,
  type NetworkResult,
  type NodeOutput,
  type ModelPicker,
  type NodeExecutor,
} from './run-network.js';
export {
  runNodeWork,
  mergeCandidates,
  mergeChecked,
  aggregatePrompt,
  agentSystem,
  type MergeCheck,
  type MergeReport,
  type NodeArtifact,
  type NodeAgents,
  type NodeWorkOptions,
  type NodeWorkResult,
} from './node-work.js';
export {
  runEdgeExchange,
  criticConversation,
  actorConversation,
  runOffer,
  isApproval,
  asksForRun,
  edgeRunModes,
  type ArtifactRun,
  type ArtifactRunner,
  type EdgeExchangeOptions,
  type EdgeExchangeReport,
  type EdgeRound,
  type EdgeRunMode,
} from './edge-dialogue.js';
export { artifactProblem, javascriptProblem, pythonProblem } from './artifact-check.js';
export {
  pruneCandidates,
  scoreCandidates,
  defaultPruneRule,
  lexicalSimilarity,
  type CandidateScore,
  type PruneReport,
  type PruneRule,
} from './prune-inputs.js';
export {
  networkPrompts,
  formatInstructions,
  approvalMarker,
  runRequestMarker,
  type NetworkTaskType,
} from './prompts.js';
export { personaFor, temperatureForDepth } from './personas.js';

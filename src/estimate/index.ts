/**
 * Estimates for `--dry-run`: what a run will do (model calls, tokens, cost,
 * makespan at an assumed latency), predicted by pure functions without
 * calling any model.
 */
export type { Estimate, EstimateTotals, MakespanEstimate } from './types.js';
export { estimateNetwork, type NetworkEstimateOptions, type ModelChoice } from './estimate-network.js';
export { estimateChain, type ChainEstimateOptions } from './estimate-chain.js';
export {
  estimateCrossTeam,
  estimateStory,
  type CrossTeamEstimateOptions,
  type StoryEstimateOptions,
} from './estimate-teams.js';
export { withCheckCalls, type CheckCallsOptions } from './estimate-checks.js';
export { describeEstimate, formatDuration, formatTokens, formatUsd } from './describe-estimate.js';
export { parseAssumedLatency } from './assume-latency.js';
export { defaultReplyTokens, type AssumedReplyTokens } from './reply-sizes.js';

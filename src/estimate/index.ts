export type { Estimate, EstimateTotals, MakespanEstimate } from './types.js';
export { estimateNetwork, type NetworkEstimateOptions, type ModelChoice } from './estimate-network.js';
export { parseAssumedLatency } from './assume-latency.js';
export { defaultReplyTokens, type AssumedReplyTokens } from './reply-sizes.js';

export { hashString, seededRandom, unitFromText, estimateTokens, type Random } from './hash.js';
export { partitionMerge, type MergeNode, type PartitionMergeResult } from './partition-merge.js';
export { sleep } from './sleep.js';
export { makeDirectory } from './make-directory.js';
export { prepareOutputDir } from './output-dir.js';
export { makeTempDir, type TempDir } from './temp-dir.js';
export { removeTree, type RemoveTreeOptions, type RemoveTreeResult } from './remove-tree.js';
export { yieldToLoop } from './yield-to-loop.js';
export { mapLimit } from './map-limit.js';

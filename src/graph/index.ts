export {
  graphSpecSchema,
  nodeSpecSchema,
  edgeSpecSchema,
  toDag,
  type GraphSpec,
  type NodeSpec,
  type EdgeSpec,
  type Dag,
} from './types.js';
export {
  generateTopology,
  isTopologyName,
  topologyNames,
  topologyParamsSchema,
  defaultMaxEdges,
  expectedEdgeCount,
  type TopologyName,
  type TopologyParams,
} from './topologies.js';
export {
  validateGraph,
  findCycle,
  defaultMaxNodes,
  maxNodeIdLength,
  nodeFileName,
  type ValidatedGraph,
} from './validate.js';
export { parseDot, parseGraph, graphFromObject, graphToJson, readGraphFile, type GraphFormat } from './spec-parse.js';
export {
  topologicalOrder,
  topologicalLayers,
  nodeDepths,
  remainingPathLength,
  criticalPath,
  averageClustering,
  averagePathLength,
  graphStats,
  graphStatsAsync,
  structureStats,
  statsSampling,
  toDot,
  type GraphStats,
  type GraphStructure,
} from './analysis.js';
export { remainingTimeMs } from './eta.js';
export {
  runSchedule,
  type ScheduleStep,
  type ScheduleEvent,
  type ScheduleOptions,
  type ScheduleResult,
  type ScheduleStatus,
  type SchedulePriority,
  type StepContext,
} from './scheduler.js';
export { ReadyQueue } from './ready-queue.js';

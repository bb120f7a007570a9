export { createViewerApp, type ViewerAppOptions } from './app.js';
export { startViewer, checkViewerOptions, type Viewer, type ViewerOptions } from './start.js';
export { LiveRuns, feedLive, type LiveRun } from './live-runs.js';
export { isLoopback, tokenMatches } from './guard.js';
export {
  listRunViews,
  runDetail,
  runCalls,
  runEvents,
  stepArtifact,
  callView,
  graphOf,
  usageOf,
  nodeDialogue,
  CallIndexCache,
  type CallIndex,
  type RunUsage,
  type UsageGroup,
  type RunFilter,
  type RunDetail,
  type StepView,
  type TeamStep,
  type StepState,
  type GraphView,
  type CallView,
} from './run-data.js';
export { defaultWebRoot, readWebFile } from './static-files.js';
export { runHtml, writeRunHtml, type ExportedHtml } from './export-html.js';
export { groupNodeDialogue, type NodeDialogue, type EdgeDialogue, type DialogueCall } from './dialogue.js';

export {
  executeCrossTeam,
  segmentPhases,
  decisionPointNames,
  defaultDecisionPoints,
  type CrossTeamOptions,
  type CrossTeamCheckpoint,
  type CrossTeamResult,
  type CrossTeamEvent,
  type DecisionPoint,
  type DecisionReport,
  type ProposalReport,
  type TeamReport,
  type Scorer,
  type TeamChainData,
  type TeamSegmentExecutor,
  type TeamSegmentWork,
} from './cross-team.js';
export {
  runStoryTeams,
  storyRubric,
  storyStages,
  type StoryCheckpoint,
  type StoryTeamsOptions,
  type StoryTeamsResult,
  type StoryStage,
  writeStoryStage,
  type StoryStageExecutor,
  type StoryStageText,
  type StoryStageWork,
} from './story.js';
export { diversifyTeams, type TeamProfile } from './diversify.js';
export {
  pruneGreedy,
  pruneReason,
  keptCount,
  rankProposals,
  undecidedTies,
  defaultPruneAbove,
  type KeepRule,
  type PruneOptions,
  type PruneResult,
  type ScoredProposal,
  type ScoreTie,
} from './prune.js';
export { TeamBudgets, type Spend, type TeamBudgetsOptions } from './team-budget.js';
export { codeMetrics, proposalScore, stripComments, type CodeMetrics } from './metrics.js';
export { judgeProposal, extractJson, type Verdict } from './judge.js';
export { loadTeamsFile, parseTeamsFile, type TeamSpec } from './teams-file.js';
export { teamModel } from './team-model.js';

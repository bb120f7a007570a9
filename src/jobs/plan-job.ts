import { loadConfig } from '../config/index.js';
import {
  defaultReplyTokens,
  estimateChain,
  estimateCrossTeam,
  estimateNetwork,
  estimateStory,
  withCheckCalls,
  type CheckCallsOptions,
  type Estimate,
} from '../estimate/index.js';
import { defaultMaxEdges, nodeDepths, validateGraph } from '../graph/index.js';
import { resolveModelString } from '../model/index.js';
import { defaultConcurrency } from '../runtime/index.js';
import { checkModelStrings } from '../runtime/index.js';
import { diversifyTeams } from '../teams/index.js';
import type { CrossTeamJobConfig } from './cross-team-job.js';
import type { DevJobConfig } from './dev-job.js';
import type { JobEnvironment } from './job-run.js';
import type { NetJobConfig } from './net-job.js';
import type { StoryJobConfig } from './story-job.js';

/** Any job configuration. */
export type JobConfig = DevJobConfig | CrossTeamJobConfig | NetJobConfig | StoryJobConfig;

/**
 * Predicts what a job will do without calling a model: planned calls,
 * tokens and cost from the price table, and the makespan at an assumed
 * latency per call. Reads the same configuration the run would; no store is
 * opened and no provider is contacted (except the local Ollama probe when no
 * model is configured at all).
 */
export async function planJob(
  environment: Pick<JobEnvironment, 'cwd' | 'env' | 'probe'>,
  config: JobConfig,
  options: { latencyMs: number },
): Promise<Estimate> {
  const { estimate, checks } = await planCalls(environment, config, options);
  return checks ? withCheckCalls(estimate, checks) : estimate;
}

/** The job's own calls, and its self-correction loops and safety reviews (none when it has neither). */
async function planCalls(
  environment: Pick<JobEnvironment, 'cwd' | 'env' | 'probe'>,
  config: JobConfig,
  options: { latencyMs: number },
): Promise<{ estimate: Estimate; checks?: CheckCallsOptions }> {
  const loaded = loadConfig({ cwd: environment.cwd, env: environment.env, flags: config.flags });
  checkModelStrings(loaded);
  const resolved = await resolveModelString({
    config: loaded.config,
    sources: loaded.sources,
    ...(environment.probe ? { probe: environment.probe } : {}),
  });
  const model = (role: string) => loaded.config.roleModels?.[role] ?? resolved.model;
  const seed = loaded.config.seed ?? 0;
  const concurrency = loaded.config.limits?.concurrency ?? defaultConcurrency;
  const common = {
    model,
    seed,
    latencyMs: options.latencyMs,
    ...(loaded.config.prices ? { prices: loaded.config.prices } : {}),
  };
  // whether a sandbox will run programs changes the test phase's calls; planning assumes it will
  const runsPrograms = true;
  const checks = (
    job: JobConfig,
    authorModel: string,
    plan: {
      loops: number;
      artifactChars: number;
      reviews: number;
      sequentialLoops: number;
      sequentialReviews?: number;
    },
  ): { checks?: CheckCallsOptions } => {
    const criticModel = job.selfCorrect?.criticModel ?? job.safetyCheck?.criticModel ?? model('critic');
    if (plan.loops === 0 && plan.reviews === 0) return {};
    return {
      checks: {
        criticModel,
        authorModel,
        loops: plan.loops,
        rounds: job.selfCorrect?.rounds ?? 1,
        artifactChars: plan.artifactChars,
        critiqueChars: 4 * defaultReplyTokens.critique,
        reviews: plan.reviews,
        reviewChars: plan.artifactChars,
        sequentialLoops: plan.sequentialLoops,
        sequentialReviews: plan.sequentialReviews ?? plan.reviews,
        taskChars: (job.kind === 'story' ? job.premise : job.task).length,
        ...(loaded.config.prices ? { prices: loaded.config.prices } : {}),
      },
    };
  };
  switch (config.kind) {
    case 'net': {
      const graph = validateGraph(config.graph, {
        maxNodes: Math.max(100_000, config.graph.nodes.length),
        maxEdges: Math.max(defaultMaxEdges, config.graph.edges.length),
      });
      const estimate = estimateNetwork({
        ...common,
        graph,
        task: config.task,
        taskType: config.taskType,
        edgeRounds: config.edgeRounds,
        aggregationGroupSize: config.groupSize,
        concurrency,
      });
      const artifactChars = 4 * defaultReplyTokens[config.taskType];
      // the nodes on the longest path correct their artifacts one after another
      const longest = graph.dag.ids.length === 0 ? 0 : Math.max(...nodeDepths(graph.dag)) + 1;
      const loops = config.selfCorrect ? graph.dag.ids.length : 0;
      const reviews = config.safetyCheck ? 1 : 0;
      return {
        estimate,
        ...checks(config, model('actor'), { loops, artifactChars, reviews, sequentialLoops: longest }),
      };
    }
    case 'dev': {
      const estimate = estimateChain({
        ...common,
        task: config.task,
        phases: config.phases,
        roles: config.roles,
        runsPrograms,
        ...(config.language ? { language: config.language } : {}),
      });
      const loops = config.selfCorrect?.hooks.length ?? 0;
      return { estimate, ...checks(config, model('programmer'), codeChecks(config, loops, 0)) };
    }
    case 'cross-team': {
      const t = config.teamOptions;
      const estimate = estimateCrossTeam({
        ...common,
        task: config.task,
        phases: config.phases,
        roles: config.roles,
        teams: diversifyTeams(t.teams, seed, t.profiles ?? t.teamModels.map((m) => ({ model: m }))),
        decisionPoints: t.decisionPoints,
        scorer: t.scorer,
        keep: t.keep,
        pruneAbove: t.pruneAbove,
        groupSize: t.groupSize,
        callConcurrency: concurrency,
        runsPrograms,
        ...(config.language ? { language: config.language } : {}),
      });
      // teams work at once: one team's loops and reviews are on the longest path, plus the merge's review
      const loops = config.selfCorrect?.hooks.length ?? 0;
      const team = codeChecks(config, loops, t.decisionPoints.filter((p) => p !== 'design').length);
      const plan = {
        ...team,
        loops: loops * t.teams,
        reviews: team.reviews > 0 ? team.reviews * t.teams + 1 : 0,
        sequentialReviews: team.reviews > 0 ? team.reviews + 1 : 0,
      };
      return { estimate, ...checks(config, model('programmer'), plan) };
    }
    case 'story': {
      const estimate = estimateStory({
        ...common,
        premise: config.premise,
        teams: diversifyTeams(config.teams, seed, config.profiles ?? []),
        keep: config.keep,
        pruneAbove: config.pruneAbove,
        editRounds: config.editRounds,
        groupSize: config.groupSize,
        words: config.words,
        callConcurrency: concurrency,
      });
      // about six characters a word
      const plan = {
        loops: config.selfCorrect ? 1 : 0,
        artifactChars: 6 * config.words,
        reviews: config.safetyCheck ? 1 : 0,
      };
      return { estimate, ...checks(config, model('writer'), { ...plan, sequentialLoops: plan.loops }) };
    }
  }
}

/**
 * A chain's (or one team's) loops and safety reviews: each hook is a loop; with `--safety-check` every program run
 * is reviewed first — the testing phase's runs, each self-correction attempt's run, a team's proposal runs at the
 * code decision points, and the run that measures the result — counted as if every codebase were new.
 */
function codeChecks(config: DevJobConfig | CrossTeamJobConfig, loops: number, scoringRuns: number) {
  const testing = config.phases.find((p) => p.name === 'testing');
  const rounds = config.selfCorrect?.rounds ?? 0;
  const runs = (testing ? testing.rounds + 1 : 0) + loops * rounds + scoringRuns + 1;
  return {
    loops,
    artifactChars: 4 * defaultReplyTokens.code,
    reviews: config.safetyCheck ? runs : 0,
    sequentialLoops: loops,
  };
}

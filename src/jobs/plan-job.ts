import { loadConfig } from '../config/index.js';
import { estimateChain, estimateCrossTeam, estimateNetwork, estimateStory, type Estimate } from '../estimate/index.js';
import { defaultMaxEdges, validateGraph } from '../graph/index.js';
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
  switch (config.kind) {
    case 'net':
      return estimateNetwork({
        ...common,
        graph: validateGraph(config.graph, {
          maxNodes: Math.max(100_000, config.graph.nodes.length),
          maxEdges: Math.max(defaultMaxEdges, config.graph.edges.length),
        }),
        task: config.task,
        taskType: config.taskType,
        edgeRounds: config.edgeRounds,
        aggregationGroupSize: config.groupSize,
        concurrency,
      });
    case 'dev':
      return estimateChain({
        ...common,
        task: config.task,
        phases: config.phases,
        roles: config.roles,
        runsPrograms,
        ...(config.language ? { language: config.language } : {}),
      });
    case 'cross-team': {
      const t = config.teamOptions;
      return estimateCrossTeam({
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
    }
    case 'story':
      return estimateStory({
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
  }
}

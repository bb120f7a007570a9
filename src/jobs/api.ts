import { resolve } from 'node:path';
import type { LanguageModelV3Middleware } from '@ai-sdk/provider';
import type { z } from 'zod';
import { defaultRoles, roleBookInputSchema, type Role } from '../agents/index.js';
import { prepareOutputDir } from '../common/index.js';
import { formatFirstIssue } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import type { CrosstalkEvent } from '../events/index.js';
import type { GraphSpec } from '../graph/index.js';
import type { ApprovalMode, ApprovalPrompt } from '../guard/index.js';
import type { ProgramSandbox } from '../runtime/index.js';
import { resolvePhases, type PhaseConfig } from '../software/phases.js';
import type { ChainLanguage } from '../software/chain.js';
import { slugify } from '../software/slug.js';
import {
  defaultDecisionPoints,
  defaultPruneAbove,
  type DecisionPoint,
  type KeepRule,
  type Scorer,
  type TeamSpec,
} from '../teams/index.js';
import { runCrossTeamJob, type CrossTeamSummary } from './cross-team-job.js';
import { runDevJob, type DevSummary } from './dev-job.js';
import { safetyCheckSchema, selfCorrectSchema, textSelfCorrectSchema } from './self-correction.js';
import { startRun, type RunHandle } from './handle.js';
import type { JobResult } from './job-run.js';
import { runNetJob, type NetSummary } from './net-job.js';
import { resumeJob } from './resume-job.js';
import { noStore } from '../store/index.js';
import { runStoryJob, type StorySummary } from './story-job.js';

/** Settings every run function takes. Unset ones come from `crosstalk.config.yaml` and the environment, as for the CLI. */
export interface RunOptions {
  /** Model string: `openai:gpt-4o-mini`, `anthropic:claude-sonnet-4-5`, `ollama:qwen2.5-coder`, `compatible:<url>#<id>`, `sim`. */
  model?: string;
  /** A model per agent role, e.g. `{ reviewer: 'anthropic:claude-haiku-4-5' }`. */
  roleModels?: Record<string, string>;
  /** Seed for every random choice. Default 0. */
  seed?: number;
  /** Model calls in flight per model. Default 8. */
  concurrency?: number;
  /** Stop before spending more than this many US dollars (the run stays resumable). */
  budgetUsd?: number;
  /** Stop before using more than this many tokens (the run stays resumable). */
  maxTokens?: number;
  /** Per-call timeout, ms. Default 120000. */
  timeoutMs?: number;
  /**
   * Run store file (SQLite): the run is journaled there and can be resumed
   * with {@link resumeRun} or `crosstalk runs resume`. `'none'`: no store at
   * all (no database work; the run cannot be resumed). Default: in memory,
   * kept only while the run lasts.
   */
  store?: string;
  /** Config file to read instead of `crosstalk.config.yaml` in `cwd`. */
  configFile?: string;
  /** Guard policy file (YAML/JSON) laid over config `guard:`; see docs/guard.md. Default: config, else the strict policy. */
  guardPolicy?: string;
  /**
   * Askable guard actions (policy decision `ask`): `never` refuses them, `always` allows them, `risky` asks
   * {@link RunOptions.askApproval} and refuses when it is absent. Default `risky`. Kept for a resume.
   */
  approve?: ApprovalMode;
  /** Asks a person about an askable action (resolves true to allow it); answers are kept across a resume. */
  askApproval?: ApprovalPrompt;
  /** Directory the results are written to (new or empty). Default: nothing is written. */
  outDir?: string;
  /** Base of relative paths. Default `process.cwd()`. */
  cwd?: string;
  /** Environment (API keys, `CROSSTALK_*`). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Aborting stops the run cleanly: it ends `interrupted` and can be resumed. */
  signal?: AbortSignal;
  /** Called with every event as it happens (the handle's stream has the same events). */
  onEvent?: (event: CrosstalkEvent) => void;
  /** Runs generated code; default: bubblewrap or unshare when available. */
  sandbox?: ProgramSandbox;
  /** Run generated code on the host when no sandbox exists (dangerous). Default false. */
  allowUnsafeSandbox?: boolean;
  /**
   * An OpenTelemetry span per model call (run, node, agent attributes) for the
   * tracer provider your process registers; see docs/telemetry.md. Default: config `telemetry`.
   */
  telemetry?: boolean;
  /**
   * Answer calls from other runs' identical requests in the store, free (an
   * evaluation rerun after an interruption pays no call twice). Default false.
   */
  cache?: boolean;
  /**
   * Middleware for each model string, placed where a call is really sent (a queue worker passes its shared
   * Redis limiter, so an evaluation task it answers keeps the coordinator's limits). Default none.
   */
  sentMiddleware?: (modelString: string) => LanguageModelV3Middleware;
  /**
   * Embedding model for the consistency metric of software results (e.g. `openai:text-embedding-3-small`).
   * Default: config `embeddingModel`, else the labelled TF-IDF fallback.
   */
  embeddingModel?: string;
}

/** The stored form of the run options (strings, as on the command line), so a resume loads the same settings. */
function toFlags(options: RunOptions): Record<string, string> {
  const flags: Record<string, string> = {
    store: !options.store
      ? ':memory:'
      : options.store === noStore
        ? noStore
        : resolve(options.cwd ?? process.cwd(), options.store),
  };
  if (options.model !== undefined) flags.model = options.model;
  if (options.roleModels)
    flags.roleModels = Object.entries(options.roleModels)
      .map(([role, model]) => `${role}=${model}`)
      .join(',');
  if (options.seed !== undefined) flags.seed = String(options.seed);
  if (options.concurrency !== undefined) flags.concurrency = String(options.concurrency);
  if (options.budgetUsd !== undefined) flags.budgetUsd = String(options.budgetUsd);
  if (options.maxTokens !== undefined) flags.maxTokens = String(options.maxTokens);
  if (options.timeoutMs !== undefined) flags.timeoutMs = String(options.timeoutMs);
  if (options.configFile !== undefined) flags.config = options.configFile;
  if (options.guardPolicy !== undefined) flags.guardPolicy = options.guardPolicy;
  if (options.approve !== undefined) flags.approve = options.approve;
  if (options.telemetry !== undefined) flags.otel = String(options.telemetry);
  if (options.embeddingModel !== undefined) flags.embeddingModel = options.embeddingModel;
  return flags;
}

/** The output directory, checked and created (it must be new or empty). */
function outDirOf(options: RunOptions): { outDir?: string } {
  return options.outDir ? { outDir: prepareOutputDir(options.cwd ?? process.cwd(), options.outDir, '') } : {};
}

function start<Result>(options: RunOptions, job: Parameters<typeof startRun<Result>>[1]): RunHandle<Result> {
  return startRun(
    {
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.sandbox ? { sandbox: options.sandbox } : {}),
      ...(options.askApproval ? { askApproval: options.askApproval } : {}),
      ...(options.sentMiddleware ? { sent: options.sentMiddleware } : {}),
    },
    job,
  );
}

/** Options of {@link runNetwork}. */
export interface NetworkRunOptions extends RunOptions {
  /** The task every node works on. */
  task: string;
  /** The network: generate one with `generateTopology`, parse one with `parseGraph`, or write it as an object. */
  graph: GraphSpec;
  /** What the network produces. Default `text`. */
  taskType?: 'text' | 'code' | 'choice';
  /** Critic ↔ actor exchanges per edge, 1–3. Default 1. */
  edgeRounds?: number;
  /** Candidates merged per aggregation call. Default 4. */
  groupSize?: number;
  /** Name shown for the graph in reports. Default `custom`. */
  topology?: string;
  /** A failed node skips every node after it. Default false: a node runs with the inputs that finished. */
  strict?: boolean;
  /** Prune a node's candidates before merging them (above 4, keep the better half). Default false. */
  pruneInputs?: boolean;
  /**
   * Review the final answer for harmful content and jailbreaks (issue 17): a critic scores it against a written
   * rubric; a veto or a score below `threshold` (default 5) withholds it. Default off.
   */
  safetyCheck?: { threshold?: number; criticModel?: string };
  /**
   * Self-correction of every node's artifact before its successors see it (issue 17): code tasks check first
   * (syntax, a sandbox run), then a critic scores 0–10 and the node's actor rewrites, `rounds` versions at most;
   * the best-scored one is kept. Default off.
   */
  selfCorrect?: { rounds: number; threshold?: number; criticModel?: string };
  /** Code tasks: when an edge's exchange runs the artifact in the sandbox (`off`, `request`, `every-round`). Default `request`. */
  edgeRuns?: 'off' | 'request' | 'every-round';
}

/**
 * Runs a MacNet collaboration network: an actor on every node and a critic
 * on every edge, in topological order, concurrently as far as dependencies
 * allow; only artifacts cross edges; the sinks' artifacts are merged into the
 * answer (`result.summary.answer`).
 */
export function runNetwork(options: NetworkRunOptions): RunHandle<JobResult<NetSummary>> {
  return start(options, (environment) =>
    runNetJob(environment, {
      kind: 'net',
      task: options.task,
      taskType: options.taskType ?? 'text',
      topology: options.topology ?? 'custom',
      graph: options.graph,
      edgeRounds: options.edgeRounds ?? 1,
      groupSize: options.groupSize ?? 4,
      flags: toFlags(options),
      ...outDirOf(options),
      ...(options.cache ? { cache: true } : {}),
      ...(options.strict ? { strict: true } : {}),
      ...(options.pruneInputs ? { pruneInputs: true } : {}),
      ...(options.edgeRuns ? { edgeRuns: options.edgeRuns } : {}),
      ...(options.allowUnsafeSandbox ? { unsafeNoSandbox: true } : {}),
      ...(options.safetyCheck ? { safetyCheck: checked('safetyCheck', safetyCheckSchema, options.safetyCheck) } : {}),
      ...(options.selfCorrect
        ? { selfCorrect: checked('selfCorrect', textSelfCorrectSchema, options.selfCorrect) }
        : {}),
    }),
  );
}

/** Options of {@link runChain}. */
export interface ChainRunOptions extends RunOptions {
  /** What to build, in one line. */
  task: string;
  /** Project name. Default: from the task. */
  name?: string;
  /** Fix the language (skips the language-choice phase). */
  language?: ChainLanguage;
  /** The chain's phases, in order, as plain objects (default: ChatDev's waterfall). Unset settings take the defaults. */
  phases?: PhaseConfig[];
  /** Roles to add or replace, by name: `{ reviewer: { title, persona, duties } }`. */
  roles?: Record<string, Role>;
  /** Starting codebase (incremental mode): file name → content. */
  initial?: Record<string, string>;
  /** Strip hidden content and agent-aimed instructions from the task, roles and starting files. Default false. */
  sanitizeInputs?: boolean;
  /**
   * Self-correction of the code (issue 17): after coding (and/or review) checks run, a critic scores the code
   * 0–10 and the programmer refines, `rounds` versions at most; the best-scored version is kept. Default off.
   */
  selfCorrect?: {
    rounds: number;
    threshold?: number;
    hooks?: Array<'after-coding' | 'after-review'>;
    criticModel?: string;
  };
  /** A critic's safety review of each program before the sandbox runs it; a veto means it is not run. Default off. */
  safetyCheck?: { threshold?: number; criticModel?: string };
}

/** An option checked by its schema; a bad value is a one-line configuration error. */
function checked<T>(key: string, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = formatFirstIssue(parsed.error, value);
  throw new ConfigError({ key, message: `${key}${issue.key ? `.${issue.key}` : ''}: ${issue.message}` });
}

function chainConfig(options: ChainRunOptions) {
  const roles = roleBookInputSchema.safeParse(options.roles ?? {});
  if (!roles.success) {
    const issue = formatFirstIssue(roles.error, options.roles);
    throw new ConfigError({ key: 'roles', message: `roles: ${issue.key ? `'${issue.key}' ` : ''}${issue.message}` });
  }
  return {
    task: options.task,
    name: slugify(options.name ?? options.task),
    ...(options.language ? { language: options.language } : {}),
    phases: resolvePhases(options.phases),
    roles: { ...defaultRoles, ...roles.data },
    ...(options.initial ? { initial: options.initial } : {}),
    ...(options.sanitizeInputs ? { sanitizeInputs: true } : {}),
    ...(options.selfCorrect ? { selfCorrect: checked('selfCorrect', selfCorrectSchema, options.selfCorrect) } : {}),
    ...(options.safetyCheck ? { safetyCheck: checked('safetyCheck', safetyCheckSchema, options.safetyCheck) } : {}),
    unsafeNoSandbox: options.allowUnsafeSandbox === true,
    ...(options.cache ? { cache: true } : {}),
    flags: toFlags(options),
    ...outDirOf(options),
  };
}

/**
 * Runs the ChatDev chain: demand analysis → language → coding → completion
 * → review loop → sandboxed test-and-fix loop → dependency file → manual.
 * The project is `result.summary.files` (written to `outDir` when given).
 */
export function runChain(options: ChainRunOptions): RunHandle<JobResult<DevSummary>> {
  return start(options, async (environment) => runDevJob(environment, { kind: 'dev', ...chainConfig(options) }));
}

/** Options of {@link runCrossTeam}. */
export interface CrossTeamRunOptions extends ChainRunOptions {
  /** K diversified teams, or the teams themselves (id, temperature, personaNote, model, language, reviewRounds, testRounds). */
  teams: number | TeamSpec[];
  /** Proposals kept at each decision point: `{ ratio: 0.5 }` or `{ count: 2 }`. Default half. */
  keep?: KeepRule;
  /** Proposals merged per aggregation call. Default 2. */
  groupSize?: number;
  /** Prune only when more than this many proposals reach a decision point. Default 4 (the reference code's). */
  pruneAbove?: number;
  /** Where teams compare and merge. Default the paper's: coding, completion, final. */
  decisionPoints?: DecisionPoint[];
  /** How proposals are scored. Default `metrics`. */
  scorer?: Scorer;
}

/**
 * Cross-team collaboration on software: K diversified teams run the chain;
 * at each decision point their proposals are scored, pruned greedily and
 * merged by hierarchical partitioning aggregation, and the merge is shared
 * back with every team.
 */
export function runCrossTeam(options: CrossTeamRunOptions): RunHandle<JobResult<CrossTeamSummary>> {
  return start(options, async (environment) => {
    const profiles = typeof options.teams === 'number' ? [] : options.teams;
    return runCrossTeamJob(environment, {
      kind: 'cross-team',
      ...chainConfig(options),
      teamOptions: {
        teams: typeof options.teams === 'number' ? options.teams : options.teams.length,
        keep: options.keep ?? { ratio: 0.5 },
        groupSize: options.groupSize ?? 2,
        pruneAbove: options.pruneAbove ?? defaultPruneAbove,
        decisionPoints: options.decisionPoints ?? [...defaultDecisionPoints],
        scorer: options.scorer ?? 'metrics',
        teamModels: [],
        profiles,
      },
    });
  });
}

/** Options of {@link runStory}. */
export interface StoryRunOptions extends RunOptions {
  /** What the story is about. */
  premise: string;
  /** K diversified teams, or the teams themselves (id, temperature, personaNote, model). Default 4. */
  teams?: number | Array<Pick<TeamSpec, 'id' | 'temperature' | 'personaNote' | 'model'>>;
  /** Texts kept at each stage. Default half. */
  keep?: KeepRule;
  /** Prune only when more than this many texts reach a stage's end. Default 4 (the reference code's). */
  pruneAbove?: number;
  /** Editor rounds per stage (the editor critiques, the writer revises). Default 1. */
  editRounds?: number;
  /** Texts merged per aggregation call. Default 2. */
  groupSize?: number;
  /** Target length in words. Default 300. */
  words?: number;
  /**
   * Self-correction of the finished story (issue 17): a critic scores it 0–10 by a written rubric and the writer
   * rewrites, `rounds` versions at most; the best-scored one is kept. Critic only: prose has no verifiable check.
   */
  selfCorrect?: { rounds: number; threshold?: number; criticModel?: string };
  /** A critic's safety review of the finished story; a veto or a score below `threshold` withholds it. */
  safetyCheck?: { threshold?: number; criticModel?: string };
}

/** Cross-team prose: outline → draft → revision, judged, pruned and merged at each stage (`result.summary.story`). */
export function runStory(options: StoryRunOptions): RunHandle<JobResult<StorySummary>> {
  const teams = options.teams ?? 4;
  return start(options, (environment) =>
    runStoryJob(environment, {
      kind: 'story',
      premise: options.premise,
      teams: typeof teams === 'number' ? teams : teams.length,
      ...(typeof teams === 'number' ? {} : { profiles: teams }),
      keep: options.keep ?? { ratio: 0.5 },
      pruneAbove: options.pruneAbove ?? defaultPruneAbove,
      editRounds: options.editRounds ?? 1,
      groupSize: options.groupSize ?? 2,
      words: options.words ?? 300,
      ...(options.selfCorrect
        ? { selfCorrect: checked('selfCorrect', textSelfCorrectSchema, options.selfCorrect) }
        : {}),
      ...(options.safetyCheck ? { safetyCheck: checked('safetyCheck', safetyCheckSchema, options.safetyCheck) } : {}),
      flags: toFlags(options),
      ...outDirOf(options),
    }),
  );
}

/** Options of {@link resumeRun}. */
export interface ResumeOptions
  extends Pick<
    RunOptions,
    | 'budgetUsd'
    | 'maxTokens'
    | 'concurrency'
    | 'timeoutMs'
    | 'cwd'
    | 'env'
    | 'signal'
    | 'onEvent'
    | 'sandbox'
    | 'approve'
    | 'askApproval'
  > {
  /** The stopped run's id. */
  runId: string;
  /** The store file the run is in. */
  store: string;
}

/** Continues a stored run that stopped (budget, abort, crash) from where it stopped; answered calls are replayed free. */
export function resumeRun(options: ResumeOptions): RunHandle<JobResult<object>> {
  const cwd = options.cwd ?? process.cwd();
  return start(options, (environment) => {
    const flags = toFlags({ ...options, store: options.store });
    const { store: _store, ...flagOverrides } = flags;
    const storePath = options.store === noStore ? noStore : resolve(cwd, options.store);
    return resumeJob(environment, { storePath, runId: options.runId, flagOverrides });
  });
}

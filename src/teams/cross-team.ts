import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { RoleBook } from '../agents/index.js';
import { partitionMerge, type MergeNode } from '../common/index.js';
import { AbortedError, BudgetExceededError } from '../errors/index.js';
import { complete } from '../model/index.js';
import {
  entryFile,
  executeChain,
  type ChainEvent,
  type ChainOptions,
  type ChainLanguage,
  type ChainResult,
  type PhaseRecord,
  type ProgramRunner,
  type TestOutcome,
} from '../software/chain.js';
import { formatCodebase, parseCodebase, type Files } from '../software/codebase/index.js';
import type { ResolvedPhase } from '../software/phases.js';
import type { TeamProfile } from './diversify.js';
import { judgeProposal } from './judge.js';
import type { EmbeddingSetup } from '../metrics/index.js';
import { codeMetrics, proposalScore, type CodeMetrics } from './metrics.js';
import {
  defaultPruneAbove,
  pruneGreedy,
  pruneReason,
  undecidedTies,
  type KeepRule,
  type ScoredProposal,
  type ScoreTie,
} from './prune.js';
import type { Spend, TeamBudgets } from './team-budget.js';
import {
  safetyCheckedRunner,
  teamSelfCorrection,
  type TeamCheckContext,
  type TeamRoundEvent,
  type TeamSafetyCheck,
  type TeamSelfCorrect,
} from './team-checks.js';

/**
 * Where the teams stop to compare and merge their work: after the design phases (demand analysis and language),
 * after coding, after code completion, and at the end. The cross-team paper's key phases in software are coding and
 * code completion, plus the final result.
 */
export const decisionPointNames = ['design', 'coding', 'completion', 'final'] as const;
/** A decision point of the software chain. */
export type DecisionPoint = (typeof decisionPointNames)[number];
/**
 * The paper's decision points, the default. The design point is off by default: its proposals are only the product
 * form and the language the teams settled on, which a merge can barely improve.
 */
export const defaultDecisionPoints: DecisionPoint[] = ['coding', 'completion', 'final'];

/** The last phase of each decision point's segment. */
const segmentEnd: Record<DecisionPoint, string> = {
  design: 'language-choice',
  coding: 'coding',
  completion: 'code-completion',
  final: 'manual',
};

/** How proposals are scored. */
export type Scorer = 'metrics' | 'judge' | 'both';

/** Options of {@link executeCrossTeam}. */
export interface CrossTeamOptions {
  task: string;
  teams: TeamProfile[];
  phases: ResolvedPhase[];
  roles: RoleBook;
  /** Model for a role in a team (teams may use different models). */
  model: (team: TeamProfile, role: string) => LanguageModelV3;
  decisionPoints: DecisionPoint[];
  keep: KeepRule;
  /** Prune only when more than this many proposals reach a decision point; fewer are all merged. Default 4. */
  pruneAbove?: number;
  groupSize: number;
  scorer: Scorer;
  /** Starting codebase of every team (incremental mode, `--from`). */
  initial?: Files;
  language?: ChainLanguage;
  runProgram?: ProgramRunner;
  noRunnerReason?: string;
  /** Embedding model of the consistency metric; absent: the TF-IDF fallback (see `src/metrics`). */
  embedding?: EmbeddingSetup;
  /** Size caps on files and prompts of each team's chain; a team that goes over is dropped with the reason. */
  limits?: ChainOptions['limits'];
  seed?: number;
  signal?: AbortSignal;
  onEvent?: (event: CrossTeamEvent) => void;
  /**
   * Each team's share of the run budget (its own calls, its judge, its part of the merges). A team whose call would
   * go past its share (the models of `model` refuse it) or that is over it at a decision point is dropped; the
   * others carry on. When every team was dropped so, the run stops with the run's budget message.
   */
  teamBudget?: TeamBudgets;
  /**
   * Self-correction of each team's code after coding and/or review (issue 17): checks first, then the critic
   * (`model(team, 'critic')`, charged to the team); every round is a `self-correction` event with the team.
   */
  selfCorrect?: TeamSelfCorrect;
  /**
   * A safety review of every program before the sandbox runs it (a team's, or a merge's): a veto or a score
   * below the threshold means it is not run. Every review is a `self-correction` event (`before-execution`).
   */
  safetyCheck?: TeamSafetyCheck;
  /**
   * Runs a team's chain through one segment somewhere else (a queue worker); default: in this process with
   * `model`. Decision points, pruning and merging stay here.
   */
  executeSegment?: TeamSegmentExecutor;
  /** Continue a run from the checkpoint taken after one of its decision points (its earlier segments are not run again). */
  resumeFrom?: CrossTeamCheckpoint;
  /** Called after each decision point that is not the last, with what a resume needs. */
  onCheckpoint?: (checkpoint: CrossTeamCheckpoint) => void;
}

/** A cross-team run after a decision point: enough to continue with the next segment. Plain JSON. */
export interface CrossTeamCheckpoint {
  /** Index of the next segment (see {@link segmentPhases}) to run. */
  nextSegment: number;
  /** The decision point just passed. */
  point: DecisionPoint;
  teams: Array<{
    report: TeamReport;
    files: Files;
    language?: ChainLanguage;
    modality?: string;
    ideas?: string;
    lastTest?: TestOutcome;
  }>;
  decisions: DecisionReport[];
  /** What each team had spent at the checkpoint (its share counts it after a resume). */
  teamSpent?: Record<string, Spend>;
}

/**
 * Progress of a cross-team run (software or story): a segment (all teams working towards a decision point or
 * story stage) starts, a team's chain reports progress, a team is dropped, a decision point is passed.
 */
export type CrossTeamEvent =
  | { type: 'segment-started'; point: string; teams: string[] }
  | { type: 'team-progress'; team: string; event: ChainEvent }
  | { type: 'team-dropped'; team: string; reason: string }
  | { type: 'decision'; report: Omit<DecisionReport, 'point'> & { point: string } }
  | TeamRoundEvent;

/** A proposal as reported. */
export interface ProposalReport {
  team: string;
  score: number;
  metrics?: CodeMetrics;
  judge?: { score: number; valid: boolean; problems?: string[]; reason?: string };
  language?: string;
}

/** What happened at one decision point. */
export interface DecisionReport {
  point: DecisionPoint;
  proposals: ProposalReport[];
  kept: string[];
  pruned: Array<{ team: string; reason: string }>;
  tree: MergeNode[];
  rootId: string;
  /** Teams that received the merged result for their next phase (every team still in the run continues from it). */
  deliveredTo: string[];
  /** Proposals that shared a score, and whether the second signal ordered them. */
  ties?: ScoreTie[];
  /** The second signal that orders proposals with equal scores. */
  tiebreak?: string;
  /** Whether pruning applied (more proposals than the threshold); otherwise every proposal was merged. */
  pruneApplied?: boolean;
  /** What was shared back (a summary for design, file names for code). */
  shared: string;
  /** Why the point was skipped: a single proposal has nothing to be pruned or merged with (no judge or aggregator call). */
  skipped?: string;
}

/** Per-team state and record. */
export interface TeamReport {
  id: string;
  profile: TeamProfile;
  status: 'active' | 'dropped';
  droppedAt?: DecisionPoint;
  reason?: string;
  language?: ChainLanguage;
  modality?: string;
  phases: PhaseRecord[];
  /** The team's own artifacts at each decision point (before merging). */
  artifacts: Record<string, Files | string>;
}

/** Result of a cross-team run. */
export interface CrossTeamResult {
  status: 'completed' | 'failed';
  files: Files;
  language: ChainLanguage;
  modality: string;
  test: TestOutcome;
  teams: TeamReport[];
  decisions: DecisionReport[];
  /**
   * Without a final decision point nothing is merged at the end: the best
   * team's own work is the result. Which team that is and why.
   */
  selection?: { team: string; reason: string; proposals: ProposalReport[] };
  error?: string;
}

/** A team's chain through one segment as plain data: what a queue worker needs besides the models. */
export type TeamChainData = Pick<
  ChainOptions,
  | 'task'
  | 'phases'
  | 'roles'
  | 'language'
  | 'modality'
  | 'initial'
  | 'temperature'
  | 'personaNote'
  | 'agentPrefix'
  | 'ideas'
  | 'noRunnerReason'
  | 'seed'
  | 'limits'
>;

/** One team's work up to the next decision point, handed to a {@link TeamSegmentExecutor}. */
export interface TeamSegmentWork {
  team: TeamProfile;
  /** Index of the segment (see {@link segmentPhases}). */
  segment: number;
  chain: TeamChainData;
  /** Whether the chain may run programs (the run has a sandbox). */
  codeRuns: boolean;
  /** The team's self-correction (issue 17), as data. */
  selfCorrect?: TeamSelfCorrect;
  /** The safety review before each of the team's programs runs, as data. */
  safetyCheck?: TeamSafetyCheck;
  signal?: AbortSignal;
  onEvent?: (event: ChainEvent) => void;
  /** Self-correction and safety-review rounds of the team, for the run's events. */
  onRound?: (event: TeamRoundEvent) => void;
}

/** Runs a team's segment and returns the chain's result (a queue worker, or this process). */
export type TeamSegmentExecutor = (work: TeamSegmentWork) => Promise<ChainResult>;

interface TeamState {
  report: TeamReport;
  files: Files;
  language: ChainLanguage | undefined;
  modality: string | undefined;
  ideas: string | undefined;
  lastTest: TestOutcome | undefined;
}

/** Splits the chain into segments ending at the decision points (the last segment always runs to the end). */
export function segmentPhases(
  phases: ResolvedPhase[],
  points: DecisionPoint[],
): Array<{ point: DecisionPoint | undefined; phases: ResolvedPhase[] }> {
  const segments: Array<{ point: DecisionPoint | undefined; phases: ResolvedPhase[] }> = [];
  let current: ResolvedPhase[] = [];
  for (const phase of phases) {
    current.push(phase);
    const point = points.find((p) => segmentEnd[p] === phase.name);
    if (point) {
      segments.push({ point, phases: current });
      current = [];
    }
  }
  if (current.length > 0) segments.push({ point: undefined, phases: current });
  return segments;
}

/** A team's share of the budget was reached: that team stops, the run goes on. */
const isTeamBudget = (error: unknown): error is BudgetExceededError =>
  BudgetExceededError.isInstance(error) && error.scope !== undefined;
/** Stops the whole run: a cancellation, or the run's own budget. */
const isFatal = (error: unknown) =>
  AbortedError.isInstance(error) || (BudgetExceededError.isInstance(error) && error.scope === undefined);

/** A team's design proposal with its judge's verdict. */
interface DesignScore {
  text: string;
  score: number;
  /** The judge's second signal for equal scores. */
  tiebreak: number;
  report: ProposalReport;
}

/** A team's code proposal with its score and the sandbox run made to score it. */
interface CodeScore extends ScoredProposal<Files> {
  report: ProposalReport;
  test: TestOutcome | undefined;
}

/**
 * Cross-team collaboration on the software chain: K diversified teams run
 * concurrently; at each decision point their proposals are scored, pruned
 * greedily, merged by hierarchical partitioning aggregation, and the merged
 * result goes back to every team for its next phase (or is the final result).
 * A team that fails is dropped with a reason; the others carry on. With a
 * single team (or a single survivor) a decision point has nothing to prune or
 * merge: it is recorded as skipped and costs no call, so one team is a plain
 * single-team chain.
 */
export async function executeCrossTeam(options: CrossTeamOptions): Promise<CrossTeamResult> {
  const resume = options.resumeFrom;
  const states: TeamState[] = resume
    ? resume.teams.map((t) => ({
        report: t.report,
        files: t.files,
        language: t.language,
        modality: t.modality,
        ideas: t.ideas,
        lastTest: t.lastTest,
      }))
    : options.teams.map((profile) => ({
        report: { id: profile.id, profile, status: 'active', phases: [], artifacts: {} },
        files: { ...(options.initial ?? {}) },
        language: profile.language ?? options.language,
        modality: undefined,
        ideas: undefined,
        lastTest: undefined,
      }));
  const decisions: DecisionReport[] = resume ? [...resume.decisions] : [];
  const checkpoint = (nextSegment: number, point: DecisionPoint) =>
    options.onCheckpoint?.({
      nextSegment,
      point,
      teams: states.map((s) => ({
        report: s.report,
        files: s.files,
        ...(s.language ? { language: s.language } : {}),
        ...(s.modality ? { modality: s.modality } : {}),
        ...(s.ideas ? { ideas: s.ideas } : {}),
        ...(s.lastTest ? { lastTest: s.lastTest } : {}),
      })),
      decisions,
      ...(options.teamBudget ? { teamSpent: options.teamBudget.record(states.map((s) => s.report.id)) } : {}),
    });
  const emit = (e: CrossTeamEvent) => options.onEvent?.(e);
  const drop = (state: TeamState, point: DecisionPoint | undefined, reason: string) => {
    state.report.status = 'dropped';
    state.report.reason = reason;
    if (point) state.report.droppedAt = point;
    emit({ type: 'team-dropped', team: state.report.id, reason });
  };
  const alive = () => states.filter((s) => s.report.status === 'active');
  // the last team dropped because its share of the budget ran out: when no team is left, the run stops on it
  let budgetStop: BudgetExceededError | undefined;
  const dropForBudget = (state: TeamState, point: DecisionPoint | undefined, error: BudgetExceededError) => {
    budgetStop = error;
    drop(state, point, `exceeded its share of the budget (${shareText(error)})`);
  };
  let finalFiles: Files = {};
  let finalLanguage: ChainLanguage | undefined;
  let selection: CrossTeamResult['selection'];
  let finalTest: TestOutcome = {
    outcome: 'not-run',
    rule: options.noRunnerReason ?? 'not run',
    exitCode: null,
    output: '',
    durationMs: 0,
  };

  const segments = segmentPhases(options.phases, options.decisionPoints);
  for (const [index, segment] of segments.entries()) {
    if (resume && index < resume.nextSegment) continue; // finished before the checkpoint
    const point = segment.point;
    const decisionPoint = point ?? 'final';
    // a chain that ends at a code decision point (custom phases) ends with that point's result
    const concluding = decisionPoint === 'final' || index === segments.length - 1;
    const starting = alive();
    emit({ type: 'segment-started', point: decisionPoint, teams: starting.map((s) => s.report.id) });
    // pipelined scoring: each proposal is scored as soon as its own team finishes the segment, while the
    // others still work; only pruning and merging wait for every team
    const compare = starting.length >= 2;
    const designScores = new Map<string, DesignScore>();
    const codeScores = new Map<string, CodeScore>();
    await Promise.all(
      starting.map(async (state) => {
        await runSegment(options, state, { index, phases: segment.phases }, point, drop, dropForBudget);
        if (state.report.status !== 'active') return;
        const overBudget = options.teamBudget?.excess(state.report.id);
        if (overBudget) {
          drop(state, point, overBudget);
          return;
        }
        if (decisionPoint === 'design') state.report.artifacts.design = designProposal(state);
        // a lone team is compared with nobody; whether to score is fixed when the segment starts, so reports do not depend on timing
        if (!compare) return;
        try {
          if (decisionPoint === 'design') designScores.set(state.report.id, await scoreDesign(options, state));
          else codeScores.set(state.report.id, await scoreCode(options, decisionPoint, state));
        } catch (error) {
          if (isTeamBudget(error)) return dropForBudget(state, point, error);
          if (isFatal(error)) throw error;
          drop(state, point, `its proposal could not be scored: ${(error as Error).message.split('\n')[0]}`);
        }
      }),
    );
    const survivors = alive();
    if (survivors.length === 0 && budgetStop && options.teamBudget) throw options.teamBudget.runStop(budgetStop);
    if (survivors.length === 0) {
      return {
        status: 'failed',
        files: {},
        language: options.language ?? 'Python',
        modality: 'Command-line application',
        test: finalTest,
        teams: states.map((s) => s.report),
        decisions,
        error: 'every team failed',
      };
    }
    if (point === undefined && !options.decisionPoints.includes('final')) {
      // no final decision point: the best team's work is the result (ties broken as in pruning)
      const scored = survivors.flatMap((s) => codeScores.get(s.report.id) ?? []);
      const best = survivors.length === 1 ? survivors[0]!.report.id : pruneGreedy(scored, { count: 1 }).kept[0]!.id;
      const state = survivors.find((s) => s.report.id === best)!;
      const top = scored.find((s) => s.id === best);
      selection = {
        team: best,
        reason: top
          ? `no final decision point: the best-scored of ${scored.length} teams (score ${top.score}), its own work unmerged`
          : `no final decision point: the only team left`,
        proposals: scored.map((s) => s.report),
      };
      finalFiles = state.files;
      finalLanguage = state.language;
      finalTest = state.lastTest ?? finalTest;
      break;
    }
    if (survivors.length === 1) {
      const state = survivors[0]!;
      const scored = designScores.get(state.report.id)?.report ?? codeScores.get(state.report.id)?.report;
      if (decisionPoint !== 'design') state.report.artifacts[decisionPoint] = state.files;
      decisions.push(skippedDecision(decisionPoint, state.report.id, scored));
      emit({ type: 'decision', report: decisions.at(-1)! });
      if (concluding) {
        // the team's own work and its own test are the result, as in a single-team chain
        finalFiles = state.files;
        finalLanguage = state.language;
        finalTest = state.lastTest ?? finalTest;
        break;
      }
      checkpoint(index + 1, decisionPoint);
      continue;
    }
    // the merges serve every team still in the run: each pays an equal part
    const shared = <T>(work: () => Promise<T>) =>
      options.teamBudget
        ? options.teamBudget.shared(
            survivors.map((s) => s.report.id),
            work,
          )
        : work();
    if (decisionPoint === 'design') {
      const decision = await shared(() => decideDesign(options, survivors, designScores));
      decisions.push(decision.report);
      for (const state of survivors) state.ideas = decision.insight;
      emit({ type: 'decision', report: decision.report });
      checkpoint(index + 1, 'design');
      continue;
    }
    const decision = await shared(() =>
      decideCode(
        options,
        decisionPoint,
        survivors,
        survivors.map((s) => codeScores.get(s.report.id)!),
        concluding,
      ),
    );
    decisions.push(decision.report);
    emit({ type: 'decision', report: decision.report });
    if (concluding) {
      finalFiles = decision.files;
      finalLanguage = decision.language;
      finalTest = decision.test ?? finalTest;
      break;
    }
    // cross-team communication: every team continues from the merged codebase
    for (const state of survivors) {
      state.files = decision.files;
      state.language = decision.language;
    }
    checkpoint(index + 1, decisionPoint);
  }
  const lead = alive()[0]!;
  return {
    status: 'completed',
    files: finalFiles,
    // the result's language is the one the result is written in, not the first team's
    language: finalLanguage ?? lead.language ?? 'Python',
    modality: lead.modality ?? 'Command-line application',
    test: finalTest,
    teams: states.map((s) => s.report),
    decisions,
    ...(selection ? { selection } : {}),
  };
}

/** Runs one team through one segment of the chain; a team that fails is dropped with the reason. */
async function runSegment(
  options: CrossTeamOptions,
  state: TeamState,
  segment: { index: number; phases: ResolvedPhase[] },
  point: DecisionPoint | undefined,
  drop: (state: TeamState, point: DecisionPoint | undefined, reason: string) => void,
  dropForBudget: (state: TeamState, point: DecisionPoint | undefined, error: BudgetExceededError) => void,
): Promise<void> {
  const profile = state.report.profile;
  const phases = segment.phases.map((p) => {
    if (p.name === 'code-review') return { ...p, rounds: Math.min(p.rounds, profile.reviewRounds) };
    if (p.name === 'testing' && profile.testRounds !== undefined) return { ...p, rounds: profile.testRounds };
    return p;
  });
  let result: ChainResult;
  try {
    const chain: TeamChainData = {
      task: options.task,
      phases,
      roles: options.roles,
      ...(state.language ? { language: state.language } : {}),
      ...(state.modality ? { modality: state.modality } : {}),
      initial: state.files,
      temperature: profile.temperature,
      personaNote: profile.personaNote,
      agentPrefix: `${profile.id}/`,
      ...(state.ideas ? { ideas: state.ideas } : {}),
      ...(options.noRunnerReason ? { noRunnerReason: options.noRunnerReason } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
    };
    const onEvent = options.onEvent
      ? (event: ChainEvent) => options.onEvent!({ type: 'team-progress', team: profile.id, event })
      : undefined;
    result = options.executeSegment
      ? await options.executeSegment({
          team: profile,
          segment: segment.index,
          chain,
          codeRuns: options.runProgram !== undefined,
          // the checks travel as plain data: the worker builds them around its own models and sandbox
          ...(options.selfCorrect ? { selfCorrect: options.selfCorrect } : {}),
          ...(options.safetyCheck ? { safetyCheck: options.safetyCheck } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(onEvent ? { onEvent } : {}),
          onRound: (event) => options.onEvent?.(event),
        })
      : await executeChain({
          ...chain,
          model: (role) => options.model(profile, role),
          ...(onEvent ? { onEvent } : {}),
          ...(options.runProgram ? { runProgram: teamRunner(options, profile)! } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.selfCorrect
            ? { selfCorrect: teamSelfCorrection(options.selfCorrect, checkContext(options, profile)) }
            : {}),
        });
  } catch (error) {
    if (isTeamBudget(error)) return dropForBudget(state, point, error);
    if (isFatal(error)) throw error;
    drop(state, point, `failed: ${(error as Error).message.split('\n')[0]}`);
    return;
  }
  state.report.phases.push(...result.phases);
  state.files = result.files;
  state.language = result.language;
  state.modality = result.modality;
  state.report.language = result.language;
  state.report.modality = result.modality;
  if (result.test.outcome !== 'not-run') state.lastTest = result.test;
  const failedAt = [...result.phases].reverse().find((p) => p.status === 'failed')?.name ?? 'an unknown phase';
  if (result.status === 'failed') drop(state, point, `failed at ${failedAt}: ${result.error ?? 'the chain failed'}`);
  else {
    // a segment where nothing succeeded (its other phases skipped, e.g. a fixed language) leaves nothing to propose
    const failed = result.phases.filter((p) => p.status === 'failed');
    if (failed.length > 0 && result.phases.every((p) => p.status !== 'done'))
      drop(
        state,
        point,
        `${failed.length === result.phases.length ? 'every phase failed' : 'no phase succeeded'} (${failed[0]!.note ?? 'model errors'})`,
      );
  }
}

/** What a team's self-correction and safety review need (plain options plus the team's models). */
function checkContext(options: CrossTeamOptions, team: TeamProfile): TeamCheckContext {
  return {
    task: options.task,
    team,
    model: (role) => options.model(team, role),
    ...(options.runProgram ? { runProgram: teamRunner(options, team)! } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onRound: (event) => options.onEvent?.(event),
  };
}

/** Each run's program runners per team (a safety review caches its verdicts per codebase). */
const runners = new WeakMap<CrossTeamOptions, Map<string, ProgramRunner>>();

/** The runner of a team's programs: with `safetyCheck`, behind the team's safety review (its critic, its share). */
function teamRunner(options: CrossTeamOptions, team: TeamProfile): ProgramRunner | undefined {
  if (!options.runProgram || !options.safetyCheck) return options.runProgram;
  const byTeam = runners.get(options) ?? new Map<string, ProgramRunner>();
  runners.set(options, byTeam);
  let runner = byTeam.get(team.id);
  if (!runner) {
    runner = safetyCheckedRunner(options.safetyCheck, options.runProgram, {
      task: options.task,
      critic: options.model(team, 'critic'),
      agent: `${team.id}/safety-critic`,
      team: team.id,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onRound: (event) => options.onEvent?.(event),
    });
    byTeam.set(team.id, runner);
  }
  return runner;
}

/** The runner of a merge made for every team: its safety review is shared work (`shared-critic`, charged in parts). */
function mergeRunner(options: CrossTeamOptions, lead: TeamProfile): ProgramRunner | undefined {
  if (!options.runProgram || !options.safetyCheck) return options.runProgram;
  return safetyCheckedRunner(options.safetyCheck, options.runProgram, {
    task: options.task,
    critic: options.model(lead, 'shared-critic'),
    agent: 'safety-critic',
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onRound: (event) => options.onEvent?.(event),
  });
}

/** A refused call's spending against the team's share, e.g. `$0.0190 of $0.0200; the next call would take it to $0.0230`. */
function shareText(error: BudgetExceededError): string {
  const unit = (v: number) => (error.limit === 'usd' ? `$${v.toFixed(4)}` : `${Math.round(v)} tokens`);
  return `spent ${unit(error.spent)} of ${unit(error.max)}; its next call would take it to about ${unit(error.projected)}`;
}

/** A decision point with a single proposal: nothing to prune or merge, so no judge or aggregator is asked. */
function skippedDecision(point: DecisionPoint, team: string, scored: ProposalReport | undefined): DecisionReport {
  return {
    point,
    // a proposal is scored only while a second team is still in the segment; then its score is reported
    proposals: scored ? [scored] : [],
    kept: [team],
    pruned: [],
    tree: [],
    rootId: team,
    deliveredTo: [],
    shared: '',
    skipped: `only ${team} has a proposal: nothing to prune or merge`,
  };
}

/** The design phases' real outputs: the product form demand analysis settled on and the language chosen. */
function designProposal(state: TeamState): string {
  return `Product form: ${state.modality ?? 'unspecified'}\nLanguage: ${state.language ?? 'unspecified'}`;
}

/** The judge that scores a team's proposal: it works for that team, so its calls count against the team's share. */
const judgeAgent = (teamId: string) => `${teamId}/judge`;

async function scoreDesign(options: CrossTeamOptions, state: TeamState): Promise<DesignScore> {
  const text = designProposal(state);
  const verdict = await judgeProposal({
    model: options.model(state.report.profile, 'judge'),
    task: options.task,
    proposal: text,
    kind: 'design',
    agent: judgeAgent(state.report.id),
    scope: `design/${state.report.id}`,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return {
    text,
    score: verdict.score,
    // the judge's second signal: fewer problems named ranks higher among equal scores
    tiebreak: -(verdict.problems?.length ?? 0),
    report: {
      team: state.report.id,
      score: verdict.score,
      judge: verdict,
      ...(state.language ? { language: state.language } : {}),
    },
  };
}

/** The pruning threshold of a run. */
const pruneAbove = (options: CrossTeamOptions) => options.pruneAbove ?? defaultPruneAbove;

/** Pruned proposals with their reasons: scores, and the second signal when a tie was broken by it. */
function prunedReasons(
  pruned: ReadonlyArray<ScoredProposal<unknown>>,
  kept: ReadonlyArray<ScoredProposal<unknown>>,
  total: number,
  above: number,
  tiebreakName: string,
): Array<{ team: string; reason: string }> {
  return pruned.map((p) => ({ team: p.id, reason: pruneReason(p, kept, total, { above, tiebreakName }) }));
}

async function decideDesign(
  options: CrossTeamOptions,
  teams: TeamState[],
  scores: ReadonlyMap<string, DesignScore>,
): Promise<{ report: DecisionReport; insight: string }> {
  const judged = teams.map((t) => ({ id: t.report.id, ...scores.get(t.report.id)! }));
  const scored: Array<ScoredProposal<string>> = judged.map((j) => ({
    id: j.id,
    value: j.text,
    score: j.score,
    tiebreak: j.tiebreak,
  }));
  const above = pruneAbove(options);
  const { kept, pruned, ties, applied } = pruneGreedy(scored, options.keep, { above });
  const aggregatorModel = options.model(teams[0]!.report.profile, 'aggregator');
  const merged = await partitionMerge(
    kept.map((k) => ({ id: k.id, value: k.value })),
    options.groupSize,
    async (group, id) =>
      (
        await complete(aggregatorModel, {
          system:
            'You are the Integrator. You combine several design proposals into one recommendation that keeps the strengths of each.',
          messages: [
            {
              role: 'user',
              content: `Task: ${options.task}\n\nDesign proposals from different teams:\n\n${group.map((g) => `### ${g.id}\n${g.value}`).join('\n\n')}\n\nWrite one short recommendation for the product form, the language and the key features, keeping the best ideas of each proposal.`,
            },
          ],
          temperature: 0,
          agent: 'aggregator',
          scope: id,
          ...(options.signal ? { signal: options.signal } : {}),
        })
      ).text,
  );
  const tiebreak = 'fewer problems named by the judge';
  return {
    insight: merged.result,
    report: {
      point: 'design',
      proposals: judged.map((j) => j.report),
      kept: kept.map((k) => k.id),
      pruned: prunedReasons(pruned, kept, scored.length, above, tiebreak),
      tree: merged.tree,
      rootId: merged.rootId,
      deliveredTo: teams.map((t) => t.report.id),
      shared: merged.result.slice(0, 2000),
      ...(ties.length > 0 ? { ties } : {}),
      tiebreak,
      pruneApplied: applied,
    },
  };
}

/** The second signal that orders code proposals with equal scores, by scorer. */
const codeTiebreak = (scorer: Scorer) => (scorer === 'judge' ? 'metrics quality' : 'judge score');

/** Scores one team's code: the sandbox run (for executability) and the judge need nothing from each other, so they run at once. */
async function scoreCode(options: CrossTeamOptions, point: DecisionPoint, state: TeamState): Promise<CodeScore> {
  const language = state.language;
  const runProgram = teamRunner(options, state.report.profile);
  const [test, verdict] = await Promise.all([
    runProgram && language ? runProgram(state.files, entryFile(language), language, options.signal) : undefined,
    options.scorer !== 'metrics' ? askJudge(options, point, state.report.id, state.files) : undefined,
  ]);
  const metrics = await codeMetrics(options.task, state.files, test, {
    ...(language ? { language } : {}),
    ...(options.embedding ? { embedding: options.embedding } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let score = proposalScore(metrics);
  const report: ProposalReport = { team: state.report.id, score, metrics, ...(language ? { language } : {}) };
  if (verdict) {
    report.judge = verdict;
    score = options.scorer === 'judge' ? verdict.score : (proposalScore(metrics) + verdict.score) / 2;
  }
  report.score = Math.round(score * 1000) / 1000;
  const tiebreak = options.scorer === 'judge' ? proposalScore(metrics) : verdict?.score;
  return {
    id: state.report.id,
    value: state.files,
    score: report.score,
    ...(tiebreak !== undefined ? { tiebreak } : {}),
    report,
    test,
  };
}

function askJudge(
  options: CrossTeamOptions,
  point: DecisionPoint,
  teamId: string,
  files: Files,
  scope: string = point,
) {
  return judgeProposal({
    model: options.model(options.teams.find((t) => t.id === teamId)!, 'judge'),
    task: options.task,
    proposal: formatCodebase(files),
    kind: 'code',
    agent: judgeAgent(teamId),
    scope: `${scope}/${teamId}`,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/**
 * Proposals whose metrics tie across the cut get the judge's score as a second signal (asked only for them, and
 * only when the scorer did not ask the judge already), so a tie is not settled by team ids.
 */
async function breakTies(options: CrossTeamOptions, point: DecisionPoint, scored: CodeScore[]): Promise<void> {
  if (options.scorer !== 'metrics') return;
  const undecided = undecidedTies(scored, options.keep, { above: pruneAbove(options) });
  await Promise.all(
    scored
      .filter((s) => undecided.includes(s.id) && !s.report.judge)
      .map(async (s) => {
        try {
          const verdict = await askJudge(options, point, s.id, s.value, `${point}/tie-break`);
          s.report.judge = verdict;
          s.tiebreak = verdict.score;
        } catch (error) {
          // without the second signal the tie stays in id order, and the report says so
          if (isFatal(error)) throw error;
        }
      }),
  );
}

async function decideCode(
  options: CrossTeamOptions,
  point: DecisionPoint,
  teams: TeamState[],
  scored: CodeScore[],
  concluding: boolean,
): Promise<{ report: DecisionReport; files: Files; language: ChainLanguage; test: TestOutcome | undefined }> {
  for (const s of scored) teams.find((t) => t.report.id === s.id)!.report.artifacts[point] = s.value;
  await breakTies(options, point, scored);
  const above = pruneAbove(options);
  const { kept: rankedKept, pruned, ties, applied } = pruneGreedy(scored, options.keep, { above });
  // one codebase cannot mix languages: proposals in another language than the best one are set aside
  const language = teams.find((t) => t.report.id === rankedKept[0]!.id)!.language ?? 'Python';
  const kept = rankedKept.filter((k) => teams.find((t) => t.report.id === k.id)!.language === language);
  const setAside = rankedKept.filter((k) => !kept.includes(k));
  const aggregatorModel = options.model(teams[0]!.report.profile, 'aggregator');
  const merged = await partitionMerge(
    kept.map((k) => ({ id: k.id, value: k.value })),
    options.groupSize,
    async (group, id) => {
      const reply = await complete(aggregatorModel, {
        system:
          'You are the Integrator. You compare several programs written for the same task and write one program that keeps the strengths of each and drops their weaknesses.',
        messages: [
          {
            role: 'user',
            content: `Task: ${options.task}\nProgramming language: ${language}\n\n${group.map((g, i) => `### Candidate ${i + 1} (${g.id})\n${formatCodebase(g.value)}`).join('\n\n')}\n\nWrite the single best program: every file as its file name on a line of its own followed by a fenced code block with the whole file. Implement everything; no placeholders.`,
          },
        ],
        temperature: 0,
        agent: 'aggregator',
        scope: `${point}/${id}`,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const files = parseCodebase(reply.text).files;
      // a merge that yields no files keeps the group's best candidate rather than losing the work
      return Object.keys(files).length > 0 ? { ...group[0]!.value, ...files } : group[0]!.value;
    },
  );
  // only the final result's test is reported (teams retest merged code in their own testing phase);
  // a single kept proposal was already run when it was scored
  let test: TestOutcome | undefined;
  const runMerged = mergeRunner(options, teams[0]!.report.profile);
  if (concluding && runMerged) {
    const unmerged = merged.tree.length === 0 ? scored.find((s) => s.id === merged.rootId)?.test : undefined;
    test = unmerged ?? (await runMerged(merged.result, entryFile(language), language, options.signal));
  }
  const tiebreak = codeTiebreak(options.scorer);
  return {
    files: merged.result,
    language,
    test,
    report: {
      point,
      proposals: scored.map((s) => s.report),
      kept: kept.map((k) => k.id),
      pruned: [
        ...prunedReasons(pruned, rankedKept, scored.length, above, tiebreak),
        ...setAside.map((p) => ({ team: p.id, reason: `written in another language than ${language}` })),
      ],
      tree: merged.tree,
      rootId: merged.rootId,
      deliveredTo: concluding ? [] : teams.map((t) => t.report.id),
      shared: Object.keys(merged.result).sort().join(', '),
      ...(ties.length > 0 ? { ties } : {}),
      tiebreak,
      pruneApplied: applied,
    },
  };
}

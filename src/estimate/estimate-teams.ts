import { defaultRoles, renderTemplate, type RoleBook } from '../agents/index.js';
import type { PriceEntry } from '../config/index.js';
import type { ChainLanguage } from '../software/chain.js';
import type { ResolvedPhase } from '../software/phases.js';
import {
  defaultPruneAbove,
  keptCount,
  segmentPhases,
  storyStages,
  type DecisionPoint,
  type KeepRule,
  type Scorer,
  type TeamProfile,
} from '../teams/index.js';
import {
  chainCalls,
  chainReplySizes,
  type ChainCallContext,
  type ChainCallState,
  type PlannedCall,
} from './chain-calls.js';
import { chainAssumptions, tallyCalls } from './estimate-chain.js';
import { modelByRole, type ModelChoice } from './estimate-network.js';
import { defaultReplyTokens, simReplyText, type AssumedReplyTokens } from './reply-sizes.js';
import { CallTally, isSimModel, promptChars } from './tally.js';
import type { Estimate } from './types.js';

/** Roles that serve all teams at a decision point: they use the run's model, never a team's own. */
const sharedRoles = new Set(['judge', 'aggregator']);

/** The model string of a team's agent, as the CLI picks it (a team's own model, except judge and aggregator). */
function teamModelFor(model: ModelChoice, team: TeamProfile): (role: string) => string {
  const run = typeof model === 'string' ? () => model : model;
  return (role) => (team.model && !sharedRoles.has(role) ? team.model : run(role));
}

/** Merge calls per level of `partitionMerge` over `n` items. */
export function mergeLevels(n: number, groupSize: number): number[] {
  const size = Math.max(2, Math.floor(groupSize));
  const levels: number[] = [];
  for (let m = n; m > 1; m = Math.ceil(m / size)) levels.push(Math.floor(m / size) + (m % size > 1 ? 1 : 0));
  return levels;
}

const judgePrompt = (task: string, kind: 'code' | 'story' | 'design', proposal: number) =>
  `Task: ${task}\n\nJudge this ${kind === 'code' ? 'program' : kind === 'story' ? 'story' : 'design proposal'} strictly against the task. Reply with JSON only, shaped like this example:\n\`\`\`json\n{"score": 0.5, "strengths": ["text"], "problems": ["text"]}\n\`\`\`\nThe score runs from 0 (useless) to 1 (excellent).\n\n<<<\n\n>>>`
    .length + proposal;
const judgeSystem = 'You are a strict, consistent judge.';

/** Characters of a judge's JSON verdict: measured on the simulated model, assumed otherwise. */
function judgeReply(model: string, task: string, seed: number, tokens: AssumedReplyTokens): number {
  if (!isSimModel(model)) return 4 * tokens.judge;
  const prompt = `Task: ${task}\n\nJudge this program. Reply with JSON only, shaped like this example:\n\`\`\`json\n{"score": 0.5, "strengths": ["text"], "problems": ["text"]}\n\`\`\``;
  let sum = 0;
  for (let k = 0; k < 8; k++) sum += simReplyText(judgeSystem, prompt, seed + k, 0).length;
  return sum / 8;
}

/** Options shared by the cross-team estimates. */
interface TeamsCommon {
  teams: TeamProfile[];
  /** Model string per role (the run's), or one for all; a team's own `model` serves its agents. */
  model: ModelChoice;
  keep: KeepRule;
  /** Pruning applies only above this many proposals. Default 4. */
  pruneAbove?: number;
  groupSize: number;
  seed?: number;
  /** Calls in flight per model (the model limiter). Default 8. */
  callConcurrency?: number;
  latencyMs: number;
  prices?: Record<string, PriceEntry>;
  replyTokens?: Partial<AssumedReplyTokens>;
}

/** Options of {@link estimateCrossTeam}: what `executeCrossTeam` takes, with model strings instead of models. */
export interface CrossTeamEstimateOptions extends TeamsCommon {
  task: string;
  phases: ResolvedPhase[];
  roles?: RoleBook;
  decisionPoints: DecisionPoint[];
  scorer: Scorer;
  language?: ChainLanguage;
  /** A sandbox will run the programs. Default false. */
  runsPrograms?: boolean;
}

interface Phase {
  /** Planned calls of each team, in the order the team makes them. */
  perTeam: PlannedCall[][];
  /** Calls after the teams: judges (one per team, side by side), then merge levels. */
  judges: PlannedCall[];
  merges: PlannedCall[][];
}

/** Makespan of phases in which teams work side by side, then judges, then merge levels (expected, bound). */
function phasesMakespan(
  phases: Phase[],
  callConcurrency: number,
): { expected: number; bound: number; critical: number } {
  const width = (n: number) => Math.ceil(n / callConcurrency);
  let expected = 0;
  let bound = 0;
  let critical = 0;
  for (const p of phases) {
    const teamExpected = p.perTeam.map((c) => c.reduce((a, x) => a + x.expected, 0));
    const teamBound = p.perTeam.map((c) => c.reduce((a, x) => a + x.bound, 0));
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    // teams share each model's limiter: a wave of more teams than slots takes longer
    expected += Math.max(0, ...teamExpected, sum(teamExpected) / callConcurrency);
    bound += Math.max(0, ...teamBound, Math.ceil(sum(teamBound) / callConcurrency));
    critical += Math.max(0, ...teamExpected);
    const after = (p.judges.length > 0 ? width(p.judges.length) : 0) + sum(p.merges.map((l) => width(l.length)));
    expected += after;
    bound += after;
    critical += (p.judges.length > 0 ? 1 : 0) + p.merges.length;
  }
  return { expected, bound, critical };
}

function finish(
  kind: Estimate['kind'],
  tally: CallTally,
  phases: Phase[],
  o: TeamsCommon,
  assumptions: string[],
): Estimate {
  for (const p of phases) {
    for (const c of p.perTeam) tallyCalls(tally, c);
    tallyCalls(tally, p.judges);
    for (const level of p.merges) tallyCalls(tally, level);
  }
  const totals = tally.totals(o.prices);
  const callConcurrency = o.callConcurrency ?? 8;
  const span = phasesMakespan(phases, callConcurrency);
  return {
    kind,
    ...totals,
    makespan: {
      expectedMs: span.expected * o.latencyMs,
      boundMs: span.bound * o.latencyMs,
      latencyMs: o.latencyMs,
      concurrency: o.teams.length,
      callConcurrency,
      criticalPathCalls: Math.round(span.critical * 100) / 100,
    },
    assumptions: [
      ...assumptions,
      'every team survives every decision point (none fails or runs over its budget share)',
      `every call takes ${o.latencyMs} ms; ${callConcurrency} calls per model at once`,
    ],
  };
}

/** Decision-point calls: a judge per team (side by side), then merge levels of the kept proposals. */
function decisionCalls(
  n: number,
  o: TeamsCommon,
  judge: { model: string; input: number; output: number } | undefined,
  merge: { model: string; system: string; base: number; item: number; output: number },
): Pick<Phase, 'judges' | 'merges'> {
  const judges: PlannedCall[] = judge
    ? Array.from({ length: n }, () => ({
        model: judge.model,
        inputChars: judge.input,
        outputChars: judge.output,
        expected: 1,
        bound: 1,
      }))
    : [];
  const merges: PlannedCall[][] = [];
  const size = Math.max(2, Math.floor(o.groupSize));
  let itemChars = merge.item;
  for (const calls of mergeLevels(keptCount(n, o.keep, o.pruneAbove ?? defaultPruneAbove), o.groupSize)) {
    const input = promptChars(merge.system, [merge.base + size * itemChars]);
    merges.push(
      Array.from({ length: calls }, () => ({
        model: merge.model,
        inputChars: input,
        outputChars: merge.output,
        expected: 1,
        bound: 1,
      })),
    );
    itemChars = merge.output;
  }
  return { judges, merges };
}

/**
 * Predicts a cross-team (CTC) run on the software chain: each team's chain
 * segment by segment (its own review and test rounds), and at each decision
 * point with two or more teams a judge per team (design always; code unless
 * the scorer is `metrics`) and the hierarchical merges of the kept
 * proposals. One team is a plain chain: no judge, no merge.
 */
export function estimateCrossTeam(options: CrossTeamEstimateOptions): Estimate {
  const tokens = { ...defaultReplyTokens, ...options.replyTokens };
  const seed = options.seed ?? 0;
  const roles = options.roles ?? defaultRoles;
  const run = modelByRole(options.model);
  const k = options.teams.length;
  const contexts: ChainCallContext[] = options.teams.map((team) => ({
    task: options.task,
    roles,
    modelFor: teamModelFor(options.model, team),
    temperature: team.temperature,
    personaNote: team.personaNote,
    seed,
    tokens,
    runsPrograms: options.runsPrograms ?? false,
  }));
  const states: ChainCallState[] = options.teams.map((team) => ({
    language: team.language ?? options.language,
    modality: 'Command-line application',
    codebaseChars: 0,
    ideasChars: 0,
  }));
  const judgeModel = run('judge');
  const aggregatorModel = run('aggregator');
  const judgeOut = judgeReply(judgeModel, options.task, seed, tokens);
  const aggSizes = chainReplySizes(
    contexts[0] ?? { task: options.task, roles, modelFor: run, seed, tokens, runsPrograms: false },
    options.language ?? 'Python',
    aggregatorModel,
  );
  const phases: Phase[] = [];
  const segments = segmentPhases(options.phases, options.decisionPoints);
  for (const segment of segments) {
    const perTeam = options.teams.map((team, i) =>
      chainCalls(
        contexts[i]!,
        segment.phases.map((p) =>
          p.name === 'code-review'
            ? { ...p, rounds: Math.min(p.rounds, team.reviewRounds) }
            : p.name === 'testing' && team.testRounds !== undefined
              ? { ...p, rounds: team.testRounds }
              : p,
        ),
        states[i]!,
      ),
    );
    const point = segment.point ?? 'final';
    if (k < 2) {
      phases.push({ perTeam, judges: [], merges: [] });
      continue;
    }
    const codebase = Math.max(...states.map((s) => s.codebaseChars));
    if (point === 'design') {
      const proposal = 50; // "Product form: …\nLanguage: …"
      const system =
        'You are the Integrator. You combine several design proposals into one recommendation that keeps the strengths of each.';
      const d = decisionCalls(
        k,
        options,
        {
          model: judgeModel,
          input: promptChars(judgeSystem, [judgePrompt(options.task, 'design', proposal + 40)]),
          output: judgeOut,
        },
        {
          model: aggregatorModel,
          system,
          base: 200 + options.task.length,
          item: proposal + 40,
          output: aggSizes.dialogue,
        },
      );
      phases.push({ perTeam, ...d });
      for (const s of states) s.ideasChars = aggSizes.dialogue;
      continue;
    }
    const judge =
      options.scorer !== 'metrics'
        ? {
            model: judgeModel,
            input: promptChars(judgeSystem, [judgePrompt(options.task, 'code', codebase)]),
            output: judgeOut,
          }
        : undefined;
    const merging = segment.point !== undefined; // without a final point the best team's work is taken as it is
    const system =
      'You are the Integrator. You compare several programs written for the same task and write one program that keeps the strengths of each and drops their weaknesses.';
    const d = decisionCalls(k, options, judge, {
      model: aggregatorModel,
      system,
      base: 260 + options.task.length,
      item: codebase + 30,
      output: aggSizes.code,
    });
    phases.push({ perTeam, judges: d.judges, merges: merging ? d.merges : [] });
    if (merging) for (const s of states) s.codebaseChars = aggSizes.codebase;
  }
  return finish('cross-team', new CallTally(), phases, options, [
    ...chainAssumptions,
    ...(options.language ? [] : ['every team chooses Python unless the task names JavaScript']),
    'no judge is asked to break a tie of the metrics (it is asked only when scores tie across the pruning cut)',
  ]);
}

/** Options of {@link estimateStory}: what `runStoryTeams` takes, with model strings instead of models. */
export interface StoryEstimateOptions extends TeamsCommon {
  premise: string;
  roles?: RoleBook;
  /** Target length in words. Default 300. */
  words?: number;
  /** Editor rounds per stage (a team's review rounds cap it). Default 1. */
  editRounds?: number;
}

/** How often an editor asks for a revision rather than approving: measured on the simulated model, assumed otherwise. */
const revisionShare = (model: string) => (isSimModel(model) ? 0.35 : 0.5);

const stagePromptChars: Record<(typeof storyStages)[number], (premise: string, words: number) => number> = {
  outline: (p) =>
    `Premise: ${p}\n\nWrite the outline of a short story on this premise: the characters, the setting, and the story's beginning, turn and ending, as a numbered list.`
      .length,
  draft: (p, w) =>
    `Premise: ${p}\nOutline:\n\n\nWrite the story itself from the outline, in about ${w} words of vivid prose.`.length,
  revise: (p, w) =>
    `Premise: ${p}\nDraft:\n\n\nRevise the draft into its final form: sharpen the language, tighten the pacing, make the ending land. Reply with the whole revised story, in about ${w} words.`
      .length,
};

/**
 * Predicts a cross-team story run: per stage (outline, draft, revise) each
 * team's chain (the writer, then per editor round the editor's notes and,
 * unless it approves, the writer's revision), and with two or more teams a
 * judge per team and the merges of the kept texts; the merged text feeds
 * every team's next stage. The bound counts every revision.
 */
export function estimateStory(options: StoryEstimateOptions): Estimate {
  const tokens = { ...defaultReplyTokens, ...options.replyTokens };
  const seed = options.seed ?? 0;
  const roles = options.roles ?? defaultRoles;
  const words = options.words ?? 300;
  const run = modelByRole(options.model);
  const writer = roles.writer ?? defaultRoles.writer!;
  const editor = roles.editor ?? defaultRoles.editor!;
  const aggregator = roles.aggregator ?? defaultRoles.aggregator!;
  const k = options.teams.length;
  /** Characters of a prose reply asking for `target` words (sim: measured; real: about 4/3 tokens a word). */
  const prose = (model: string, user: string, target: number | undefined) => {
    if (!isSimModel(model)) return target === undefined ? 4 * tokens.text : Math.ceil((target * 4) / 3) * 4;
    let sum = 0;
    for (let j = 0; j < 4; j++) sum += simReplyText(`You are the ${writer.title}.`, user, seed + j, 0.7).length;
    return sum / 4;
  };
  const judgeModel = run('judge');
  const aggregatorModel = run('aggregator');
  const judgeOut = judgeReply(judgeModel, options.premise, seed, tokens);
  let shared = 0;
  const phases: Phase[] = [];
  for (const stage of storyStages) {
    const target = stage === 'outline' ? undefined : words;
    const user = renderTemplate(
      stage === 'outline'
        ? 'Premise: {{premise}}\n\nWrite the outline.'
        : 'Premise: {{premise}}\n\nWrite it in about {{words}} words.',
      { premise: options.premise, words },
    );
    const perTeam = options.teams.map((team) => {
      const model = teamModelFor(options.model, team)('writer');
      const editorModel = teamModelFor(options.model, team)('editor');
      const system = `You are the ${writer.title}. ${writer.persona} ${team.personaNote}`;
      const editorSystem = `You are the ${editor.title}. ${editor.persona} ${team.personaNote}`;
      const written = prose(model, user, target);
      const calls: PlannedCall[] = [
        {
          model,
          inputChars: promptChars(system, [stagePromptChars[stage](options.premise, words) + shared]),
          outputChars: written,
          expected: 1,
          bound: 1,
        },
      ];
      // each editor round: the editor's notes, then (unless it approves) the writer's revision
      const q = revisionShare(editorModel);
      const notes = prose(editorModel, `Premise: ${options.premise}\n\nCritique it.`, undefined);
      const rounds = Math.min(options.editRounds ?? 1, team.reviewRounds);
      for (let r = 0; r < rounds; r++) {
        calls.push({
          model: editorModel,
          inputChars: promptChars(editorSystem, [400 + options.premise.length + written]),
          outputChars: notes,
          expected: q ** r,
          bound: 1,
        });
        calls.push({
          model,
          inputChars: promptChars(system, [300 + options.premise.length + written + notes]),
          outputChars: written,
          expected: q ** (r + 1),
          bound: 1,
        });
      }
      return calls;
    });
    const text = Math.max(...perTeam.map((c) => c[0]!.outputChars));
    if (k < 2) {
      phases.push({ perTeam, judges: [], merges: [] });
      shared = text;
      continue;
    }
    const mergeOut = prose(aggregatorModel, user, target);
    const d = decisionCalls(
      k,
      options,
      {
        model: judgeModel,
        input: promptChars(judgeSystem, [judgePrompt(options.premise, 'story', text)]),
        output: judgeOut,
      },
      {
        model: aggregatorModel,
        system: `You are the ${aggregator.title}. ${aggregator.persona}`,
        base: 150 + options.premise.length,
        item: text + 16,
        output: mergeOut,
      },
    );
    phases.push({ perTeam, ...d });
    shared = d.merges.length > 0 ? mergeOut : text;
  }
  return finish('story', new CallTally(), phases, options, [
    'every text is judged and the kept ones merged at each stage (two or more teams)',
    `an editor asks for a revision ${isSimModel(run('editor')) ? '35 % of the time (as the simulated model does)' : 'half of the time'}`,
  ]);
}

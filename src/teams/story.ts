import type { LanguageModelV3 } from '@ai-sdk/provider';
import { defaultRoles, renderTemplate, type Role, type RoleBook } from '../agents/index.js';
import { partitionMerge } from '../common/index.js';
import { AbortedError, BudgetExceededError } from '../errors/index.js';
import { complete } from '../model/index.js';
import type { TeamProfile } from './diversify.js';
import { judgeProposal, type Verdict } from './judge.js';
import { cosineSimilarity } from './metrics.js';
import { defaultPruneAbove, pruneGreedy, pruneReason, type KeepRule } from './prune.js';
import type { CrossTeamEvent, DecisionReport, ProposalReport, TeamReport } from './cross-team.js';

/** Stages of the story chain; each ends at a decision point. */
export const storyStages = ['outline', 'draft', 'revise'] as const;
/** A stage of the story chain. */
export type StoryStage = (typeof storyStages)[number];

const stagePrompts: Record<StoryStage, string> = {
  outline: `Premise: {{premise}}

Write the outline of a short story on this premise: the characters, the setting, and the story's beginning, turn and ending, as a numbered list.`,
  draft: `Premise: {{premise}}
Outline:
{{previous}}

Write the story itself from the outline, in about {{words}} words of vivid prose.`,
  revise: `Premise: {{premise}}
Draft:
{{previous}}

Revise the draft into its final form: sharpen the language, tighten the pacing, make the ending land. Reply with the whole revised story, in about {{words}} words.`,
};

/** What the editor is asked about a team's text; `<INFO> Finished` approves it as it is. */
const editorPrompt = `Premise: {{premise}}

Here is the {{what}} your team's writer wrote:

<<<
{{text}}
>>>

Critique it: list the few changes that would improve it most (structure, voice, pacing, fidelity to the premise). If it needs no change, reply only "<INFO> Finished".`;

/** The writer's revision after the editor's notes. */
const revisionPrompt = `Premise: {{premise}}

Your {{what}}:

<<<
{{text}}
>>>

Your editor's notes:
{{notes}}

Revise the {{what}} following the notes. Reply with the whole revised {{what}} only{{length}}.`;

/**
 * The rubric the critic scores a finished story by (`story --self-correct`). Prose has no verifiable check (no
 * compiler, no tests), so this written rubric is the only signal the loop has.
 */
export const storyRubric = [
  'Score the story from 0 (unusable) to 10 (nothing to improve) for the premise:',
  '- it is faithful to the premise and complete: a beginning, a turn and an ending that lands;',
  '- it is close to the target length and is prose, not an outline or notes;',
  '- its language is vivid and precise, its pacing tight, with no repetition or filler;',
  '- its characters act consistently.',
  'List concrete problems (which passage, what to change).',
].join('\n');

/** The editor approved the text as it is. */
const approves = (notes: string) => /<INFO>\s*Finished/i.test(notes);

/** Options of {@link runStoryTeams}. */
export interface StoryTeamsOptions {
  premise: string;
  teams: TeamProfile[];
  model: (team: TeamProfile, role: string) => LanguageModelV3;
  roles?: RoleBook;
  keep: KeepRule;
  /** Prune only when more than this many texts reach a stage's end; fewer are all merged. Default 4. */
  pruneAbove?: number;
  groupSize: number;
  /**
   * Editor rounds per stage: the editor critiques the writer's text and the writer revises it, until the editor
   * approves (`<INFO> Finished`) or the rounds run out. A team's own `reviewRounds` caps it. Default 1.
   */
  editRounds?: number;
  /** Target length of the story in words. Default 300. */
  words?: number;
  seed?: number;
  signal?: AbortSignal;
  /** Continue from the checkpoint taken after a stage (earlier stages are not written again). */
  resumeFrom?: StoryCheckpoint;
  /** Called after each stage but the last, with what a resume needs. */
  onCheckpoint?: (checkpoint: StoryCheckpoint) => void;
  /** Progress: a stage starts, a team wrote its text, a team is dropped, a stage's texts are pruned and merged. */
  onEvent?: (event: CrossTeamEvent) => void;
  /**
   * Writes a team's text for a stage somewhere else (a queue worker); default: in this process with `model`.
   * Judging, pruning and merging stay here.
   */
  executeStage?: StoryStageExecutor;
}

/** One team's writing for one stage, as plain data (what a queue worker needs besides the models). */
export interface StoryStageWork {
  premise: string;
  team: TeamProfile;
  stage: StoryStage;
  prompt: string;
  writer: Role;
  editor: Role;
  editRounds?: number;
  words?: number;
  seed?: number;
}

/** What a team wrote for a stage. */
export interface StoryStageText {
  text: string;
  rounds: number;
  note: string;
}

/** Writes a team's text for a stage (a queue worker, or this process). */
export type StoryStageExecutor = (work: StoryStageWork, signal?: AbortSignal) => Promise<StoryStageText>;

/** A story run after one of its stages: enough to continue with the next. Plain JSON. */
export interface StoryCheckpoint {
  /** Index in {@link storyStages} of the next stage. */
  nextStage: number;
  stage: StoryStage;
  teams: TeamReport[];
  decisions: StoryTeamsResult['decisions'];
  /** The merged text shared with every team. */
  shared: string;
}

/** Result of a cross-team story run. */
export interface StoryTeamsResult {
  status: 'completed' | 'failed';
  story: string;
  teams: TeamReport[];
  decisions: Array<Omit<DecisionReport, 'point'> & { point: StoryStage }>;
  error?: string;
}

/**
 * Cross-team collaboration on prose: each team is a chain of a writer and an
 * editor (the writer writes, the editor critiques, the writer revises) that
 * writes an outline, a draft and a revision; after every stage the teams'
 * texts are judged, pruned greedily (when more than `pruneAbove` wait) and
 * merged by hierarchical partitioning aggregation, and the merged text is
 * shared with every team for the next stage (after the last, it is the story).
 * A stage with a single text (one team, or one survivor) is skipped: no judge,
 * no aggregator.
 */
export async function runStoryTeams(options: StoryTeamsOptions): Promise<StoryTeamsResult> {
  const roles = options.roles ?? defaultRoles;
  const resume = options.resumeFrom;
  const teams: TeamReport[] = resume
    ? resume.teams
    : options.teams.map((profile) => ({ id: profile.id, profile, status: 'active', phases: [], artifacts: {} }));
  const decisions: StoryTeamsResult['decisions'] = resume ? [...resume.decisions] : [];
  let shared: string | undefined = resume?.shared;
  const checkpoint = (index: number, stage: StoryStage) => {
    if (index < storyStages.length - 1)
      options.onCheckpoint?.({ nextStage: index + 1, stage, teams, decisions, shared: shared ?? '' });
  };
  for (const [index, stage] of storyStages.entries()) {
    if (resume && index < resume.nextStage) continue; // written before the checkpoint
    const active = teams.filter((t) => t.status === 'active');
    options.onEvent?.({ type: 'segment-started', point: stage, teams: active.map((t) => t.id) });
    const drop = (team: TeamReport, reason: string) => {
      team.status = 'dropped';
      team.reason = reason;
      options.onEvent?.({ type: 'team-dropped', team: team.id, reason });
    };
    const texts = new Map<string, string>();
    const verdicts = new Map<string, Verdict>();
    // pipelined scoring: a text is judged as soon as its team wrote it; a lone team is compared with nobody
    const compare = active.length >= 2;
    await Promise.all(
      active.map(async (team) => {
        const prompt = renderTemplate(stagePrompts[stage], {
          premise: options.premise,
          previous: shared ?? '',
          words: options.words ?? 300,
        });
        try {
          const started = performance.now();
          const work: StoryStageWork = {
            premise: options.premise,
            team: team.profile,
            stage,
            prompt,
            writer: roles.writer ?? defaultRoles.writer!,
            editor: roles.editor ?? defaultRoles.editor!,
            ...(options.editRounds !== undefined ? { editRounds: options.editRounds } : {}),
            ...(options.words !== undefined ? { words: options.words } : {}),
            ...(options.seed !== undefined ? { seed: options.seed } : {}),
          };
          const { text, rounds, note } = options.executeStage
            ? await options.executeStage(work, options.signal)
            : await writeStoryStage(work, (role) => options.model(team.profile, role), options.signal);
          texts.set(team.id, text);
          team.artifacts[stage] = text;
          team.phases.push({
            name: stage,
            status: 'done',
            rounds,
            durationMs: Math.round(performance.now() - started),
            changed: [],
            note,
          });
          options.onEvent?.({
            type: 'team-progress',
            team: team.id,
            event: { type: 'phase-finished', phase: stage, status: 'done', note },
          });
        } catch (error) {
          if (AbortedError.isInstance(error) || BudgetExceededError.isInstance(error)) throw error;
          drop(team, `failed at ${stage}: ${(error as Error).message.split('\n')[0]}`);
          return;
        }
        if (!compare) return;
        try {
          verdicts.set(
            team.id,
            await judgeProposal({
              model: options.model(team.profile, 'judge'),
              task: options.premise,
              proposal: texts.get(team.id)!,
              kind: 'story',
              agent: `${team.id}/judge`,
              scope: `${stage}/judge/${team.id}`,
              ...(options.signal ? { signal: options.signal } : {}),
            }),
          );
        } catch (error) {
          if (AbortedError.isInstance(error) || BudgetExceededError.isInstance(error)) throw error;
          drop(team, `its ${stage} could not be judged: ${(error as Error).message.split('\n')[0]}`);
        }
      }),
    );
    const survivors = teams.filter((t) => t.status === 'active' && texts.has(t.id));
    if (survivors.length === 0) return { status: 'failed', story: '', teams, decisions, error: 'every team failed' };
    const proposals: ProposalReport[] = survivors
      .filter((t) => verdicts.has(t.id))
      .map((t) => ({ team: t.id, score: verdicts.get(t.id)!.score, judge: verdicts.get(t.id)! }))
      .sort((a, b) => a.team.localeCompare(b.team));
    if (survivors.length === 1) {
      // one text: nothing to prune or merge, so no aggregator is asked
      const only = survivors[0]!.id;
      shared = texts.get(only)!;
      decisions.push({
        point: stage,
        proposals,
        kept: [only],
        pruned: [],
        tree: [],
        rootId: only,
        deliveredTo: [],
        shared: '',
        skipped: `only ${only} has a text: nothing to prune or merge`,
      });
      options.onEvent?.({ type: 'decision', report: decisions.at(-1)! });
      checkpoint(index, stage);
      continue;
    }
    // the second signal for equal judge scores: how closely the text keeps to the premise's words
    const scored = survivors.map((team) => ({
      id: team.id,
      value: texts.get(team.id)!,
      score: verdicts.get(team.id)!.score,
      tiebreak: Math.round(cosineSimilarity(options.premise, texts.get(team.id)!) * 1000) / 1000,
    }));
    const above = options.pruneAbove ?? defaultPruneAbove;
    const { kept, pruned, ties, applied } = pruneGreedy(scored, options.keep, { above });
    const tiebreak = 'closeness to the premise';
    const aggregator = roles.aggregator ?? defaultRoles.aggregator!;
    const merged = await partitionMerge(
      kept.map((k) => ({ id: k.id, value: k.value })),
      options.groupSize,
      async (group, id) =>
        (
          await complete(options.model(survivors[0]!.profile, 'aggregator'), {
            system: `You are the ${aggregator.title}. ${aggregator.persona}`,
            messages: [
              {
                role: 'user',
                content: `Premise: ${options.premise}\n\nSeveral teams wrote this ${stage === 'outline' ? 'outline' : 'story'}:\n\n${group.map((g, i) => `### Version ${i + 1}\n${g.value}`).join('\n\n')}\n\nWrite one ${stage === 'outline' ? 'outline' : `story of about ${options.words ?? 300} words`} that keeps the strengths of each version and drops their weaknesses.`,
              },
            ],
            temperature: 0,
            agent: 'aggregator',
            scope: `${stage}/${id}`,
            ...(options.signal ? { signal: options.signal } : {}),
          })
        ).text,
    );
    shared = merged.result;
    decisions.push({
      point: stage,
      proposals,
      kept: kept.map((k) => k.id),
      pruned: pruned.map((p) => ({
        team: p.id,
        reason: pruneReason(p, kept, scored.length, { above, tiebreakName: tiebreak }),
      })),
      tree: merged.tree,
      rootId: merged.rootId,
      deliveredTo: stage === 'revise' ? [] : teams.filter((t) => t.status === 'active').map((t) => t.id),
      shared: shared.slice(0, 2000),
      ...(ties.length > 0 ? { ties } : {}),
      tiebreak,
      pruneApplied: applied,
    });
    options.onEvent?.({ type: 'decision', report: decisions.at(-1)! });
    checkpoint(index, stage);
  }
  return { status: 'completed', story: shared ?? '', teams, decisions };
}

/**
 * One team's chain for one stage: the writer writes, then for each editor round the editor critiques and the
 * writer revises, until the editor approves the text or the rounds run out.
 */
export async function writeStoryStage(
  work: StoryStageWork,
  model: (role: 'writer' | 'editor') => LanguageModelV3,
  signal?: AbortSignal,
): Promise<StoryStageText> {
  const { team, stage } = work;
  const ask = async (role: 'writer' | 'editor', content: string) => {
    const who = role === 'writer' ? work.writer : work.editor;
    const reply = await complete(model(role), {
      system: `You are the ${who.title}. ${who.persona} ${team.personaNote}`,
      messages: [{ role: 'user', content }],
      temperature: team.temperature,
      agent: `${team.id}/${role}`,
      scope: `${stage}/${team.id}`,
      ...(work.seed !== undefined ? { seed: work.seed } : {}),
      ...(signal ? { signal } : {}),
    });
    if (reply.text.trim() === '') throw new Error(`empty reply from the ${role}`);
    return reply.text;
  };
  const what = stage === 'outline' ? 'outline' : 'story';
  const length = stage === 'outline' ? '' : `, in about ${work.words ?? 300} words`;
  let text = await ask('writer', work.prompt);
  const rounds = Math.min(work.editRounds ?? 1, team.reviewRounds);
  for (let round = 1; round <= rounds; round++) {
    const notes = await ask('editor', renderTemplate(editorPrompt, { premise: work.premise, what, text }));
    if (approves(notes))
      return {
        text,
        rounds: round,
        note: round === 1 ? 'the editor approved the first version' : `the editor approved revision ${round - 1}`,
      };
    text = await ask(
      'writer',
      renderTemplate(revisionPrompt, { premise: work.premise, what, text, notes: notes.trim(), length }),
    );
  }
  return { text, rounds, note: `revised ${rounds} time(s) after the editor's notes` };
}

import { findConclusion, renderTemplate, type Agent } from '../agents/index.js';
import type { ChatMessage } from '../model/index.js';
import { approvalMarker, networkPrompts, runRequestMarker } from './prompts.js';

/** When an edge's exchange runs the artifact in the sandbox (code tasks with a sandbox only). */
export const edgeRunModes = ['off', 'request', 'every-round'] as const;
/**
 * `off`: never. `request` (MacNet's reference): the critic may ask for a run by starting its reply with
 * `<RUN>`; it then gets the run's report and reviews. `every-round`: every artifact is run before the
 * critic sees it, and the report is part of the review request.
 */
export type EdgeRunMode = (typeof edgeRunModes)[number];

/** A sandbox run of an artifact, as the critic reads it. */
export interface ArtifactRun {
  /** The program ran without error (or was still running at its time limit). */
  ok: boolean;
  /** Outcome, exit code and the end of the output, a few lines. */
  report: string;
}

/** Runs an artifact (a code answer) in the sandbox. */
export type ArtifactRunner = (artifact: string, signal?: AbortSignal) => Promise<ArtifactRun>;

/** One round of an edge's exchange. */
export interface EdgeRound {
  /** The artifact the critic reviewed this round. */
  artifact: string;
  /** A sandbox run's report the critic saw with the artifact (`every-round`). */
  feedback?: string;
  /** The critic's reply asking for a run, and the run's report (`request`). */
  requested?: { ask: string; report: string };
  review: string;
  /** The actor's revision (absent when the critic approved). */
  revision?: string;
}

/** How an edge's exchange went, for the node's record. */
export interface EdgeExchangeReport {
  /** The predecessor whose artifact came along the edge. */
  from: string;
  /** Rounds begun (a round is the critic's review and, unless it approved, the actor's revision). */
  rounds: number;
  /** `approved`: the critic ended it with the approval marker; `round-limit`: it used every round. */
  endedBy: 'approved' | 'round-limit';
  /** Sandbox runs made during the exchange. */
  runs: number;
}

/** Options of {@link runEdgeExchange}. */
export interface EdgeExchangeOptions {
  from: string;
  task: string;
  /** How the actor must write its answer (the task type's format instructions). */
  format: string;
  critic: Agent;
  actor: Agent;
  /** The predecessor's final artifact: the only thing that crossed the edge. */
  artifact: string;
  /** Rounds at most (the paper caps an edge at 3). */
  rounds: number;
  /** Sends one conversation to an agent and returns its reply. */
  ask: (agent: Agent, messages: ChatMessage[]) => Promise<string>;
  runs?: EdgeRunMode;
  run?: ArtifactRunner;
  signal?: AbortSignal;
}

/** The approval marker, or any `<INFO>` conclusion, in a critic's reply. */
export function isApproval(review: string): boolean {
  return findConclusion(review, approvalMarker.split(' ')[0]!) !== undefined;
}

/** A critic's reply that asks for a run before reviewing. */
export function asksForRun(review: string): boolean {
  return review.trimStart().startsWith(runRequestMarker);
}

const feedbackBlock = (report: string | undefined) =>
  report === undefined ? '' : `\nA sandbox run of it:\n<<<\n${report}\n>>>\n`;

/** What a review request says about runs: an offer to run the program first (`request` mode), else nothing. */
export function runOffer(runs: EdgeRunMode): string {
  return runs === 'request'
    ? ` To see the program run before you judge it, reply with only ${runRequestMarker} and you will get the run's report.`
    : '';
}

/** Round k's artifact is the solution as it arrived (k = 0) or the actor's revision k. */
const version = (k: number) => (k === 0 ? 'the solution as it arrived along the edge' : `revision ${k}`);

/** The artifact of round k as a prompt shows it: in full in the latest round, else a one-line note. */
const shown = (round: EdgeRound, k: number, latest: number) =>
  k === latest ? round.artifact : renderTemplate(networkPrompts.superseded, { version: version(k) });

/**
 * The critic's conversation on an edge: its review requests as the user's
 * turns, its reviews as its own; `current` is the round it is to review now.
 */
export function criticConversation(
  task: string,
  offer: string,
  done: readonly EdgeRound[],
  current: Omit<EdgeRound, 'review'>,
): ChatMessage[] {
  const all = [...done, { ...current, review: '' }];
  const latest = all.length - 1;
  const messages: ChatMessage[] = [];
  all.forEach((round, k) => {
    const artifact = shown(round, k, latest);
    const vars = { task, artifact, feedback: feedbackBlock(round.feedback), runOffer: offer, approval: approvalMarker };
    messages.push({
      role: 'user',
      content: renderTemplate(k === 0 ? networkPrompts.critic : networkPrompts.criticAgain, vars),
    });
    if (round.requested) {
      messages.push({ role: 'assistant', content: round.requested.ask });
      messages.push({
        role: 'user',
        content: renderTemplate(networkPrompts.runReport, {
          outcome: round.requested.report,
          approval: approvalMarker,
        }),
      });
    }
    if (k < latest) messages.push({ role: 'assistant', content: round.review });
  });
  return messages;
}

/**
 * The actor's conversation on an edge: the critic's reviews as the user's
 * turns (each with the artifact it reviewed), its own revisions as its turns;
 * the last round is the one it is to answer now.
 */
export function actorConversation(task: string, format: string, rounds: readonly EdgeRound[]): ChatMessage[] {
  const latest = rounds.length - 1;
  const messages: ChatMessage[] = [];
  rounds.forEach((round, k) => {
    messages.push({
      role: 'user',
      content: renderTemplate(k === 0 ? networkPrompts.refine : networkPrompts.refineAgain, {
        task,
        artifact: shown(round, k, latest),
        instructions: round.review,
        format,
      }),
    });
    if (k < latest)
      messages.push({
        role: 'assistant',
        content: renderTemplate(networkPrompts.superseded, { version: version(k + 1) }),
      });
  });
  return messages;
}

/**
 * One MacNet edge as a dialogue: the edge's critic reviews the artifact, the
 * target node's actor revises it, for up to `rounds` rounds, each side seeing
 * the exchange so far as a conversation. The critic can end it early with the
 * approval marker (then the latest version moves on unchanged); on code tasks a
 * round can include a sandbox run of the artifact. Only the latest version of
 * the solution appears in full in a prompt; earlier versions are replaced by a
 * one-line note, so a prompt grows by the reviews alone from round to round.
 */
export async function runEdgeExchange(
  options: EdgeExchangeOptions,
): Promise<{ text: string; report: EdgeExchangeReport }> {
  const { task, format, critic, actor, ask } = options;
  const runs = options.run ? (options.runs ?? 'off') : 'off';
  const offer = runOffer(runs);
  const done: EdgeRound[] = [];
  let artifact = options.artifact;
  let runCount = 0;
  const runArtifact = async (text: string) => {
    runCount++;
    return (await options.run!(text, options.signal)).report;
  };
  const total = Math.max(1, options.rounds);
  for (let r = 0; r < total; r++) {
    const round: Omit<EdgeRound, 'review'> = { artifact };
    if (runs === 'every-round') round.feedback = await runArtifact(artifact);
    let review = await ask(critic, criticConversation(task, offer, done, round));
    if (runs === 'request' && asksForRun(review)) {
      round.requested = { ask: review, report: await runArtifact(artifact) };
      review = await ask(critic, criticConversation(task, offer, done, round));
    }
    const complete: EdgeRound = { ...round, review };
    done.push(complete);
    if (isApproval(review)) {
      return { text: artifact, report: { from: options.from, rounds: r + 1, endedBy: 'approved', runs: runCount } };
    }
    complete.revision = await ask(actor, actorConversation(task, format, done));
    artifact = complete.revision;
  }
  return { text: artifact, report: { from: options.from, rounds: total, endedBy: 'round-limit', runs: runCount } };
}

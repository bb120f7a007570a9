import type { CrosstalkEvent, ProgressEvent, StepRef } from '../events/index.js';
import { formatCost, formatDuration, printable, simulatedBanner } from './format.js';
import type { Output } from './output.js';

type Stream = NodeJS.WritableStream & { isTTY?: boolean };

/** How often a plain (non-TTY) progress line is printed at most, so CI logs show life. */
export const plainProgressIntervalMs = 10_000;

/**
 * Shows a run's events to a person on stderr. On a TTY: lines that stay for
 * what happened (phases, decisions, drops, warnings) and one status line
 * rewritten in place (elapsed time, steps, calls, tokens, cost, ETA, what
 * each team is doing). Elsewhere (CI logs, pipes): the same lines, and a
 * plain progress line at most every 10 s (none in `--json` mode).
 */
export class EventRenderer {
  private readonly tty: boolean;
  private status = '';
  private lastPlain: number;
  private kind: string | undefined;

  constructor(
    private readonly stream: Stream,
    private readonly out: Output,
    private readonly now: () => number = Date.now,
  ) {
    this.tty = Boolean(stream.isTTY) && !out.json;
    this.lastPlain = now();
  }

  /** A line that stays (control characters escaped: ids, notes and errors may hold what a model chose). */
  line(text: string): void {
    this.clear();
    this.stream.write(`${printable(text, { keepLines: true })}\n`);
  }

  /** Clears the status line (before the command prints its ending). */
  done(): void {
    this.clear();
  }

  private clear(): void {
    if (this.tty && this.status) this.stream.write('\r\x1b[2K');
    this.status = '';
  }

  private setStatus(text: string): void {
    if (!this.tty) return;
    const safe = printable(text);
    const line = safe.length > 118 ? `${safe.slice(0, 117)}…` : safe;
    this.stream.write(`\r\x1b[2K${line}`);
    this.status = line;
  }

  /** Renders one event. */
  handle(event: CrosstalkEvent): void {
    switch (event.type) {
      case 'run-started':
        this.kind = event.kind;
        if (event.simulated) this.line(simulatedBanner);
        this.line(
          event.resumed
            ? `resuming run ${event.runId}${event.plannedSteps !== undefined ? `: ${event.doneSteps ?? 0} of ${event.plannedSteps} ${this.unit()} already done` : ''}`
            : `run ${event.runId} (${event.kind}, ${event.model})${event.plannedSteps !== undefined ? `: ${event.plannedSteps} ${this.unit()}` : ''}`,
        );
        return;
      case 'note':
        this.line(event.level === 'warning' ? `crosstalk: warning: ${event.message}` : event.message);
        return;
      case 'step-started':
        if (event.step.kind === 'phase') this.setStatus(`▶ ${stepName(event.step)} …`);
        else if (event.step.kind === 'merge') this.line('▶ merging the sinks into the answer');
        else if (event.step.kind === 'segment' || event.step.kind === 'stage')
          this.line(`▶ ${this.kind === 'story' ? 'stage' : 'towards'} ${event.step.id}`);
        return;
      case 'step-finished':
        if (
          (event.step.kind === 'phase' && (!event.step.team || this.kind === 'story')) ||
          event.step.kind === 'merge'
        ) {
          this.line(`✓ ${stepName(event.step)}${event.note ? `: ${event.note}` : ''}`);
        }
        return;
      case 'step-skipped':
        if (event.step.kind === 'phase' && !event.step.team) this.line(`– ${stepName(event.step)}: ${event.because}`);
        return;
      case 'step-failed':
        if (event.step.kind === 'phase' || !event.willRetry)
          this.line(`✗ ${stepName(event.step)}: ${event.error}${event.willRetry ? ' (retrying)' : ''}`);
        return;
      case 'dialogue-turn':
        this.setStatus(`▶ ${event.scope}: turn ${event.turn} (${event.agent})`);
        return;
      case 'decision':
        this.line(
          `◆ ${event.point}: ${event.skipped ? `only ${event.kept.join(', ')}: nothing to compare` : `kept ${event.kept.map((t) => scored(t, event.scores)).join(', ')}`}` +
            (event.pruned.length ? `; pruned ${event.pruned.map((p) => scored(p.team, event.scores)).join(', ')}` : ''),
        );
        if (event.groups.length > 0) this.line(`  merge: ${event.groups.map((g) => `[${g.join(' + ')}]`).join(' → ')}`);
        if (event.pruneApplied === false && event.kept.length > 1)
          this.line(`  no pruning: ${event.kept.length} proposals are few enough to merge them all`);
        for (const p of event.pruned) this.line(`  pruned ${p.team}: ${p.reason}`);
        for (const tie of event.ties ?? [])
          this.line(
            `  tie at ${tie.score}: ${tie.teams.join(', ')} — ${tie.broken ? `ordered by ${event.tiebreak ?? 'a second signal'}` : `still tied on ${event.tiebreak ?? 'every signal'}, in id order`}`,
          );
        if (event.deliveredTo && event.deliveredTo.length > 0)
          this.line(`  → ${event.deliveredTo.join(', ')} continue from the merged result`);
        else if (event.deliveredTo && event.groups.length > 0) this.line('  → the merged result is the final result');
        return;
      case 'team-dropped':
        this.line(`✗ ${printable(event.team)} dropped: ${event.reason}`);
        return;
      case 'budget-warning':
        this.line(
          `crosstalk: budget ${Math.round(event.fraction * 100)}% used (${event.limitUsd !== undefined ? `${formatCost(event.spentUsd)} of ${formatCost(event.limitUsd)}` : `${event.spentTokens} of ${event.limitTokens} tokens`})`,
        );
        return;
      case 'sandbox-result':
        if (this.kind !== 'cross-team')
          this.line(`⚙ sandbox: ${event.scope} ${event.outcome} (${event.rule}), ${formatDuration(event.durationMs)}`);
        return;
      case 'guard-finding':
        // low-severity findings that changed nothing are kept in the events, not printed
        if (event.severity !== 'low' || event.decision !== 'allow')
          this.line(
            `⛨ guard (${printable(event.scope)}): ${event.decision}${event.refused ? ' (refused)' : ''} ${event.rule} [${event.severity}] ${printable(event.file)}${event.line ? `:${event.line}` : ''}: ${printable(event.snippet)}`,
          );
        return;
      case 'guard-approval':
        this.line(
          `⛨ guard (${printable(event.scope)}): ${event.approved ? 'approved' : 'refused'} (${describeApprovalSource(event.by)}) ${event.findings.map((f) => f.rule).join(', ')}`,
        );
        return;
      case 'self-correction':
        this.line(
          `↻ self-correction (${event.hook}, ${printable(event.scope)}) round ${event.round}: score ${event.score}/10${event.rejected ? ' rejected' : ''}${event.problems[0] ? ` — ${printable(event.problems[0])}` : ''}${event.stop ? `; stopped (${event.stop.by}), ${event.stop.chosenRound === null ? 'nothing kept' : `round ${event.stop.chosenRound} kept`}` : ''}`,
        );
        return;
      case 'progress':
        this.progress(event);
        return;
      default:
        return; // model calls and the run's end are summed up by the command
    }
  }

  private unit(): string {
    return this.kind === 'net' ? 'nodes' : this.kind === 'dev' ? 'phases' : 'stages';
  }

  private progress(event: ProgressEvent): void {
    if (this.out.json) return; // stderr keeps the lines; live totals are for people watching
    const text = describeProgress(event);
    if (this.tty) {
      this.setStatus(text);
      return;
    }
    const now = this.now();
    if (now - this.lastPlain < plainProgressIntervalMs) return;
    this.lastPlain = now;
    this.stream.write(`… ${printable(text)}\n`);
  }
}

function stepName(step: StepRef): string {
  return step.team ? `${printable(step.team)} ${printable(step.id)}` : printable(step.id);
}

function scored(team: string, scores: Record<string, number>): string {
  const score = scores[team];
  if (score === undefined) return team;
  // two decimals, or three when the third one separates scores
  const shown = Number.isInteger(score) ? String(score) : score.toFixed(Math.round(score * 1000) % 10 === 0 ? 2 : 3);
  return `${team} (${shown})`;
}

/** One line of live totals: elapsed time, steps, calls, tokens, cost, ETA and the teams' phases. */
export function describeProgress(event: ProgressEvent): string {
  const parts = [`[${formatDuration(event.elapsedMs)}]`];
  const s = event.steps;
  if (s)
    parts.push(
      `${s.done}/${s.total} done, ${s.running} running${s.failed ? `, ${s.failed} failed` : ''}${s.skipped ? `, ${s.skipped} skipped` : ''} —`,
    );
  const eta = event.etaMs !== undefined && s && s.done < s.total ? `, ETA ${formatDuration(event.etaMs)}` : '';
  parts.push(
    `${event.calls} calls${event.replayedCalls ? ` (+${event.replayedCalls} replayed)` : ''}, ${event.tokens} tokens, ${formatCost(event.costUsd, event.costKnown)}${eta}`,
  );
  if (event.teams && Object.keys(event.teams).length > 0) {
    parts.push(
      `— ${Object.entries(event.teams)
        .map(([team, doing]) => `${team}: ${doing}`)
        .join(' · ')}`,
    );
  }
  return parts.join(' ');
}

/** Who decided an approval, in words. */
export function describeApprovalSource(by: string): string {
  return by === 'mode'
    ? 'by --approve'
    : by === 'person'
      ? 'answered on the terminal'
      : by === 'no-terminal'
        ? 'no terminal to ask on'
        : 'answered earlier in this run';
}

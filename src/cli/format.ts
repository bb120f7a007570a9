import { describeMetrics, type CodeMetrics } from '../metrics/index.js';

/** The summary line of a run's code metrics (each named by its rule), or nothing when none were measured. */
export function formatMetricsLines(metrics: CodeMetrics | null | undefined): string[] {
  return metrics ? [`  metrics: ${describeMetrics(metrics)}`] : [];
}

/** Printed (on stderr) whenever the simulated model is in use. */
export const simulatedBanner =
  "[simulated model] replies come from crosstalk's deterministic test double (--model sim): figures measure the system, not answer quality";

/** Token and cost totals as shown to users. */
export interface UsageTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd?: number | undefined;
  costKnown?: boolean;
}

/** Formats a cost; unknown prices are shown as such rather than as zero. */
export function formatCost(costUsd: number | undefined, known = true): string {
  if (costUsd === undefined || !known) return 'cost unknown';
  return `$${costUsd < 0.01 ? costUsd.toFixed(5) : costUsd.toFixed(4)}`;
}

/** One line: model, calls, tokens, cost, duration. */
export function formatUsageLine(model: string, total: UsageTotals, durationMs: number): string {
  return `${model}: ${total.calls} call${total.calls === 1 ? '' : 's'}, ${total.inputTokens} in + ${total.outputTokens} out tokens, ${formatCost(total.costUsd, total.costKnown ?? true)}, ${(durationMs / 1000).toFixed(2)} s`;
}

/** `N of K teams finished`, with each dropped team and its reason: the summary line of dev --teams and story. */
export function formatTeamsFinished(
  teams: ReadonlyArray<{ id: string; status: string; reason?: string | undefined }>,
): string {
  const dropped = teams.filter((t) => t.status === 'dropped');
  return `${teams.length - dropped.length} of ${teams.length} teams finished${dropped.length ? ` (dropped: ${dropped.map((d) => `${d.id}: ${d.reason}`).join('; ')})` : ''}`;
}

/** A duration for people: `850 ms`, `4.2 s`, `3 min 05 s`, `1 h 02 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/**
 * Text chosen by a model (a file name, a node or team id, a reply) made safe for a terminal: C0 and C1 control
 * characters, DEL and the bidirectional overrides are shown as escapes (`\x1b`, `\u202e`), so a name cannot move
 * the cursor, ring the bell, retitle the window or reorder what is shown. With `keepLines`, newlines and tabs pass
 * (answers, DOT); without it they are escaped too, so one name stays on one line. `--json` output never uses this.
 */
export function printable(text: string, options: { keepLines?: boolean } = {}): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (options.keepLines && (c === '\n' || c === '\t')) return c;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

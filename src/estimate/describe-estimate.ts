import type { Estimate, EstimateTotals } from './types.js';

/** A whole count with thousands separators; fractional (expected) counts get a `~`. */
function count(n: number): string {
  const rounded = Math.round(n);
  return `${Number.isInteger(n) ? '' : '~'}${rounded.toLocaleString('en-US')}`;
}

/** Tokens in a short form: 950, 12.3k, 1.2M. */
export function formatTokens(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 100_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(n < 100_000_000 ? 1 : 0)}M`;
}

/** USD with sensible precision: $3.08, $0.0044, $0.00. */
export function formatUsd(usd: number | null): string {
  if (usd === null) return 'unknown';
  if (usd === 0) return '$0.00';
  return usd >= 1 ? `$${usd.toFixed(2)}` : `$${usd.toPrecision(2)}`;
}

/** A duration in a short form: 500 ms, 42 s, 12 min, 3.4 h. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

const same = (a: EstimateTotals, b: EstimateTotals) =>
  a.calls === b.calls && a.inputTokens === b.inputTokens && a.outputTokens === b.outputTokens;

/**
 * Human lines for `--dry-run`: the planned calls (per model), tokens and
 * cost; the makespan at the assumed latency; per-model detail when several
 * models take part; why a cost is unknown. Where the bound differs from the
 * expected figure (chains), both are shown.
 */
export function describeEstimate(estimate: Estimate): string[] {
  const { expected, bound, makespan } = estimate;
  const exact = same(expected, bound);
  const models = Object.entries(estimate.perModel);
  const perModel = models.map(([m, t]) => `${m}: ${count(t.expected.calls)}`).join(', ');
  const calls = exact
    ? `${count(expected.calls)} model calls`
    : `${count(expected.calls)} model calls expected, at most ${count(bound.calls)}`;
  const tokens = exact
    ? `~${formatTokens(expected.inputTokens)} input + ${formatTokens(expected.outputTokens)} output tokens`
    : `~${formatTokens(expected.inputTokens)} input + ${formatTokens(expected.outputTokens)} output tokens (at most ${formatTokens(bound.inputTokens)} + ${formatTokens(bound.outputTokens)})`;
  const priceNote = estimate.simulated ? ' (sim: fictitious price)' : expected.costUsd === null ? ' (see below)' : '';
  const cost =
    exact || expected.costUsd === null
      ? `cost ${formatUsd(expected.costUsd)}${priceNote}`
      : `cost ~${formatUsd(expected.costUsd)}, at most ${formatUsd(bound.costUsd)}${priceNote}`;
  const lines = [`planned: ${calls} (${perModel}); ${tokens}; ${cost}`];

  const latency = formatDuration(makespan.latencyMs);
  const width =
    estimate.kind === 'chain'
      ? 'one call at a time'
      : estimate.kind === 'network'
        ? `${makespan.concurrency} nodes and ${makespan.callConcurrency} calls per model in flight`
        : `${makespan.concurrency} teams side by side, ${makespan.callConcurrency} calls per model in flight`;
  const span =
    makespan.expectedMs === makespan.boundMs
      ? `≈ ${formatDuration(makespan.expectedMs)}`
      : `≈ ${formatDuration(makespan.expectedMs)} expected, at most ${formatDuration(makespan.boundMs)}`;
  lines.push(
    `makespan ${span} at ${latency} per call with ${width} (critical path ${count(makespan.criticalPathCalls)} calls)`,
  );
  if (models.length > 1) {
    for (const [m, t] of models) {
      lines.push(
        `  ${m}: ${count(t.expected.calls)} calls, ~${formatTokens(t.expected.inputTokens)} + ${formatTokens(t.expected.outputTokens)} tokens, ${formatUsd(t.expected.costUsd)}`,
      );
    }
  }
  if (expected.costUsd === null && estimate.costNote) lines.push(`cost unknown: ${estimate.costNote}`);
  return lines;
}

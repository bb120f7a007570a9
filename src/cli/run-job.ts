import type { JobEnvironment, JobResult } from '../jobs/index.js';
import type { CliContext } from './context.js';
import { askApprovalOn } from './approve-prompt.js';
import { formatUsageLine } from './format.js';
import type { Output } from './output.js';
import { EventRenderer } from './render.js';

/** Runs a job with the command line's environment, showing its events on stderr as they happen. */
export async function runWithProgress<R>(
  ctx: CliContext,
  out: Output,
  job: (environment: JobEnvironment) => Promise<R>,
): Promise<R> {
  const renderer = new EventRenderer(ctx.stderr, out);
  // askable guard actions are asked about only where a person can answer: a terminal on both ends
  const interactive = !out.json && Boolean(ctx.stdin?.isTTY) && Boolean(ctx.stderr.isTTY);
  try {
    return await job({
      cwd: ctx.cwd,
      env: ctx.env,
      signal: ctx.signal,
      onEvent: (event) => renderer.handle(event),
      ...(interactive ? { askApproval: askApprovalOn(ctx, () => renderer.done()) } : {}),
    });
  } finally {
    renderer.done();
  }
}

/**
 * The one ending of every job command: the JSON document (`--json`), the
 * resume hint of a run that stopped early, or the command's own lines and
 * the usage line. Returns the exit code.
 * @param lines what the command prints about a finished run (files, answer, story).
 */
export function printJobEnd(
  out: Output,
  result: JobResult<object>,
  lines: () => { out?: string[]; notes?: string[] },
  extra: object = {},
): number {
  const { summary } = result;
  out.result({
    ok: result.status === 'completed',
    ...(result.outDir ? { outDir: result.outDir } : {}),
    ...summary,
    ...extra,
  });
  if (result.stopped) {
    out.note(
      result.stopped.resume
        ? `crosstalk: ${result.stopped.reason}. Resume with: ${result.stopped.resume} (answered calls are replayed free)`
        : `crosstalk: ${result.stopped.reason}. It cannot be resumed: --store none kept nothing`,
    );
    return result.exitCode;
  }
  const printed = lines();
  for (const line of printed.out ?? []) out.line(line);
  for (const problem of summary.problems) out.note(`crosstalk: problem: ${problem}`);
  for (const note of printed.notes ?? []) out.note(note);
  const model = (summary as { model?: string }).model ?? '';
  out.note(
    formatUsageLine(model, summary.usage.total, summary.durationMs) +
      (result.replayedCalls ? ` (+${result.replayedCalls} replayed free)` : ''),
  );
  return result.exitCode;
}

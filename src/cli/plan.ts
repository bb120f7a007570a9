import { createInterface } from 'node:readline/promises';
import { describeEstimate, parseAssumedLatency } from '../estimate/index.js';
import { ExitCode } from '../errors/index.js';
import { planJob, type JobConfig } from '../jobs/index.js';
import type { CliContext } from './context.js';
import type { Output } from './output.js';

/** Planned model calls above which a network run on a terminal asks before it starts (unless `--yes`). */
export const confirmAboveCalls = 2000;

/** `--dry-run`, `--assume-latency` and `--yes`, for the commands that run jobs. */
export const planOptions: ReadonlyArray<readonly [string, string]> = [
  ['--dry-run', 'print the planned calls, tokens, cost and makespan without calling a model'],
  ['--assume-latency <time>', 'latency per model call for the makespan estimate, e.g. 2s or 500ms (default 2s)'],
  ['--yes', `start a network of more than ${confirmAboveCalls} planned calls without asking`],
];

async function ask(ctx: CliContext, question: string): Promise<boolean> {
  const rl = createInterface({ input: ctx.stdin!, output: ctx.stderr, terminal: false });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/**
 * `--dry-run` prints the job's plan and exits 0; a network of more than
 * {@link confirmAboveCalls} planned calls started on a terminal without
 * `--yes` shows the plan and asks first; otherwise the job runs.
 */
export async function planOrRun(
  ctx: CliContext,
  out: Output,
  options: Record<string, unknown>,
  job: JobConfig,
  run: () => Promise<number>,
): Promise<number> {
  const latencyMs = parseAssumedLatency(typeof options.assumeLatency === 'string' ? options.assumeLatency : '2s');
  const environment = { cwd: ctx.cwd, env: ctx.env };
  if (options.dryRun === true) {
    const estimate = await planJob(environment, job, { latencyMs });
    out.result({ ok: true, dryRun: true, kind: job.kind, estimate });
    for (const line of describeEstimate(estimate)) out.line(line);
    return ExitCode.ok;
  }
  const interactive =
    job.kind === 'net' && options.yes !== true && !out.json && Boolean(ctx.stdin?.isTTY) && Boolean(ctx.stderr.isTTY);
  if (interactive) {
    const estimate = await planJob(environment, job, { latencyMs });
    if (estimate.expected.calls > confirmAboveCalls) {
      for (const line of describeEstimate(estimate)) ctx.stderr.write(`${line}\n`);
      if (!(await ask(ctx, `This network plans ${estimate.expected.calls} model calls. Run it? [y/N] `))) {
        out.note('crosstalk: not started (pass --yes to skip this question)');
        return ExitCode.ok;
      }
    }
  }
  return run();
}

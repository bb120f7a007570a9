const marker = 'crosstalk.error';
const symbol = Symbol.for(marker);

/**
 * Process exit codes used by every `crosstalk` command.
 * - `ok` (0): done.
 * - `failed` (1): the run itself failed.
 * - `badInput` (2): bad config, flags, graph, model string or file name.
 * - `budget` (3): stopped by the cost/token budget; the run is resumable.
 * - `interrupted` (130): stopped by Ctrl-C or a signal; the run is resumable.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  badInput: 2,
  budget: 3,
  /** The run ended, but something it must produce is missing (see `problems` in crosstalk-run.json). */
  problems: 4,
  interrupted: 130,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Base class of every error crosstalk raises on purpose. Each subclass has a
 * stable `code` users can branch on and the `exitCode` the CLI maps it to.
 * `isInstance` works across copies of the package (it checks a global symbol,
 * not the prototype chain).
 */
export class CrosstalkError extends Error {
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: read through the global symbol by isInstance
  private readonly [symbol] = true;
  /** Stable machine-readable code, e.g. `CONFIG_INVALID`. */
  readonly code: string;
  /** Exit code the CLI uses when this error ends a command. */
  readonly exitCode: ExitCode;

  constructor(options: { name: string; code: string; message: string; exitCode?: ExitCode; cause?: unknown }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = options.name;
    this.code = options.code;
    this.exitCode = options.exitCode ?? ExitCode.badInput;
  }

  /** True for any crosstalk error, whichever copy of the package created it. */
  static isInstance(error: unknown): error is CrosstalkError {
    return typeof error === 'object' && error !== null && symbol in error;
  }
}

import { CrosstalkError, ExitCode } from './crosstalk-error.js';

const name = 'ModelOutputError';

/**
 * Stable codes of a {@link ModelOutputError}:
 * - `MODEL_OUTPUT`: the reply could not be used (no code block, invalid JSON, empty).
 * - `OUTPUT_TOO_LARGE`: the reply, a file in it, the number of files or the codebase put into a prompt went over a
 *   `limits:` cap of the configuration; the run stops (exit code 1) and can be resumed after raising the cap.
 */
export type ModelOutputErrorCode = 'MODEL_OUTPUT' | 'OUTPUT_TOO_LARGE';

/** A model's reply could not be used (no code block, invalid JSON, empty) after the allowed retries, or was too large. */
export class ModelOutputError extends CrosstalkError {
  declare readonly code: ModelOutputErrorCode;
  /** The offending reply, truncated. */
  readonly reply: string;
  /** For `OUTPUT_TOO_LARGE`: the `limits:` key that was exceeded, e.g. `maxReplyChars`. */
  readonly limit?: string;
  constructor(options: {
    message: string;
    reply?: string;
    cause?: unknown;
    code?: ModelOutputErrorCode;
    limit?: string;
  }) {
    super({
      name,
      code: options.code ?? 'MODEL_OUTPUT',
      exitCode: ExitCode.failed,
      message: options.message,
      cause: options.cause,
    });
    this.reply = (options.reply ?? '').slice(0, 2000);
    if (options.limit !== undefined) this.limit = options.limit;
  }
  static override isInstance(error: unknown): error is ModelOutputError {
    return CrosstalkError.isInstance(error) && error.name === name;
  }
  /** True for a model output that went over a size cap: the run stops there and stays resumable. */
  static isTooLarge(error: unknown): error is ModelOutputError {
    return ModelOutputError.isInstance(error) && error.code === 'OUTPUT_TOO_LARGE';
  }
}

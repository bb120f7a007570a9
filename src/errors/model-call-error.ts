import { CrosstalkError, ExitCode } from './crosstalk-error.js';

const name = 'ModelCallError';

/** A model call failed for good: a non-retryable error, or retries exhausted. */
export class ModelCallError extends CrosstalkError {
  /** HTTP status when the failure came from an HTTP API. */
  readonly statusCode: number | undefined;
  /** Attempts made, including the first. */
  readonly attempts: number;
  constructor(options: { message: string; statusCode?: number; attempts: number; cause?: unknown }) {
    super({
      name,
      code: 'MODEL_CALL_FAILED',
      exitCode: ExitCode.failed,
      message: options.message,
      cause: options.cause,
    });
    this.statusCode = options.statusCode;
    this.attempts = options.attempts;
  }
  static override isInstance(error: unknown): error is ModelCallError {
    return CrosstalkError.isInstance(error) && error.name === name;
  }
}

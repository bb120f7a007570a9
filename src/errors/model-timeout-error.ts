import { CrosstalkError, ExitCode } from './crosstalk-error.js';

const name = 'ModelTimeoutError';

/** A model call took longer than the per-call timeout. Retryable. */
export class ModelTimeoutError extends CrosstalkError {
  readonly timeoutMs: number;
  constructor(options: { timeoutMs: number }) {
    super({
      name,
      code: 'MODEL_TIMEOUT',
      exitCode: ExitCode.failed,
      message: `model call timed out after ${options.timeoutMs} ms`,
    });
    this.timeoutMs = options.timeoutMs;
  }
  static override isInstance(error: unknown): error is ModelTimeoutError {
    return CrosstalkError.isInstance(error) && error.name === name;
  }
}

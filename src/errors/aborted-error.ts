import { CrosstalkError, ExitCode } from './crosstalk-error.js';

const name = 'AbortedError';

/** The operation was cancelled (Ctrl-C, a signal, or an `AbortSignal`). */
export class AbortedError extends CrosstalkError {
  constructor(options: { message?: string; cause?: unknown } = {}) {
    super({
      name,
      code: 'ABORTED',
      exitCode: ExitCode.interrupted,
      message: options.message ?? 'interrupted',
      cause: options.cause,
    });
  }
  static override isInstance(error: unknown): error is AbortedError {
    return CrosstalkError.isInstance(error) && error.name === name;
  }
}

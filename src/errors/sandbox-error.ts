import { CrosstalkError } from './crosstalk-error.js';

const name = 'SandboxError';

/**
 * A sandboxed run could not be set up because of how it was asked for:
 * invalid run options, a missing workspace directory, no command and no
 * runtime for the entry file. Problems of the program itself never throw;
 * they are reported in the run's result.
 */
export class SandboxError extends CrosstalkError {
  constructor(options: {
    code: 'SANDBOX_OPTIONS' | 'SANDBOX_WORKSPACE' | 'SANDBOX_RUNTIME';
    message: string;
    cause?: unknown;
  }) {
    super({ name, code: options.code, message: options.message, cause: options.cause });
  }
  static override isInstance(error: unknown): error is SandboxError {
    return CrosstalkError.isInstance(error) && error.name === name;
  }
}

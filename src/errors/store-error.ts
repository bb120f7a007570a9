import { CrosstalkError, ExitCode } from './crosstalk-error.js';

const name = 'StoreError';

/** The run store cannot be used: corrupt, locked, written by a newer version, a run is missing, already completed (nothing to resume) or still running in another process. */
export class StoreError extends CrosstalkError {
  /** Path of the store file. */
  readonly path: string;
  constructor(options: {
    code:
      | 'STORE_CORRUPT'
      | 'STORE_LOCKED'
      | 'STORE_TOO_NEW'
      | 'STORE_NOT_FOUND'
      | 'RUN_NOT_FOUND'
      | 'RUN_COMPLETED'
      | 'RUN_ACTIVE'
      | 'STORE_IO';
    path: string;
    message: string;
    cause?: unknown;
  }) {
    super({ name, code: options.code, exitCode: ExitCode.badInput, message: options.message, cause: options.cause });
    this.path = options.path;
  }
  static override isInstance(error: unknown): error is StoreError {
    return CrosstalkError.isInstance(error) && error.name === name;
  }
}

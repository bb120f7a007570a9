import { CrosstalkError } from './crosstalk-error.js';

const name = 'PathSafetyError';

/**
 * A file path proposed by a model (or read from a project) would escape the
 * workspace or is otherwise unsafe to create: absolute, `..`, a device name,
 * control characters, a symlink pointing outside, … `path` is the name as
 * given (possibly hostile; print it escaped), `reason` says what is wrong.
 */
export class PathSafetyError extends CrosstalkError {
  /** The offending path, as given. */
  readonly path: string;
  /** Why it was refused, e.g. "parent directory ('..') in path". */
  readonly reason: string;
  constructor(options: { path: string; reason: string; cause?: unknown }) {
    super({
      name,
      code: 'PATH_UNSAFE',
      message: `unsafe file path ${JSON.stringify(options.path)}: ${options.reason}`,
      cause: options.cause,
    });
    this.path = options.path;
    this.reason = options.reason;
  }
  static override isInstance(error: unknown): error is PathSafetyError {
    return CrosstalkError.isInstance(error) && error.name === name;
  }
}

import { CrosstalkError, ExitCode } from './crosstalk-error.js';

const name = 'ModelOutputError';

/** A model's reply could not be used (no code block, invalid JSON, empty) after the allowed retries. */
export class ModelOutputError extends CrosstalkError {
  /** The offending reply, truncated. */
  readonly reply: string;
  constructor(options: { message: string; reply?: string; cause?: unknown }) {
    super({ name, code: 'MODEL_OUTPUT', exitCode: ExitCode.failed, message: options.message, cause: options.cause });
    this.reply = (options.reply ?? '').slice(0, 2000);
  }
  static override isInstance(error: unknown): error is ModelOutputError {
    return CrosstalkError.isInstance(error) && error.name === name;
  }
}

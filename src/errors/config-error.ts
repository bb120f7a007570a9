import { CrosstalkError } from './crosstalk-error.js';

const name = 'ConfigError';

/** A config file, environment variable or flag is malformed. `key` names the offending setting. */
export class ConfigError extends CrosstalkError {
  readonly key: string | undefined;
  constructor(options: { message: string; key?: string; cause?: unknown }) {
    super({ name, code: 'CONFIG_INVALID', message: options.message, cause: options.cause });
    this.key = options.key;
  }
  static override isInstance(error: unknown): error is ConfigError {
    return CrosstalkError.isInstance(error) && error.name === name;
  }
}

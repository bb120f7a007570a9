import { CrosstalkError } from './crosstalk-error.js';

const name = 'ModelConfigError';

/**
 * A model cannot be created: unknown model string, missing API key for the
 * chosen provider, or no model configured at all. Raised before any work starts.
 */
export class ModelConfigError extends CrosstalkError {
  readonly modelId: string | undefined;
  constructor(options: {
    code: 'MODEL_UNKNOWN' | 'MODEL_KEY_MISSING' | 'MODEL_NOT_CONFIGURED';
    message: string;
    modelId?: string;
    cause?: unknown;
  }) {
    super({ name, code: options.code, message: options.message, cause: options.cause });
    this.modelId = options.modelId;
  }
  static override isInstance(error: unknown): error is ModelConfigError {
    return CrosstalkError.isInstance(error) && error.name === name;
  }
}

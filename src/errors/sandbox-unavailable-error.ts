import { CrosstalkError, ExitCode } from './crosstalk-error.js';

const name = 'SandboxUnavailableError';

/** No sandbox can run generated code on this machine, and unsafe execution was not allowed. */
export class SandboxUnavailableError extends CrosstalkError {
  constructor(options: { message: string }) {
    super({ name, code: 'SANDBOX_UNAVAILABLE', exitCode: ExitCode.failed, message: options.message });
  }
  static override isInstance(error: unknown): error is SandboxUnavailableError {
    return CrosstalkError.isInstance(error) && error.name === name;
  }
}

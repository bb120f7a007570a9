import { CrosstalkError } from './crosstalk-error.js';

const name = 'GraphSpecError';

/** A graph spec is invalid: a cycle (with its node path), an unknown node, a duplicate id, … */
export class GraphSpecError extends CrosstalkError {
  /** The offending nodes (the cycle's path for a cycle). */
  readonly nodes: string[];
  constructor(options: { message: string; nodes?: string[]; cause?: unknown }) {
    super({ name, code: 'GRAPH_SPEC', message: options.message, cause: options.cause });
    this.nodes = options.nodes ?? [];
  }
  static override isInstance(error: unknown): error is GraphSpecError {
    return CrosstalkError.isInstance(error) && error.name === name;
  }
}

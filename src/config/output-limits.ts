import { ModelOutputError } from '../errors/index.js';
import type { CrosstalkConfig } from './config-schema.js';

/**
 * Size caps on what models produce, set under `limits:` in `crosstalk.config.yaml`. Going over one stops the run
 * with a `ModelOutputError` (code `OUTPUT_TOO_LARGE`, exit code 1); the run can be resumed after raising the cap.
 */
export interface OutputLimits {
  /** Characters of one model reply. Default 2,000,000 (about 500k tokens; no model writes that much in one reply). */
  maxReplyChars: number;
  /** Characters of one file a model writes. Default 1,000,000. */
  maxFileChars: number;
  /** Files in one codebase. Default 1,000. */
  maxFiles: number;
  /** Characters of one prompt built from earlier output (a codebase, a node's inputs). Default 4,000,000. */
  maxPromptChars: number;
}

/** The defaults of {@link OutputLimits}: generous for real projects, far below what exhausts memory or the store. */
export const defaultOutputLimits: OutputLimits = {
  maxReplyChars: 2_000_000,
  maxFileChars: 1_000_000,
  maxFiles: 1_000,
  maxPromptChars: 4_000_000,
};

/** The output limits of a configuration, defaults filled in. */
export function resolveOutputLimits(config: CrosstalkConfig): OutputLimits {
  const limits = config.limits ?? {};
  return {
    maxReplyChars: limits.maxReplyChars ?? defaultOutputLimits.maxReplyChars,
    maxFileChars: limits.maxFileChars ?? defaultOutputLimits.maxFileChars,
    maxFiles: limits.maxFiles ?? defaultOutputLimits.maxFiles,
    maxPromptChars: limits.maxPromptChars ?? defaultOutputLimits.maxPromptChars,
  };
}

/**
 * Throws the `OUTPUT_TOO_LARGE` error when `size` is over the `key` limit.
 * @param what names the thing measured, e.g. `the reply of coding`.
 */
export function checkOutputSize(
  what: string,
  size: number,
  key: keyof OutputLimits,
  limit: number,
  unit = 'characters',
): void {
  if (size <= limit) return;
  throw new ModelOutputError({
    code: 'OUTPUT_TOO_LARGE',
    limit: key,
    message: `${what} has ${size.toLocaleString('en-US')} ${unit}, over limits.${key} (${limit.toLocaleString('en-US')}); raise it in crosstalk.config.yaml to allow more`,
  });
}

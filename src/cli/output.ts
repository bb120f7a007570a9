import { CrosstalkError, ExitCode } from '../errors/index.js';
import { printable } from './format.js';

/** Where a command writes: human lines or one JSON document. */
export interface Output {
  readonly json: boolean;
  /** Human output on stdout (suppressed in JSON mode, where it goes to stderr). */
  line(text?: string): void;
  /** Progress and notes on stderr. */
  note(text: string): void;
  /** The command's single JSON document (JSON mode only; ignored otherwise). */
  result(document: unknown): void;
}

/**
 * Builds an {@link Output} over the given streams. Human lines and notes pass through {@link printable} (lines
 * kept): whatever a model chose cannot reach the terminal as control characters; the JSON document is exact.
 */
export function createOutput(
  json: boolean,
  streams: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Output {
  return {
    json,
    line(text = '') {
      (json ? streams.stderr : streams.stdout).write(`${printable(text, { keepLines: true })}\n`);
    },
    note(text) {
      streams.stderr.write(`${printable(text, { keepLines: true })}\n`);
    },
    result(document) {
      if (json) streams.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    },
  };
}

/** One line describing an error for the terminal, never a stack trace. */
export function describeError(error: unknown): { message: string; code: string; exitCode: number } {
  if (CrosstalkError.isInstance(error)) return { message: error.message, code: error.code, exitCode: error.exitCode };
  const message = error instanceof Error ? error.message : String(error);
  return { message: message.split('\n')[0] ?? 'unknown error', code: 'INTERNAL', exitCode: ExitCode.failed };
}

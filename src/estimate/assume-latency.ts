import { ConfigError } from '../errors/index.js';

const latencyPattern = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s)$/;

/**
 * Parses an `--assume-latency` value: `2s`, `1.5s`, `500ms`. The unit is
 * required (a bare number is ambiguous); zero is allowed.
 * @returns the latency in milliseconds.
 * @throws ConfigError (key `--assume-latency`) with a one-line message.
 */
export function parseAssumedLatency(text: string): number {
  const match = latencyPattern.exec(text.trim());
  const value = match ? Number(match[1]) : Number.NaN;
  if (!match || !Number.isFinite(value)) {
    throw new ConfigError({
      key: '--assume-latency',
      message: `--assume-latency must be a duration like 2s, 1.5s or 500ms (got ${JSON.stringify(text)})`,
    });
  }
  return match[2] === 's' ? value * 1000 : value;
}

import { ConfigError } from '../errors/index.js';
import { parseQueueUrl } from '../queue/index.js';

/** The `--queue-timeout` flag of every command that takes `--queue`. */
export const queueTimeoutOption: [string, string] = [
  '--queue-timeout <seconds>',
  'with --queue: how long Redis may stay unreachable before the run stops, resumable (default 300)',
];

/**
 * `--queue` and `--queue-timeout` as a job's run options; a bad URL or timeout fails here, before any work, in
 * one line. Neither is stored with the run (the URL may hold a password).
 */
export function parseQueueOptions(options: Record<string, unknown>): { queue?: string; queueTimeoutMs?: number } {
  const queue = options.queue === undefined ? undefined : String(options.queue);
  if (queue) parseQueueUrl(queue);
  if (options.queueTimeout === undefined) return queue ? { queue } : {};
  const seconds = Number(options.queueTimeout);
  if (!queue) throw new ConfigError({ key: '--queue-timeout', message: '--queue-timeout applies with --queue only' });
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new ConfigError({
      key: '--queue-timeout',
      message: `--queue-timeout must be a number of seconds > 0 (got ${JSON.stringify(String(options.queueTimeout))})`,
    });
  return { queue, queueTimeoutMs: Math.round(seconds * 1000) };
}

import type { RedisOptions } from 'bullmq';
import { ConfigError } from '../errors/index.js';

/** Where the queue lives, parsed from `redis://[user:pass@]host[:port][/db]` or `rediss://` (TLS). */
export interface QueueConnection {
  /** Options for BullMQ's Redis connections. */
  connection: RedisOptions;
  /** The URL without its password, for messages. */
  display: string;
}

/**
 * Parses a `--queue` URL. A password in the URL is only ever used to connect; messages show the URL without it.
 * Throws a `ConfigError` (exit code 2) naming what is wrong.
 */
export function parseQueueUrl(text: string, key = '--queue'): QueueConnection {
  let url: URL;
  try {
    if (!text.includes('://')) throw new Error('no scheme');
    url = new URL(text);
  } catch {
    throw new ConfigError({ key, message: `${key} must be a redis:// or rediss:// URL (got ${JSON.stringify(text)})` });
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new ConfigError({ key, message: `${key} must start with redis:// or rediss:// (got ${url.protocol}//)` });
  if (url.hostname === '') throw new ConfigError({ key, message: `${key} names no host` });
  const port = url.port === '' ? 6379 : Number(url.port);
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0)
    throw new ConfigError({
      key,
      message: `${key}: the database must be a whole number (got ${JSON.stringify(dbText)})`,
    });
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const connection: RedisOptions = {
    host,
    port,
    db,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: { servername: host } } : {}),
    // BullMQ's workers block on Redis: commands must wait for a reconnect rather than fail
    maxRetriesPerRequest: null,
  };
  const user = url.username ? `${decodeURIComponent(url.username)}@` : '';
  return { connection, display: `${url.protocol}//${user}${url.hostname}:${port}/${db}` };
}

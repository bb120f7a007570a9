import { describe, expect, it } from 'vitest';
import { parseQueueUrl } from './queue-url.js';

describe('parseQueueUrl', () => {
  it('reads host, port, database and credentials, and hides the password in what it shows', () => {
    const q = parseQueueUrl('redis://worker:s%40cret@10.0.0.5:6380/2');
    expect(q.connection).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2, username: 'worker', password: 's@cret' });
    expect(q.connection.tls).toBeUndefined();
    expect(q.display).toBe('redis://worker@10.0.0.5:6380/2');
    expect(q.display).not.toContain('cret');
  });

  it('uses TLS for rediss:// and the default port and database', () => {
    const q = parseQueueUrl('rediss://redis.example');
    expect(q.connection).toMatchObject({
      host: 'redis.example',
      port: 6379,
      db: 0,
      tls: { servername: 'redis.example' },
    });
  });

  it.each([
    ['http://127.0.0.1:6379', '--queue must start with redis:// or rediss:// (got http://)'],
    ['localhost:6379', '--queue must be a redis:// or rediss:// URL (got "localhost:6379")'],
    ['not a url', '--queue must be a redis:// or rediss:// URL (got "not a url")'],
    ['redis://127.0.0.1/x', '--queue: the database must be a whole number (got "x")'],
  ])('refuses %s in one line (exit code 2)', (text, message) => {
    expect(() => parseQueueUrl(text)).toThrow(message);
    try {
      parseQueueUrl(text);
    } catch (error) {
      expect((error as { exitCode: number }).exitCode).toBe(2);
    }
  });
});

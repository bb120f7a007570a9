import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, runInProcess, runProcess, tempDir } from '../support/run-cli.js';
import { countLines, freePort, type Proc, redisServerPath, startProc } from '../support/redis.js';
import { waitFor } from '../support/wait-for.js';

const redisServer = redisServerPath();

describe.skipIf(!redisServer)(
  'net --queue on BullMQ with a real redis-server (skipped: redis-server not installed)',
  () => {
    let url: string;
    const workers: Proc[] = [];
    const servers: Proc[] = [];
    /** A redis-server on 127.0.0.1 that keeps nothing on disk (a restart loses every job). */
    const startRedis = async (port: number, dir: string) => {
      const server = startProc(
        redisServer!,
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
        dir,
      );
      servers.push(server);
      await waitFor(() => server.stdout.includes('Ready to accept connections'), 'redis-server to be ready');
      return server;
    };

    beforeAll(async () => {
      const port = await freePort();
      await startRedis(port, tempDir('crosstalk-redis-'));
      url = `redis://127.0.0.1:${port}`;
    });

    afterAll(async () => {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      for (const server of servers) if (server.child.exitCode === null) server.child.kill('SIGTERM');
      await Promise.all(servers.map((server) => server.exited));
    });

    const startWorker = (cwd: string, queue = url) => {
      // a short lock: a killed worker's steps go back to the queue within about a second
      const w = startProc(
        process.execPath,
        [cliPath, 'worker', '--queue', queue, '--concurrency', '4', '--lock-ms', '1000', '--store', 'none'],
        cwd,
      );
      workers.push(w);
      return w;
    };

    it('3 workers run a 500-node sim network; one SIGKILLed mid-run; the answer equals the in-process one', async () => {
      const cwd = tempDir();
      const net = (out: string) => [
        'net',
        'Write a haiku about queues.',
        '--topology',
        'small-world',
        '--agents',
        '500',
        '--seed',
        '11',
        '--store',
        'none',
        '--out',
        out,
      ];
      const local = await runInProcess([...net('local'), '--model', 'sim'], { cwd });
      expect(local.code).toBe(0);

      const pool = [startWorker(cwd), startWorker(cwd), startWorker(cwd)];
      await waitFor(() => pool.every((w) => w.stderr.includes(' ready on ')), 'three workers to be ready');
      const status = await runProcess(['queue', 'status', '--queue', url, '--json'], { cwd });
      expect(status.code).toBe(0);
      expect((JSON.parse(status.stdout) as { workers: string[] }).workers).toHaveLength(3);

      // latency makes a step last long enough that the killed worker dies holding some
      const coordinator = runProcess(
        [...net('queued'), '--model', 'sim?latency=20ms', '--concurrency', '24', '--queue', url],
        { cwd, timeoutMs: 240_000 },
      );
      const victim = pool[0]!;
      // readiness: it has finished a few steps and holds more than it finished
      await waitFor(
        () =>
          countLines(victim.stdout, 'step done') >= 5 &&
          countLines(victim.stdout, 'step started') > countLines(victim.stdout, 'step done'),
        'the first worker to be working mid-run',
        { timeoutMs: 120_000 },
      );
      victim.child.kill('SIGKILL');
      const held = countLines(victim.stdout, 'step started') - countLines(victim.stdout, 'step done');
      expect(held).toBeGreaterThan(0);

      const result = await coordinator;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/completed: 500\/500 nodes/);
      const stalled = Number(/queue: \d+ steps on \d+ worker\(s\), (\d+) stalled/.exec(result.stderr)?.[1]);
      expect(stalled).toBeGreaterThanOrEqual(1);
      expect(result.stderr).toMatch(/stalled \(its worker stopped answering\)/);
      // every node ran to completion somewhere: the two survivors finished the steps the victim held
      const doneElsewhere = countLines(pool[1]!.stdout, 'step done') + countLines(pool[2]!.stdout, 'step done');
      expect(doneElsewhere + countLines(victim.stdout, 'step done')).toBeGreaterThanOrEqual(500);
      expect(readFileSync(join(cwd, 'queued', 'answer.md'), 'utf8')).toBe(
        readFileSync(join(cwd, 'local', 'answer.md'), 'utf8'),
      );

      // graceful stop: SIGTERM lets a worker finish what it holds and leave
      for (const w of pool.slice(1)) w.child.kill('SIGTERM');
      await Promise.all(pool.slice(1).map((w) => w.exited));
      for (const w of pool.slice(1)) expect(w.stderr).toMatch(/stopped\n/);
    }, 300_000);

    it('a run whose Redis restarts (losing every job) continues when Redis is back, with the same answer', async () => {
      const cwd = tempDir();
      const port = await freePort();
      const dir = tempDir('crosstalk-redis-');
      let server = await startRedis(port, dir);
      const queue = `redis://127.0.0.1:${port}`;
      const net = (out: string) => [
        'net',
        'Write a haiku about restarts.',
        '--topology',
        'small-world',
        '--agents',
        '120',
        '--seed',
        '5',
        '--store',
        'none',
        '--out',
        out,
      ];
      const local = await runInProcess([...net('local'), '--model', 'sim'], { cwd });
      expect(local.code).toBe(0);
      const pool = [startWorker(cwd, queue), startWorker(cwd, queue)];
      await waitFor(() => pool.every((w) => w.stderr.includes(' ready on ')), 'two workers to be ready');
      const coordinator = runProcess([...net('queued'), '--model', 'sim?latency=20ms', '--queue', queue], {
        cwd,
        timeoutMs: 240_000,
      });
      await waitFor(() => pool.some((w) => countLines(w.stdout, 'step done') >= 10), 'steps to be done', {
        timeoutMs: 120_000,
      });
      server.child.kill('SIGTERM');
      await server.exited;
      server = await startRedis(port, dir);
      const result = await coordinator;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/completed: 120\/120 nodes/);
      // the steps in flight when Redis went were lost with it, and sent again
      expect(result.stderr).toMatch(/\d+ lost by Redis and sent again/);
      expect(readFileSync(join(cwd, 'queued', 'answer.md'), 'utf8')).toBe(
        readFileSync(join(cwd, 'local', 'answer.md'), 'utf8'),
      );
      for (const w of pool) w.child.kill('SIGTERM');
      await Promise.all(pool.map((w) => w.exited));
    }, 300_000);

    it("a queued run stops at its budget: workers' calls count against it (exit code 3)", async () => {
      const cwd = tempDir();
      const worker = startWorker(cwd);
      await waitFor(() => worker.stderr.includes(' ready on '), 'a worker to be ready');
      const result = await runProcess(
        [
          'net',
          'Write a haiku.',
          '--topology',
          'chain',
          '--agents',
          '30',
          '--model',
          'sim',
          '--max-tokens',
          '3000',
          '--store',
          'none',
          '--queue',
          url,
        ],
        { cwd, timeoutMs: 120_000 },
      );
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toMatch(/budget/i);
      const done = Number(/(\d+) of 30 nodes are done/.exec(result.stderr)?.[1]);
      expect(done).toBeGreaterThan(0);
      expect(done).toBeLessThan(30);
      worker.child.kill('SIGTERM');
      await worker.exited;
    });

    it('queue status names a bad URL in one line with exit code 2', async () => {
      const cwd = tempDir();
      const bad = await runProcess(['queue', 'status', '--queue', 'http://127.0.0.1:1'], { cwd });
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim()).toBe('crosstalk: --queue must start with redis:// or rediss:// (got http://)');
    });
  },
);

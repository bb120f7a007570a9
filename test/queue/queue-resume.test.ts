import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteRunStore } from '../../src/store/index.js';
import { Processes, countLines, freePort, redisServerPath, workerPaid } from '../support/redis.js';
import { runInProcess, runProcess, tempDir } from '../support/run-cli.js';
import { waitFor } from '../support/wait-for.js';

const redisServer = redisServerPath();

/** What a run's `crosstalk-run.json` says: this session's paid calls and the run's stored totals. */
const summaryOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'crosstalk-run.json'), 'utf8')) as {
    usage: { total: { calls: number } };
    totals: { calls: number; replayedCalls: number };
  };

/** Steps stored as done for a run (read while the run's process writes). */
const doneSteps = (store: string, runId: string) => {
  const s = new SqliteRunStore(store, { readOnly: true });
  try {
    return s.getSteps(runId).filter((step) => step.state === 'done').length;
  } finally {
    s.close();
  }
};

describe.skipIf(!redisServer)('resuming a queued run pays nothing twice (real redis-server)', () => {
  const procs = new Processes();
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    await procs.redis(redisServer!, port, tempDir('crosstalk-redis-'));
    url = `redis://127.0.0.1:${port}`;
  });
  afterAll(() => procs.stopAll());

  const net = (out: string, model: string) => [
    'net',
    'Write a haiku about journals.',
    '--topology',
    'small-world',
    '--agents',
    '60',
    '--seed',
    '7',
    '--model',
    model,
    '--store',
    'runs.db',
    '--out',
    out,
  ];

  /** The in-process run every split run is compared with: its paid calls and its answer. */
  const reference = async (cwd: string) => {
    const local = await runInProcess(net('local', 'sim?latency=20ms'), { cwd });
    expect(local.code, local.stderr).toBe(0);
    return {
      paid: summaryOf(join(cwd, 'local')).usage.total.calls,
      answer: readFileSync(join(cwd, 'local', 'answer.md'), 'utf8'),
    };
  };

  it("a queued run interrupted mid-way resumes without the queue: the workers' calls replay, none is paid twice", async () => {
    const cwd = tempDir();
    const local = await reference(cwd);
    // a long lock: on a busy machine a step must not stall and run twice (the counts below are exact)
    const worker = procs.worker(cwd, url, 30_000);
    await waitFor(() => worker.stderr.includes(' ready on '), 'a worker to be ready');
    const coordinator = procs.cli(cwd, [...net('queued', 'sim?latency=20ms'), '--queue', url]);
    await waitFor(() => countLines(worker.stdout, 'step done') >= 10, 'ten steps to be done', { timeoutMs: 60_000 });
    coordinator.child.kill('SIGINT');
    expect(await coordinator.exited, coordinator.stderr).toBe(130);
    const runId = /crosstalk runs resume (\S+)/.exec(coordinator.stderr)?.[1];
    expect(runId).toBeDefined();
    const first = summaryOf(join(cwd, 'queued'));
    // the coordinator learnt of every call the worker paid for, and journaled each
    expect(first.usage.total.calls).toBe(workerPaid(worker.stdout));
    expect(first.totals.calls).toBe(first.usage.total.calls);
    expect(first.usage.total.calls).toBeLessThan(local.paid);

    const resumed = await runInProcess(['runs', 'resume', runId!, '--store', 'runs.db'], { cwd });
    expect(resumed.code, resumed.stderr).toBe(0);
    const second = summaryOf(join(cwd, 'queued'));
    expect(first.usage.total.calls + second.usage.total.calls).toBe(local.paid);
    expect(second.totals.calls).toBe(local.paid);
    expect(readFileSync(join(cwd, 'queued', 'answer.md'), 'utf8')).toBe(local.answer);
    worker.child.kill('SIGTERM');
    await worker.exited;
  }, 180_000);

  it('a run stopped by its budget on the queue resumes on the queue, paying only for what was left', async () => {
    const cwd = tempDir();
    const local = await reference(cwd);
    const worker = procs.worker(cwd, url, 30_000);
    await waitFor(() => worker.stderr.includes(' ready on '), 'a worker to be ready');
    const stopped = await runProcess([...net('queued', 'sim?latency=20ms'), '--max-tokens', '20000', '--queue', url], {
      cwd,
      timeoutMs: 120_000,
    });
    expect(stopped.code, stopped.stderr).toBe(3);
    const runId = /crosstalk runs resume (\S+)/.exec(stopped.stderr)?.[1];
    const first = summaryOf(join(cwd, 'queued'));
    expect(first.totals.calls).toBe(first.usage.total.calls);

    const resumed = await runProcess(
      ['runs', 'resume', runId!, '--store', 'runs.db', '--max-tokens', '100000000', '--queue', url],
      { cwd, timeoutMs: 120_000 },
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    const second = summaryOf(join(cwd, 'queued'));
    expect(first.usage.total.calls + second.usage.total.calls).toBe(local.paid);
    expect(second.totals.calls).toBe(local.paid);
    expect(readFileSync(join(cwd, 'queued', 'answer.md'), 'utf8')).toBe(local.answer);
    worker.child.kill('SIGTERM');
    await worker.exited;
  }, 180_000);

  it("a run interrupted in process resumes on the queue: the workers replay the store's answers", async () => {
    const cwd = tempDir();
    const local = await reference(cwd);
    const worker = procs.worker(cwd, url, 30_000);
    await waitFor(() => worker.stderr.includes(' ready on '), 'a worker to be ready');
    // in process, an interrupt leaves nodes half done: some of their calls answered and journaled
    const first = procs.cli(cwd, net('split', 'sim?latency=20ms'));
    await waitFor(() => /run (\S+) \(net/.test(first.stderr), 'the run to start');
    const runId = /run (\S+) \(net/.exec(first.stderr)![1]!;
    await waitFor(() => doneSteps(join(cwd, 'runs.db'), runId) >= 10, 'ten nodes to be done', { timeoutMs: 60_000 });
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(130);
    const before = summaryOf(join(cwd, 'split'));

    const resumed = await runProcess(['runs', 'resume', runId, '--store', 'runs.db', '--queue', url], {
      cwd,
      timeoutMs: 120_000,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = summaryOf(join(cwd, 'split'));
    // what the interrupted session paid for is not paid again by the workers
    expect(before.usage.total.calls + after.usage.total.calls).toBe(local.paid);
    expect(after.totals.calls).toBe(local.paid);
    expect(readFileSync(join(cwd, 'split', 'answer.md'), 'utf8')).toBe(local.answer);
    worker.child.kill('SIGTERM');
    await worker.exited;
  }, 180_000);

  it('a coordinator that loses Redis for good stops in one line after --queue-timeout; a resume without it finishes', async () => {
    const cwd = tempDir();
    const local = await reference(cwd);
    const port = await freePort();
    const server = await procs.redis(redisServer!, port, tempDir('crosstalk-redis-'));
    const queue = `redis://127.0.0.1:${port}`;
    const worker = procs.worker(cwd, queue, 30_000);
    await waitFor(() => worker.stderr.includes(' ready on '), 'a worker to be ready');
    const coordinator = procs.cli(cwd, [...net('lost', 'sim?latency=20ms'), '--queue', queue, '--queue-timeout', '2']);
    await waitFor(() => countLines(worker.stdout, 'step done') >= 5, 'five steps to be done', { timeoutMs: 60_000 });
    server.child.kill('SIGTERM'); // for good: it is not started again
    await server.exited;
    const code = await coordinator.exited;
    expect(code, coordinator.stderr).toBe(130);
    const last = coordinator.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(
      new RegExp(
        `^crosstalk: the queue at redis://127\\.0\\.0\\.1:${port}/0 was unreachable for 2 s: the run stopped ` +
          '\\(resume it with or without --queue\\); \\d+ of 60 nodes are done and saved\\. ' +
          'Resume with: crosstalk runs resume (\\S+) ',
      ),
    );
    expect(coordinator.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const runId = /crosstalk runs resume (\S+)/.exec(last)![1]!;
    worker.child.kill('SIGKILL'); // its Redis is gone: it has nothing left to finish

    const resumed = await runInProcess(['runs', 'resume', runId, '--store', 'runs.db'], { cwd });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(join(cwd, 'lost', 'answer.md'), 'utf8')).toBe(local.answer);
  }, 180_000);

  it('a queue that cannot be reached at the start, and a bad --queue-timeout, are refused in one line (exit 2)', async () => {
    const cwd = tempDir();
    const nobody = `redis://127.0.0.1:${await freePort()}`;
    const unreachable = await runProcess([...net('none', 'sim'), '--queue', nobody, '--queue-timeout', '1'], {
      cwd,
      timeoutMs: 60_000,
    });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr.trim().split('\n').at(-1)).toBe(
      `crosstalk: cannot reach the queue at ${nobody}/0 within 1 s (see --queue-timeout)`,
    );
    const bad = await runInProcess([...net('bad', 'sim'), '--queue', nobody, '--queue-timeout', '0'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('crosstalk: --queue-timeout must be a number of seconds > 0 (got "0")');
  }, 120_000);
});

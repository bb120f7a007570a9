import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RedisConnection } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limiterKeys, parseQueueUrl } from '../../src/queue/index.js';
import { detectSandbox } from '../../src/sandbox/index.js';
import { writeQuestions } from '../eval/questions.js';
import { Processes, countLines, freePort, redisServerPath } from '../support/redis.js';
import { runInProcess, runProcess, tempDir } from '../support/run-cli.js';
import { waitFor } from '../support/wait-for.js';

const redisServer = redisServerPath();
const data = new URL('../../../shared/data', import.meta.url).pathname;
const { sandbox } = detectSandbox();

/** A report without what names this particular evaluation (its run id, its command line). */
const reportOf = (dir: string) =>
  readFileSync(join(dir, 'report.md'), 'utf8')
    .replace(/; run \S+/, '; run <id>')
    .replace(/^- command: .*$/m, '- command: <command>');

/** The figures of an evaluation: its scores and totals (durations aside), and each row's answer and score. */
const figuresOf = (dir: string) => {
  const { summary, rows } = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
    summary: { scores: unknown; totals: Record<string, unknown>; answered: number; status: string };
    rows: Array<{ task: number; sample: number; score: unknown; calls: number; tokens: number }>;
  };
  const { durationMs: _d, ...totals } = summary.totals;
  return {
    status: summary.status,
    answered: summary.answered,
    scores: summary.scores,
    totals,
    rows: rows
      .map((r) => ({ task: r.task, sample: r.sample, score: r.score, calls: r.calls, tokens: r.tokens }))
      .sort((a, b) => a.task - b.task || a.sample - b.sample),
  };
};

describe.skipIf(!redisServer)('eval --queue: tasks answered by workers (real redis-server)', () => {
  const procs = new Processes();
  let url: string;
  let workers: ReturnType<Processes['worker']>[];
  let redis: RedisConnection;
  /** Calls the workers' shared limiter has let through for a model, over all runs so far. */
  const granted = async (model: string) => {
    const client = (await redis.client) as unknown as { hget(key: string, field: string): Promise<string | null> };
    return Number((await client.hget(limiterKeys(model).state, 'granted')) ?? 0);
  };

  beforeAll(async () => {
    const port = await freePort();
    const dir = tempDir('crosstalk-redis-');
    await procs.redis(redisServer!, port, dir);
    url = `redis://127.0.0.1:${port}`;
    workers = [procs.worker(dir, url), procs.worker(dir, url)];
    await waitFor(() => workers.every((w) => w.stderr.includes(' ready on ')), 'two workers to be ready');
    redis = new RedisConnection(parseQueueUrl(url).connection);
  });
  afterAll(async () => {
    await redis?.close();
    await procs.stopAll();
  });

  it('a multiple-choice evaluation on 2 workers reports exactly what the in-process one does', async () => {
    const cwd = tempDir();
    writeQuestions(cwd);
    const args = ['eval', 'mc', 'mc.jsonl', '--method', 'net', '--topology', 'chain', '--agents', '2'];
    const common = ['--model', 'sim', '--seed', '4', '--samples', '2'];
    const local = await runInProcess([...args, ...common, '--out', 'local', '--store', 'local.db'], { cwd });
    expect(local.code, local.stderr).toBe(0);
    const before = workers.map((w) => countLines(w.stdout, 'step done'));
    const grantedBefore = await granted('sim');
    const queued = await runProcess([...args, ...common, '--out', 'queued', '--store', 'queued.db', '--queue', url], {
      cwd,
      timeoutMs: 120_000,
    });
    expect(queued.code, queued.stderr).toBe(0);
    // every task's answer (5 questions × 2 samples) came from a worker
    const done = workers.map((w, i) => countLines(w.stdout, 'step done') - before[i]!);
    expect(done.reduce((a, b) => a + b, 0)).toBe(10);
    expect(figuresOf(join(cwd, 'queued'))).toEqual(figuresOf(join(cwd, 'local')));
    expect(reportOf(join(cwd, 'queued'))).toBe(reportOf(join(cwd, 'local')));
    // every call the workers paid for waited for the shared Redis limiter, under the evaluation's published limits
    const paid = (figuresOf(join(cwd, 'queued')).totals as { calls: number }).calls;
    expect(paid).toBeGreaterThan(0);
    expect((await granted('sim')) - grantedBefore).toBe(paid);
    // the workers' calls are in the coordinator's store: the same evaluation again pays for none
    const again = await runInProcess([...args, ...common, '--out', 'again', '--store', 'queued.db'], { cwd });
    expect(again.code, again.stderr).toBe(0);
    const totals = figuresOf(join(cwd, 'again')).totals as { calls: number; replayedCalls: number };
    expect(totals.calls).toBe(0);
    expect(totals.replayedCalls).toBe((figuresOf(join(cwd, 'local')).totals as { calls: number }).calls);
  }, 180_000);

  it('a sweep (mc, 2 cells) on 2 workers gives the same rows as in process', async () => {
    const cwd = tempDir();
    writeQuestions(cwd);
    const args = ['eval', 'sweep', '--dataset', 'mc', '--dataset-path', 'mc.jsonl', '--topologies', 'chain'];
    const common = [...args, '--agents', '1,2', '--model', 'sim', '--seed', '4'];
    const rowsOf = (dir: string) =>
      (
        JSON.parse(readFileSync(join(cwd, dir, 'results.json'), 'utf8')) as {
          rows: Array<{
            topology: string;
            agents: number;
            quality: number | null;
            calls: number;
            replayedCalls: number;
          }>;
        }
      ).rows.map((r) => ({ cell: `${r.topology}x${r.agents}`, quality: r.quality, calls: r.calls + r.replayedCalls }));
    const local = await runInProcess([...common, '--out', 'local', '--store', 'local.db'], { cwd });
    expect(local.code, local.stderr).toBe(0);
    const before = workers.map((w) => countLines(w.stdout, 'step done'));
    const queued = await runProcess([...common, '--out', 'queued', '--store', 'queued.db', '--queue', url], {
      cwd,
      timeoutMs: 120_000,
    });
    expect(queued.code, queued.stderr).toBe(0);
    // each cell's 5 questions were answered by a worker
    const done = workers.map((w, i) => countLines(w.stdout, 'step done') - before[i]!);
    expect(done.reduce((a, b) => a + b, 0)).toBe(10);
    expect(rowsOf('queued')).toHaveLength(2);
    expect(rowsOf('local').every((r) => r.calls > 0 && r.quality !== null)).toBe(true);
    expect(rowsOf('queued')).toEqual(rowsOf('local'));
  }, 180_000);

  it.skipIf(!sandbox)(
    'a HumanEval evaluation on 2 workers scores the same as in process',
    async () => {
      const cwd = tempDir();
      const args = ['eval', 'humaneval', '--dataset-path', data, '--limit', '3', '--model', 'sim', '--seed', '2'];
      const local = await runInProcess([...args, '--out', 'local', '--store', 'local.db'], { cwd });
      expect(local.code, local.stderr).toBe(0);
      const queued = await runProcess([...args, '--out', 'queued', '--store', 'queued.db', '--queue', url], {
        cwd,
        timeoutMs: 120_000,
      });
      expect(queued.code, queued.stderr).toBe(0);
      expect(figuresOf(join(cwd, 'queued'))).toEqual(figuresOf(join(cwd, 'local')));
      expect(reportOf(join(cwd, 'queued'))).toBe(reportOf(join(cwd, 'local')));
    },
    180_000,
  );
});

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Processes, countLines, freePort, redisServerPath } from '../support/redis.js';
import { runInProcess, runProcess, tempDir } from '../support/run-cli.js';
import { waitFor } from '../support/wait-for.js';

const redisServer = redisServerPath();

/** Every file under `dir` but the run summary, by relative path. */
function filesOf(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name !== 'crosstalk-run.json') files[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return files;
}

/**
 * A run summary without what differs between any two runs: ids, durations, per-agent usage's key order, and the
 * last bits of sums of costs (calls are added up in the order they come back, which differs).
 */
function summaryOf(dir: string): unknown {
  const strip = (value: unknown): unknown => {
    if (typeof value === 'number') return Number(value.toPrecision(12));
    if (Array.isArray(value)) return value.map(strip);
    if (value && typeof value === 'object')
      return Object.fromEntries(
        Object.entries(value)
          .filter(([key]) => key !== 'durationMs' && key !== 'runId')
          .map(([key, v]) => [key, strip(v)]),
      );
    return value;
  };
  const summary = JSON.parse(readFileSync(join(dir, 'crosstalk-run.json'), 'utf8')) as {
    usage: { total: unknown; perAgent: Record<string, unknown> };
  };
  const perAgent = Object.fromEntries(Object.entries(summary.usage.perAgent).sort(([a], [b]) => a.localeCompare(b)));
  return strip({ ...summary, usage: { ...summary.usage, perAgent } });
}

describe.skipIf(!redisServer)('dev --teams and story --teams on workers (real redis-server)', () => {
  const procs = new Processes();
  let url: string;
  let workers: ReturnType<Processes['worker']>[];

  beforeAll(async () => {
    const port = await freePort();
    const dir = tempDir('crosstalk-redis-');
    await procs.redis(redisServer!, port, dir);
    url = `redis://127.0.0.1:${port}`;
    // a team's segment can keep a worker's event loop busy (sandbox runs): a long lock keeps it from being re-run
    workers = [procs.worker(dir, url, 30_000), procs.worker(dir, url, 30_000)];
    await waitFor(() => workers.every((w) => w.stderr.includes(' ready on ')), 'two workers to be ready');
  });
  afterAll(() => procs.stopAll());

  const stepsDone = () => workers.reduce((sum, w) => sum + countLines(w.stdout, 'step done'), 0);

  it("dev --teams 3: each team's segments run on workers; the project and the decisions equal the in-process run's", async () => {
    const cwd = tempDir();
    const args = ['dev', 'a command-line todo app', '--teams', '3', '--model', 'sim', '--seed', '3'];
    const local = await runInProcess([...args, '--out', 'local', '--store', 'local.db'], { cwd });
    expect(local.code, local.stderr).toBe(0);
    const before = stepsDone();
    const queued = await runProcess([...args, '--out', 'queued', '--store', 'queued.db', '--queue', url], {
      cwd,
      timeoutMs: 120_000,
    });
    expect(queued.code, queued.stderr).toBe(0);
    // every team segment the coordinator sent was run by a worker: 3 teams × at least 3 segments
    const sent = Number(/queue: (\d+) steps on 2 worker\(s\)/.exec(queued.stderr)?.[1]);
    expect(sent).toBeGreaterThanOrEqual(9);
    expect(stepsDone() - before).toBe(sent);
    expect(filesOf(join(cwd, 'queued'))).toEqual(filesOf(join(cwd, 'local')));
    expect(summaryOf(join(cwd, 'queued'))).toEqual(summaryOf(join(cwd, 'local')));
  }, 180_000);

  it('dev --teams 2 with --self-correct and --safety-check: the checks run on the workers as they do in process', async () => {
    const cwd = tempDir();
    const args = ['dev', 'a command-line todo app', '--teams', '2', '--model', 'sim', '--seed', '4'];
    const checks = ['--self-correct', '2', '--safety-check'];
    const local = await runInProcess([...args, ...checks, '--out', 'local', '--store', 'local.db'], { cwd });
    expect(local.code, local.stderr).toBe(0);
    const queued = await runProcess([...args, ...checks, '--out', 'queued', '--store', 'queued.db', '--queue', url], {
      cwd,
      timeoutMs: 120_000,
    });
    expect(queued.code, queued.stderr).toBe(0);
    expect(filesOf(join(cwd, 'queued'))).toEqual(filesOf(join(cwd, 'local')));
    // the same result, teams and decisions; not the same cost: in process a team's safety verdicts are cached
    // for the whole run, on workers for one segment, so a codebase reviewed before is reviewed again (see README)
    const { totals: _t, usage: _u, ...queuedSummary } = summaryOf(join(cwd, 'queued')) as Record<string, unknown>;
    const { totals: _lt, usage: _lu, ...localSummary } = summaryOf(join(cwd, 'local')) as Record<string, unknown>;
    expect(queuedSummary).toEqual(localSummary);
  }, 180_000);

  it("story --teams 3: each team's stages are written on workers; the story equals the in-process one", async () => {
    const cwd = tempDir();
    const args = ['story', 'A lighthouse keeper finds a map.', '--teams', '3', '--model', 'sim', '--seed', '5'];
    const local = await runInProcess([...args, '--out', 'local', '--store', 'local.db'], { cwd });
    expect(local.code, local.stderr).toBe(0);
    const before = stepsDone();
    const queued = await runProcess([...args, '--out', 'queued', '--store', 'queued.db', '--queue', url], {
      cwd,
      timeoutMs: 120_000,
    });
    expect(queued.code, queued.stderr).toBe(0);
    // 3 teams × 3 stages (outline, draft, revise)
    expect(stepsDone() - before).toBe(9);
    expect(readFileSync(join(cwd, 'queued', 'story.md'), 'utf8')).toBe(
      readFileSync(join(cwd, 'local', 'story.md'), 'utf8'),
    );
    expect(summaryOf(join(cwd, 'queued'))).toEqual(summaryOf(join(cwd, 'local')));
  }, 180_000);

  it('dev --queue without --teams is refused in one line (exit code 2)', async () => {
    const cwd = tempDir();
    const result = await runInProcess(['dev', 'a todo app', '--model', 'sim', '--queue', url], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      "crosstalk: --queue sends teams' work to workers: add --teams (the plain chain runs in this process)",
    );
  });
});

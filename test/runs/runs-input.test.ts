import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeRuns, RunSession } from '../../src/jobs/index.js';
import { SqliteRunStore } from '../../src/store/index.js';
import { runInProcess, storedNetRun, tempDir } from '../support/run-cli.js';

describe('crosstalk runs: bad input', () => {
  it('refuses a malformed --limit in one line with exit code 2', async () => {
    const cwd = tempDir();
    await storedNetRun(cwd);
    for (const limit of ['abc', '1.5', '0', '-3', '']) {
      const result = await runInProcess(['runs', 'list', `--limit=${limit}`, '--json'], { cwd });
      expect(result.code, `--limit=${limit}`).toBe(2);
      expect(result.stderr.trim()).toBe(
        `crosstalk: --limit must be a whole number of at least 1 (got ${JSON.stringify(limit)})`,
      );
      expect(JSON.parse(result.stdout)).toEqual({
        ok: false,
        error: { code: 'CONFIG_INVALID', message: expect.stringContaining('--limit') },
      });
    }
    const one = JSON.parse((await runInProcess(['runs', 'list', '--limit', '1', '--json'], { cwd })).stdout) as {
      runs: unknown[];
    };
    expect(one.runs).toHaveLength(1);
  });

  it('inspects a --store that is not a run store without turning it into one', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'notes.db'), '');
    for (const command of [
      ['runs', 'list'],
      ['runs', 'show', 'abc'],
      ['runs', 'events', 'abc'],
      ['runs', 'export', 'abc', '--out', 'x'],
    ]) {
      const result = await runInProcess([...command, '--store', 'notes.db'], { cwd });
      expect(result.code, command.join(' ')).toBe(2);
      expect(result.stderr.trim()).toBe(
        `crosstalk: ${join(cwd, 'notes.db')} is not a crosstalk run store (it has no schema version); pass --store with the path of one`,
      );
    }
    expect(statSync(join(cwd, 'notes.db')).size).toBe(0);
  });

  it('says a completed run cannot be resumed with its own error code, not RUN_NOT_FOUND', async () => {
    const cwd = tempDir();
    const id = await storedNetRun(cwd);
    const again = await runInProcess(['runs', 'resume', id, '--json'], { cwd });
    expect(again.code).toBe(2);
    expect(JSON.parse(again.stdout)).toEqual({
      ok: false,
      error: { code: 'RUN_COMPLETED', message: `run ${id} is already completed; nothing to resume` },
    });
  });

  it('rm deletes several runs at once, and an unknown id among them deletes nothing', async () => {
    const cwd = tempDir();
    const ids: string[] = [];
    for (const out of ['a', 'b', 'c']) {
      const net = await runInProcess(
        ['net', 'Write a haiku.', '--topology', 'chain', '--agents', '2', '--model', 'sim', '--out', out, '--json'],
        { cwd },
      );
      ids.push((JSON.parse(net.stdout) as { runId: string }).runId);
    }
    const [a, b, c] = ids as [string, string, string];
    const bad = await runInProcess(['runs', 'rm', a, 'no-such-run'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^crosstalk: no run 'no-such-run' in .*; nothing was deleted$/);
    const done = await runInProcess(['runs', 'rm', a, b, '--json'], { cwd });
    expect(JSON.parse(done.stdout)).toEqual({ ok: true, deleted: [a, b], stillRunning: [] });
    const left = JSON.parse((await runInProcess(['runs', 'list', '--json'], { cwd })).stdout) as {
      runs: Array<{ id: string }>;
    };
    expect(left.runs.map((r) => r.id)).toEqual([c]);
    // nothing is idle for a week yet; a malformed age is a one-line error
    expect(
      JSON.parse((await runInProcess(['runs', 'rm', '--older-than', '7d', '--json'], { cwd })).stdout),
    ).toMatchObject({ deleted: [] });
    const age = await runInProcess(['runs', 'rm', '--older-than', 'yesterday'], { cwd });
    expect(age.code).toBe(2);
    expect(age.stderr.trim()).toBe('crosstalk: --older-than must be an age like 30m, 12h, 7d or 2w (got "yesterday")');
    const none = await runInProcess(['runs', 'rm'], { cwd });
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe('crosstalk: runs rm needs run ids or --older-than <age>');
  });

  it('rm --older-than deletes the runs idle for longer, and keeps a running one', () => {
    const store = new SqliteRunStore(':memory:');
    const old = store.createRun({ kind: 'net', task: 'old', config: {} });
    store.updateRun(old.id, { status: 'completed', finishedAt: Date.now() });
    const live = RunSession.start(store, { kind: 'net', task: 'live', config: {} });
    live.begin({ model: 'sim', simulated: true });
    const inAWeek = Date.now() + 8 * 86_400_000;
    expect(removeRuns(store, 'mem', { ids: [], olderThanMs: 7 * 86_400_000, now: inAWeek })).toEqual({
      deleted: [old.id],
      running: [live.id],
    });
    expect(store.getRun(old.id)).toBeUndefined();
    expect(() => removeRuns(store, 'mem', { ids: [live.id] })).toThrow(/still running/);
    store.close();
  });

  it('resume refuses a --model, --seed, --role-models or --config that would change what the run computes', async () => {
    const cwd = tempDir();
    const stopped = await runInProcess(
      [
        'net',
        'Write a haiku.',
        '--topology',
        'chain',
        '--agents',
        '6',
        '--model',
        'sim',
        '--budget-usd',
        '0.0005',
        '--out',
        'n',
        '--json',
      ],
      { cwd },
    );
    expect(stopped.code).toBe(3);
    const id = (JSON.parse(stopped.stdout) as { runId: string }).runId;
    writeFileSync(join(cwd, 'other.yaml'), 'seed: 4\n');
    for (const [flag, value] of [
      ['--model', 'sim?seed=9'],
      ['--seed', '4'],
      ['--role-models', 'critic=sim'],
      ['--config', 'other.yaml'],
    ] as const) {
      const refused = await runInProcess(['runs', 'resume', id, flag, value], { cwd });
      expect(refused.code, flag).toBe(2);
      expect(refused.stderr.trim()).toMatch(
        new RegExp(
          `^crosstalk: ${flag} cannot change when resuming run ${id}: it continues with the settings it started with`,
        ),
      );
    }
    const resumed = await runInProcess(['runs', 'resume', id, '--budget-usd', '5', '--json'], { cwd });
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'completed', nodes: { done: 6 } });
  });
});

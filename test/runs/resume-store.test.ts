import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess, tempDir } from '../support/run-cli.js';

describe('crosstalk runs resume and the store it reads', () => {
  it('resumes a run from the store it was found in after the store was moved, from another directory', async () => {
    const cwd = tempDir();
    const stopped = await runInProcess(
      [
        'net',
        'Write a fable.',
        '--topology',
        'chain',
        '--agents',
        '6',
        '--model',
        'sim',
        '--out',
        'n',
        '--store',
        'first.db',
        '--budget-usd',
        '0.001',
        '--json',
      ],
      { cwd },
    );
    expect(stopped.code).toBe(3);
    const { runId } = JSON.parse(stopped.stdout) as { runId: string };
    renameSync(join(cwd, 'first.db'), join(cwd, 'moved.db'));
    mkdirSync(join(cwd, 'elsewhere'));

    const resumed = await runInProcess(
      ['runs', 'resume', runId, '--store', '../moved.db', '--budget-usd', '1', '--json'],
      { cwd: join(cwd, 'elsewhere') },
    );
    expect(resumed.stderr).not.toMatch(/no run/);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ runId, status: 'completed', nodes: { done: 6 } });
    // the store it started in is not recreated empty
    expect(existsSync(join(cwd, 'first.db'))).toBe(false);
    expect(existsSync(join(cwd, 'elsewhere', 'first.db'))).toBe(false);
    const list = JSON.parse(
      (await runInProcess(['runs', 'list', '--store', 'moved.db', '--json'], { cwd })).stdout,
    ) as { runs: Array<{ id: string; status: string }> };
    expect(list.runs).toEqual([expect.objectContaining({ id: runId, status: 'completed' })]);
  });
});

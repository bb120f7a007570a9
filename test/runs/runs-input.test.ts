import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess, storedNetRun, tempDir } from '../support/run-cli.js';

describe('crosstalk runs: bad input', () => {
  it('refuses a malformed --limit in one line with exit code 2', async () => {
    const cwd = tempDir();
    await storedNetRun(cwd);
    for (const limit of ['abc', '1.5', '0', '-3', '']) {
      const result = await runInProcess(['runs', 'list', `--limit=${limit}`, '--json'], { cwd });
      expect(result.code, `--limit=${limit}`).toBe(2);
      expect(result.stderr.trim()).toBe(`crosstalk: --limit must be a whole number of at least 1 (got ${JSON.stringify(limit)})`);
      expect(JSON.parse(result.stdout)).toEqual({ ok: false, error: { code: 'CONFIG_INVALID', message: expect.stringContaining('--limit') } });
    }
    const one = JSON.parse((await runInProcess(['runs', 'list', '--limit', '1', '--json'], { cwd })).stdout) as { runs: unknown[] };
    expect(one.runs).toHaveLength(1);
  });

  it('inspects a --store that is not a run store without turning it into one', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'notes.db'), '');
    for (const command of [['runs', 'list'], ['runs', 'show', 'abc'], ['runs', 'events', 'abc'], ['runs', 'export', 'abc', '--out', 'x']]) {
      const result = await runInProcess([...command, '--store', 'notes.db'], { cwd });
      expect(result.code, command.join(' ')).toBe(2);
      expect(result.stderr.trim()).toBe(`crosstalk: ${join(cwd, 'notes.db')} is not a crosstalk run store (it has no schema version); pass --store with the path of one`);
    }
    expect(statSync(join(cwd, 'notes.db')).size).toBe(0);
  });

  it('says a completed run cannot be resumed with its own error code, not RUN_NOT_FOUND', async () => {
    const cwd = tempDir();
    const id = await storedNetRun(cwd);
    const again = await runInProcess(['runs', 'resume', id, '--json'], { cwd });
    expect(again.code).toBe(2);
    expect(JSON.parse(again.stdout)).toEqual({ ok: false, error: { code: 'RUN_COMPLETED', message: `run ${id} is already completed; nothing to resume` } });
  });
});

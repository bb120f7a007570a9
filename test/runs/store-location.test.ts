import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess, runProcess, tempDir } from '../support/run-cli.js';

describe('--store locations', () => {
  it('creates the missing directories of a new store', async () => {
    const cwd = tempDir();
    const result = await runInProcess(
      ['net', 'x', '--topology', 'chain', '--agents', '2', '--model', 'sim', '--out', 'n', '--store', 'a/b/runs.db'],
      { cwd },
    );
    expect(result.code).toBe(0);
    expect(existsSync(join(cwd, 'a', 'b', 'runs.db'))).toBe(true);
  });

  it.runIf(process.platform === 'linux')(
    'fails at once with one line, not hanging, where the store directory cannot be created',
    async () => {
      const cwd = tempDir();
      const result = await runProcess(
        [
          'net',
          'x',
          '--topology',
          'chain',
          '--agents',
          '2',
          '--model',
          'sim',
          '--out',
          'n',
          '--store',
          '/proc/crosstalk-store/runs.db',
        ],
        { cwd, timeoutMs: 15_000 },
      );
      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toMatch(
        /^crosstalk: cannot open run store \/proc\/crosstalk-store\/runs\.db: ENOENT/,
      );
    },
  );
});

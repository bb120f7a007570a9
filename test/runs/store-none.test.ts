import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess, tempDir } from '../support/run-cli.js';

const net = ['net', 'Write a haiku.', '--topology', 'chain', '--agents', '4', '--model', 'sim', '--seed', '2'];

describe('--store none', () => {
  it('runs without a database, with the same totals as a stored run, and keeps nothing to inspect', async () => {
    const cwd = tempDir();
    const none = await runInProcess([...net, '--store', 'none', '--out', 'a', '--json'], { cwd });
    expect(none.code).toBe(0);
    const result = JSON.parse(none.stdout) as { runId: string; status: string; totals: { calls: number } };
    expect(result.status).toBe('completed');
    // the results, but no store file, nor a file called 'none'
    expect(readdirSync(cwd)).toEqual(['a']);

    const stored = await runInProcess([...net, '--store', 'runs.db', '--out', 'b', '--json'], { cwd });
    expect((JSON.parse(stored.stdout) as { totals: { calls: number } }).totals.calls).toBe(result.totals.calls);
    expect(existsSync(join(cwd, 'runs.db'))).toBe(true);

    for (const args of [
      ['runs', 'list', '--store', 'none'],
      ['runs', 'resume', result.runId, '--store', 'none'],
    ]) {
      const refused = await runInProcess(args, { cwd });
      expect(refused.code).toBe(2);
      expect(refused.stderr.trim()).toMatch(/^crosstalk: --store none keeps no runs: there is nothing to list[^\n]*$/);
    }
  });

  it('says a run stopped by its budget cannot be resumed, instead of printing a resume command', async () => {
    const cwd = tempDir();
    const stopped = await runInProcess([...net, '--store', 'none', '--budget-usd', '0.000001', '--out', 'a'], { cwd });
    expect(stopped.code).toBe(3);
    expect(stopped.stderr).toMatch(/budget reached[^\n]*\. It cannot be resumed: --store none kept nothing/);
    expect(stopped.stderr).not.toMatch(/runs resume/);
  });
});

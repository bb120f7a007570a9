import { describe, expect, it } from 'vitest';
import { cleanEnv, runInProcess, runProcess, tempDir } from '../support/run-cli.js';

describe('resuming one run twice at once', () => {
  it('lets one resume run and refuses the other, so no answered call is paid twice', async () => {
    const cwd = tempDir();
    const args = ['net', 'Write a fable.', '--topology', 'chain', '--agents', '30', '--model', 'sim?latency=40ms'];
    const reference = await runInProcess([...args, '--store', 'ref.db', '--out', 'ref', '--json'], { cwd });
    const refCalls = (JSON.parse(reference.stdout) as { totals: { calls: number } }).totals.calls;
    const stopped = await runInProcess([...args, '--budget-usd', '0.002', '--out', 'run', '--json'], { cwd });
    expect(stopped.code).toBe(3);
    const id = (JSON.parse(stopped.stdout) as { runId: string }).runId;

    const both = await Promise.all(
      [0, 1].map(() =>
        runProcess(['runs', 'resume', id, '--budget-usd', '5', '--json'], { cwd, env: cleanEnv(), timeoutMs: 120_000 }),
      ),
    );
    const codes = both.map((r) => r.code).sort();
    expect(codes).toEqual([0, 2]);
    const refused = both.find((r) => r.code === 2)!;
    // refused while the other runs, or (on a machine slow to start the second process) after it completed
    expect(JSON.parse(refused.stdout).error.code).toMatch(/^RUN_(ACTIVE|COMPLETED)$/);
    const done = JSON.parse(both.find((r) => r.code === 0)!.stdout) as { status: string; totals: { calls: number } };
    expect(done.status).toBe('completed');
    expect(done.totals.calls).toBe(refCalls);
  }, 180_000);
});

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors/index.js';
import { SqliteRunStore } from '../../src/store/index.js';
import { waitFor } from '../support/index.js';
import { cleanEnv, cliPath, runInProcess, tempDir } from '../support/run-cli.js';

interface ListedRun {
  id: string;
  status: string;
  processGone?: boolean;
  totals: { calls: number };
}

async function listRuns(cwd: string): Promise<ListedRun[]> {
  return (
    JSON.parse((await runInProcess(['runs', 'list', '--store', 'runs.db', '--json'], { cwd })).stdout) as {
      runs: ListedRun[];
    }
  ).runs;
}

/** Starts a slow network in a child process and resolves once it has journaled a few calls. */
async function startSlowNet(cwd: string): Promise<{ child: ChildProcess; id: string }> {
  const child = spawn(
    process.execPath,
    [
      cliPath,
      'net',
      'Write a fable.',
      '--topology',
      'chain',
      '--agents',
      '60',
      '--model',
      'sim?latency=40ms',
      '--out',
      'n',
      '--store',
      'runs.db',
    ],
    { cwd, env: cleanEnv(), stdio: 'ignore' },
  );
  let exited = false;
  child.on('exit', () => (exited = true));
  let id: string | undefined;
  const journaled = () => {
    if (exited) throw new Error('the network ended before it had journaled 3 calls');
    if (!existsSync(join(cwd, 'runs.db'))) return false;
    let store: SqliteRunStore | undefined;
    try {
      store = new SqliteRunStore(join(cwd, 'runs.db'));
      const run = store.listRuns()[0];
      if (run && store.callTotals(run.id).calls >= 3) id = run.id;
      return id !== undefined;
    } catch (error) {
      // the child may still be creating the database
      if (StoreError.isInstance(error) || /^SQLITE_/.test(String((error as { code?: unknown }).code))) return false;
      throw error;
    } finally {
      store?.close();
    }
  };
  try {
    await waitFor(journaled, 'the network to journal 3 calls', { everyMs: 25 });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { child, id: id! };
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('runs whose process is running or gone', () => {
  it('shows live figures, refuses a second session, and reports a killed run as interrupted instead of running forever', async () => {
    const cwd = tempDir();
    const { child, id } = await startSlowNet(cwd);
    try {
      // while it runs: its figures so far, not zeros
      const [running] = await listRuns(cwd);
      expect(running).toMatchObject({ id, status: 'running' });
      expect(running!.processGone).toBeUndefined();
      expect(running!.totals.calls).toBeGreaterThan(0);

      // a second session would do and pay for the same work
      const second = await runInProcess(['runs', 'resume', id, '--store', 'runs.db', '--json'], { cwd });
      expect(second.code).toBe(2);
      expect(JSON.parse(second.stdout)).toEqual({
        ok: false,
        error: {
          code: 'RUN_ACTIVE',
          message: `run ${id} is still running (process ${child.pid}); stop it (Ctrl-C) or wait for it to end before resuming`,
        },
      });
    } finally {
      await killed(child);
    }

    const [gone] = await listRuns(cwd);
    expect(gone).toMatchObject({ id, status: 'interrupted', processGone: true });
    expect(gone!.totals.calls).toBeGreaterThan(0);
    const table = await runInProcess(['runs', 'list', '--store', 'runs.db'], { cwd });
    expect(table.stdout).toMatch(new RegExp(`^${id} +net +Write a fable\\. +interrupted\\*`, 'm'));
    expect(table.stdout).toContain(
      '* its process ended without finishing the run (killed or crashed); continue it with: crosstalk runs resume <id>',
    );

    // following a killed run ends instead of waiting for a run-finished that never comes
    const guard = new AbortController();
    const timer = setTimeout(() => guard.abort(), 20_000);
    const follow = await runInProcess(['runs', 'events', id, '--store', 'runs.db', '--follow'], {
      cwd,
      signal: guard.signal,
    });
    clearTimeout(timer);
    expect(guard.signal.aborted).toBe(false);
    expect(follow.code).toBe(0);
    expect(follow.stdout).toContain('step-finished');
    expect(follow.stderr).toContain(`run ${id} is not running any more`);

    const resumed = await runInProcess(['runs', 'resume', id, '--store', 'runs.db', '--json'], { cwd });
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ runId: id, status: 'completed' });
  });
});

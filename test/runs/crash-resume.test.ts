import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/common/index.js';
import { waitFor } from '../support/index.js';
import { cleanEnv, cliPath, runInProcess, runProcess, tempDir } from '../support/run-cli.js';

const model = 'sim?latency=20ms&seed=5';
const netArgs = [
  'net',
  'Write a short fable about a fox.',
  '--topology',
  'random',
  '--density',
  'sparse',
  '--agents',
  '200',
  '--model',
  model,
  '--concurrency',
  '8',
  '--seed',
  '5',
];

function openDb(path: string) {
  return new Database(path, { readonly: true, fileMustExist: true });
}

function runIds(path: string): string[] {
  if (!existsSync(path)) return [];
  const db = openDb(path);
  try {
    return (db.prepare('SELECT id FROM runs').all() as Array<{ id: string }>).map((r) => r.id);
  } catch {
    return [];
  } finally {
    db.close();
  }
}

/** Answered calls journaled in the store so far (0 before the store exists or while it is being created). */
function answeredCalls(path: string): number {
  if (!existsSync(path)) return 0;
  try {
    const db = openDb(path);
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM calls').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch (error) {
    if (/^SQLITE_/.test(String((error as { code?: unknown }).code))) return 0;
    throw error;
  }
}

/**
 * Starts the CLI and SIGKILLs it `afterMs` after its session began and answered its first call (the
 * `run <id>` / `resuming run <id>` line, then one more call in the journal): on a loaded machine a session
 * can spend more than the delay on setup, and one killed before any answer would test nothing.
 * Resolves when the process is gone.
 */
function startAndKill(args: string[], cwd: string, store: string, afterMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const before = answeredCalls(store);
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd,
      env: cleanEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let exited = false;
    let timer: NodeJS.Timeout | undefined;
    let watching = false;
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
      if (watching || !/^(run|resuming run) \S+/m.test(stderr)) return;
      watching = true;
      waitFor(() => exited || answeredCalls(store) > before, 'the session to answer a call', { everyMs: 5 })
        .then(() => {
          if (!exited) timer = setTimeout(() => child.kill('SIGKILL'), afterMs);
        })
        .catch((error: unknown) => {
          child.kill('SIGKILL');
          reject(error as Error);
        });
    });
    child.on('exit', () => {
      exited = true;
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('durable runs', () => {
  it('survives 10 SIGKILLs: the resumed result equals an uninterrupted run and no answered call is paid twice', async () => {
    const cwd = tempDir();
    // the uninterrupted reference run
    const reference = await runProcess([...netArgs, '--store', 'ref.db', '--out', 'ref', '--json'], {
      cwd,
      env: cleanEnv(),
      timeoutMs: 120_000,
    });
    expect(reference.code).toBe(0);
    const ref = JSON.parse(reference.stdout) as { answer: string; totals: { calls: number } };
    const refCalls = ref.totals.calls;

    const store = join(cwd, 'crash.db');
    const random = seededRandom(42);
    const lostPerKill: number[] = [];
    let id: string | undefined;
    for (let kill = 0; kill < 10; kill++) {
      const delay = Math.floor(random() * 600);
      if (!id) await startAndKill([...netArgs, '--store', 'crash.db', '--out', 'crash'], cwd, store, delay);
      else await startAndKill(['runs', 'resume', id, '--store', 'crash.db'], cwd, store, delay);
      id ??= runIds(store)[0];
      if (!id) continue; // killed before the run was recorded: start again
      const db = openDb(store);
      const pending = (db.prepare('SELECT COUNT(*) AS n FROM pending_calls WHERE run_id = ?').get(id) as { n: number })
        .n;
      const status = (db.prepare('SELECT status FROM runs WHERE id = ?').get(id) as { status: string }).status;
      db.close();
      lostPerKill.push(pending);
      // at most the model's concurrency cap can be in flight when the process dies
      expect(pending).toBeLessThanOrEqual(8);
      if (status === 'completed') break;
    }
    expect(id).toBeDefined();
    const final = await runProcess(['runs', 'resume', id!, '--store', 'crash.db', '--json'], {
      cwd,
      env: cleanEnv(),
      timeoutMs: 120_000,
    });
    let answer: string;
    let totals: { calls: number; lostCalls: number; replayedCalls: number };
    if (final.code === 0) {
      const doc = JSON.parse(final.stdout) as { answer: string; totals: typeof totals };
      answer = doc.answer;
      totals = doc.totals;
    } else {
      // the last kill landed after the run had completed
      expect(final.stderr).toMatch(/already completed/);
      const doc = JSON.parse(readFileSync(join(cwd, 'crash', 'crosstalk-run.json'), 'utf8')) as {
        totals: typeof totals;
      };
      answer = readFileSync(join(cwd, 'crash', 'answer.md'), 'utf8').replace(/\n$/, '');
      totals = doc.totals;
    }
    expect(answer).toBe(ref.answer);
    // every answered call was recorded exactly once: the same number as the uninterrupted run
    expect(totals.calls).toBe(refCalls);
    // calls paid in all = answered calls + calls lost in flight at the kills, and no more
    const lost = lostPerKill.reduce((a, b) => a + b, 0);
    expect(totals.lostCalls).toBe(lost);
    expect(totals.calls + totals.lostCalls).toBeLessThanOrEqual(refCalls + lost);
    expect(totals.replayedCalls).toBeGreaterThan(0);
    // runs show tells the user about the calls lost in flight
    const shown = await runInProcess(['runs', 'show', id!, '--store', 'crash.db'], { cwd });
    expect(shown.stdout).toMatch(
      new RegExp(`calls: ${refCalls} paid, \\d+ replayed${lost ? `, ${lost} lost in flight` : ';'}`),
    );
  }, 300_000);

  it('stops at the budget, then resumes with a larger budget to the same result', async () => {
    const cwd = tempDir();
    const args = [
      'net',
      'Write a limerick.',
      '--topology',
      'tree',
      '--agents',
      '30',
      '--model',
      'sim?seed=2',
      '--seed',
      '2',
    ];
    const reference = await runProcess([...args, '--store', 'ref.db', '--out', 'ref', '--json'], {
      cwd,
      env: cleanEnv(),
    });
    const ref = JSON.parse(reference.stdout) as { answer: string; totals: { calls: number } };
    const stopped = await runProcess([...args, '--budget-usd', '0.01', '--out', 'run', '--json'], {
      cwd,
      env: cleanEnv(),
    });
    expect(stopped.code).toBe(3);
    const stoppedDoc = JSON.parse(stopped.stdout) as { runId: string; status: string; totals: { costUsd: number } };
    expect(stoppedDoc.status).toBe('stopped-budget');
    // the stop message states what the run spent in the end, calls in flight at the stop included
    expect(stopped.stderr).toContain(
      `budget reached: spent $${stoppedDoc.totals.costUsd.toFixed(4)} of $0.0100; the next call would have crossed it`,
    );
    expect(stopped.stderr).toMatch(new RegExp(`crosstalk runs resume ${stoppedDoc.runId} --budget-usd`));
    const resumed = await runProcess(['runs', 'resume', stoppedDoc.runId, '--budget-usd', '5', '--json'], {
      cwd,
      env: cleanEnv(),
    });
    expect(resumed.code).toBe(0);
    const doc = JSON.parse(resumed.stdout) as {
      answer: string;
      status: string;
      totals: { calls: number; replayedCalls: number };
    };
    expect(doc.status).toBe('completed');
    expect(doc.answer).toBe(ref.answer);
    expect(doc.totals.calls).toBe(ref.totals.calls);
  });

  it('a dev run stopped by its budget resumes after the last finished phase and produces the same project', async () => {
    const cwd = tempDir();
    const reference = await runProcess(
      ['dev', 'a command-line todo app', '--model', 'sim', '--out', 'ref', '--store', 'ref.db'],
      { cwd, env: cleanEnv() },
    );
    expect(reference.code).toBe(0);
    const stopped = await runProcess(
      ['dev', 'a command-line todo app', '--model', 'sim', '--out', 'run', '--budget-usd', '0.003', '--json'],
      { cwd, env: cleanEnv() },
    );
    expect(stopped.code).toBe(3);
    const doc = JSON.parse(stopped.stdout) as { runId: string; phases: Array<{ name: string }> };
    expect(doc.phases.length).toBeGreaterThan(0);
    expect(doc.phases.length).toBeLessThan(8);
    const resumed = await runProcess(['runs', 'resume', doc.runId, '--budget-usd', '5', '--json'], {
      cwd,
      env: cleanEnv(),
    });
    expect(resumed.code).toBe(0);
    const after = JSON.parse(resumed.stdout) as { status: string; phases: Array<{ name: string }>; files: string[] };
    expect(after.status).toBe('completed');
    expect(after.phases.map((p) => p.name)).toEqual([
      'demand-analysis',
      'language-choice',
      'coding',
      'code-completion',
      'code-review',
      'testing',
      'environment-doc',
      'manual',
    ]);
    expect(resumed.stderr).toMatch(/phase\(s\) already done/);
    for (const file of ['main.py', 'store.py', 'README.md', 'requirements.txt']) {
      expect(readFileSync(join(cwd, 'run', file), 'utf8')).toBe(readFileSync(join(cwd, 'ref', file), 'utf8'));
    }
  });
});

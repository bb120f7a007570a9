import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/main.js';
import { cleanEnv, cliPath, runInProcess, runProcess, tempDir } from '../support/run-cli.js';

function scratch(): string {
  const dir = tempDir();
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('events and plans from the command line', () => {
  it('runs events --follow --json streams a running network from another process, one JSON object per line', async () => {
    const cwd = scratch();
    // slow enough model calls that the run lasts several seconds; the follower starts once the run is recorded
    const run = spawn(
      process.execPath,
      [
        cliPath,
        'net',
        'Write a fable.',
        '--topology',
        'layer',
        '--agents',
        '64',
        '--model',
        'sim?latency=150ms',
        '--concurrency',
        '64',
        '--store',
        'runs.db',
        '--out',
        'out',
      ],
      {
        cwd,
        env: cleanEnv(),
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let runEnded = Number.POSITIVE_INFINITY;
    const runExit = new Promise<number | null>((resolve) =>
      run.on('exit', (code) => ((runEnded = Date.now()), resolve(code))),
    );
    const id = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      run.stderr.on('data', (chunk) => {
        stderr += String(chunk);
        const match = /^run (\S+) \(net/m.exec(stderr);
        if (match) resolve(match[1]!);
      });
      run.on('exit', () => reject(new Error(`the run ended before it printed its id: ${stderr}`)));
    });

    const follower = spawn(
      process.execPath,
      [cliPath, 'runs', 'events', id, '--follow', '--json', '--store', 'runs.db'],
      { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const received: Array<{ event: { type: string; seq: number; step?: { kind: string; id: string } }; at: number }> =
      [];
    let buffer = '';
    follower.stdout.on('data', (chunk) => {
      buffer += String(chunk);
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) received.push({ event: JSON.parse(line), at: Date.now() });
    });
    const followerExit = await new Promise<number | null>((resolve) => follower.on('exit', resolve));
    expect(await runExit).toBe(0);
    expect(followerExit).toBe(0);
    expect(buffer).toBe('');

    const types = received.map((r) => r.event.type);
    expect(types[0]).toBe('run-started');
    expect(types.at(-1)).toBe('run-finished');
    const seqs = received.map((r) => r.event.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const nodesFinished = received.filter((r) => r.event.type === 'step-finished' && r.event.step?.kind === 'node');
    expect(new Set(nodesFinished.map((r) => r.event.step!.id)).size).toBe(64);
    // live, not replayed at the end: node events reached the follower while the run was still going
    expect(nodesFinished[0]!.at).toBeLessThan(runEnded);
  }, 120_000);

  it('--dry-run plans a 100-node mesh within 10 % of the calls and tokens the real run makes, calling no model', async () => {
    const cwd = scratch();
    const args = [
      'net',
      'Write a haiku about the sea.',
      '--topology',
      'mesh',
      '--agents',
      '100',
      '--model',
      'sim',
      '--concurrency',
      '64',
    ];
    const planned = await runInProcess([...args, '--dry-run', '--assume-latency', '2s', '--json'], { cwd });
    expect(planned.code).toBe(0);
    const plan = JSON.parse(planned.stdout) as {
      dryRun: boolean;
      estimate: {
        expected: { calls: number; inputTokens: number; outputTokens: number };
        makespan: { latencyMs: number; expectedMs: number };
      };
    };
    expect(plan.dryRun).toBe(true);
    expect(plan.estimate.makespan.latencyMs).toBe(2000);
    expect(plan.estimate.makespan.expectedMs).toBeGreaterThan(0);
    // nothing was run: no store was created
    const none = await runInProcess(['runs', 'list', '--json'], { cwd });
    expect(JSON.parse(none.stdout)).toMatchObject({ runs: [] });

    const real = await runProcess([...args, '--out', 'real', '--json'], { cwd, timeoutMs: 120_000 });
    expect(real.code).toBe(0);
    const totals = (JSON.parse(real.stdout) as { totals: { calls: number; inputTokens: number; outputTokens: number } })
      .totals;
    const within = (estimate: number, actual: number) => Math.abs(estimate - actual) / actual;
    expect(within(plan.estimate.expected.calls, totals.calls)).toBeLessThanOrEqual(0.1);
    expect(within(plan.estimate.expected.inputTokens, totals.inputTokens)).toBeLessThanOrEqual(0.1);
    expect(within(plan.estimate.expected.outputTokens, totals.outputTokens)).toBeLessThanOrEqual(0.1);
  }, 120_000);

  it('--dry-run prints human lines for dev, dev --teams and story', async () => {
    const cwd = scratch();
    for (const args of [
      ['dev', 'a todo app'],
      ['dev', 'a todo app', '--teams', '3'],
      ['story', 'a lighthouse keeper', '--teams', '2'],
    ]) {
      const result = await runInProcess([...args, '--model', 'sim', '--dry-run', '--assume-latency', '500ms'], { cwd });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^planned: ~?\d[\d,]* model calls/m);
      expect(result.stdout).toMatch(/makespan ≈ .* at 500 ms per call/);
    }
    const bad = await runInProcess(
      ['net', 'x', '--topology', 'chain', '--agents', '3', '--model', 'sim', '--dry-run', '--assume-latency', 'soon'],
      { cwd },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--assume-latency/);
  });

  it('asks on a terminal before a network of more than 2,000 planned calls, and starts nothing when told no', async () => {
    const cwd = scratch();
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const stderr = Object.assign(new PassThrough(), { isTTY: true });
    let shown = '';
    stderr.on('data', (chunk) => {
      shown += String(chunk);
      if (shown.includes('Run it? [y/N]')) stdin.write('n\n');
    });
    const args = ['net', 'Write a haiku.', '--topology', 'mesh', '--agents', '100', '--model', 'sim'];
    const code = await runCli(args, {
      cwd,
      env: cleanEnv(),
      stdout: new PassThrough(),
      stderr,
      stdin,
      signal: new AbortController().signal,
    });
    expect(code).toBe(0);
    expect(shown).toMatch(/^planned: 11,618 model calls/m);
    expect(shown).toContain('This network plans 11618 model calls. Run it? [y/N]');
    expect(shown).toContain('not started (pass --yes to skip this question)');
    const runs = await runInProcess(['runs', 'list', '--json'], { cwd });
    expect(JSON.parse(runs.stdout)).toMatchObject({ runs: [] });
  });
});

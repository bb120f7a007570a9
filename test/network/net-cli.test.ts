import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CodeMetrics } from '../../src/metrics/index.js';
import { detectSandbox } from '../../src/sandbox/index.js';
import { waitFor } from '../support/index.js';
import { cleanEnv, cliPath, runInProcess, runProcess, tempDir } from '../support/run-cli.js';

describe('crosstalk net and graph', () => {
  it('a code network writes the merged project and runs it in the sandbox', async () => {
    const cwd = tempDir();
    const result = await runInProcess(
      [
        'net',
        'a command-line todo app',
        '--topology',
        'tree',
        '--agents',
        '7',
        '--task-type',
        'code',
        '--model',
        'sim',
        '--out',
        'net',
        '--json',
      ],
      { cwd },
    );
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      code: { files: string[]; test: { outcome: string }; metrics: CodeMetrics };
      graph: { agents: number };
    };
    expect(doc.graph.agents).toBe(13);
    expect(doc.code.files).toEqual(expect.arrayContaining(['main.py']));
    expect(existsSync(join(cwd, 'net', 'project', 'main.py'))).toBe(true);
    expect(doc.code.test.outcome).toBe(detectSandbox().sandbox ? 'exited-ok' : 'not-run');
    // the answer's metrics, structured in --json: the answer's own run is reused, the fallback is labelled
    const ran = detectSandbox().sandbox ? 1 : null;
    expect(doc.code.metrics.executability).toMatchObject({ chatdev: ran, crosstalk: ran, entry: 'main.py' });
    expect(doc.code.metrics.consistency.method).toBe('tf-idf-fallback');
    expect(doc.code.metrics.quality.over).toContain('consistency');
  });

  it('answers repeated experiments from the store with --cache', async () => {
    const cwd = tempDir();
    const args = [
      'net',
      'Write a haiku.',
      '--topology',
      'random',
      '--agents',
      '20',
      '--model',
      'sim',
      '--cache',
      '--json',
    ];
    const first = JSON.parse((await runInProcess([...args, '--out', 'a'], { cwd })).stdout) as {
      totals: { calls: number; replayedCalls: number };
      answer: string;
    };
    const second = JSON.parse((await runInProcess([...args, '--out', 'b'], { cwd })).stdout) as {
      totals: { calls: number; replayedCalls: number };
      answer: string;
    };
    expect(first.totals.calls).toBeGreaterThan(0);
    expect(second.totals.calls).toBe(0);
    expect(second.totals.replayedCalls).toBe(first.totals.calls);
    expect(second.answer).toBe(first.answer);
  });

  it('stops on Ctrl-C with exit 130, keeps the work done, and resumes to completion', async () => {
    const cwd = tempDir();
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
        'sim?latency=30ms',
        '--out',
        'run',
      ],
      { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    // interrupt once the run is recorded and its first node is saved, however slow the machine is
    await waitFor(() => /^run \S+ \(net, [^)]*\): 60 nodes/m.test(stderr), 'the run to start');
    const runId = /^run (\S+) \(net/m.exec(stderr)![1]!;
    const nodesDone = async () => {
      const show = await runInProcess(['runs', 'show', runId, '--json'], { cwd });
      return show.code === 0 ? ((JSON.parse(show.stdout) as { steps: { done?: number } }).steps.done ?? 0) : 0;
    };
    await waitFor(async () => (await nodesDone()) >= 1, 'the first node to be saved', { everyMs: 20 });
    child.kill('SIGINT');
    const code = await exited;
    expect(code, stderr).toBe(130);
    const saved = /interrupted; (\d+) of 60 nodes are done and saved/.exec(stderr);
    expect(Number(saved?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(saved?.[1])).toBeLessThan(60);
    const id = /crosstalk runs resume (\S+)/.exec(stderr)?.[1];
    expect(id).toBe(runId);
    const resumed = await runProcess(['runs', 'resume', id!, '--json'], { cwd, env: cleanEnv(), timeoutMs: 60_000 });
    expect(resumed.code).toBe(0);
    const doc = JSON.parse(resumed.stdout) as { status: string; nodes: { done: number } };
    expect(doc).toMatchObject({ status: 'completed', nodes: { done: 60 } });
  });

  it('describes a graph and rejects a cyclic graph file with its cycle', async () => {
    const cwd = tempDir();
    const stats = await runInProcess(['graph', 'layer', '--n', '8', '--json'], { cwd });
    expect(JSON.parse(stats.stdout)).toMatchObject({
      ok: true,
      stats: { nodes: 8, edges: 15, depth: 3, widthPerLayer: [3, 3, 2] },
    });
    writeFileSync(join(cwd, 'loop.dot'), 'digraph { a -> b -> c -> a; }');
    const bad = await runInProcess(['net', 'x', '--topology', 'loop.dot', '--model', 'sim'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('crosstalk: graph has a cycle: a -> b -> c -> a');
    const missing = await runInProcess(['graph', 'nonsense'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/neither a topology .* nor an existing graph file/);
    const noN = await runInProcess(['graph', 'tree'], { cwd });
    expect(noN.stderr).toMatch(/needs a node count: pass --n N/);
    expect(readFileSync(join(cwd, 'loop.dot'), 'utf8')).toContain('a -> b');
  });

  it('runs critics on another model with --role-models, and rejects a malformed or unknown one', async () => {
    const cwd = tempDir();
    const ok = await runInProcess(
      [
        'net',
        'Write a haiku.',
        '--topology',
        'chain',
        '--agents',
        '3',
        '--model',
        'sim',
        '--role-models',
        'critic=sim:critic-model',
        '--out',
        'n',
        '--json',
      ],
      { cwd },
    );
    expect(ok.code).toBe(0);
    const doc = JSON.parse(ok.stdout) as {
      usage: { perModel: Record<string, { calls: number }>; perAgent: Record<string, { calls: number }> };
    };
    expect(Object.keys(doc.usage.perModel).sort()).toEqual(['sim', 'sim:critic-model']);
    // every critic call went to the critic's model
    expect(doc.usage.perModel['sim:critic-model']!.calls).toBe(doc.usage.perAgent.critic!.calls);
    const bad = await runInProcess(
      ['net', 'x', '--topology', 'chain', '--agents', '2', '--model', 'sim', '--role-models', 'critic'],
      { cwd },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/--role-models: 'critic' is not role=model/);
    const unknown = await runInProcess(
      ['net', 'x', '--topology', 'chain', '--agents', '2', '--model', 'sim', '--role-models', 'critic=nope:x'],
      { cwd },
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toMatch(/--role-models critic: unknown model 'nope:x'/);
  });
});

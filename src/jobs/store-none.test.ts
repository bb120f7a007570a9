import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { StoreError } from '../errors/index.js';
import { generateTopology } from '../graph/index.js';
import { resumeRun, runNetwork } from './api.js';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-none-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe("the library's store: 'none'", () => {
  it('runs and streams events with the same totals as a stored run, writes no file, and cannot be resumed', async () => {
    const cwd = tempDir();
    const graph = generateTopology('chain', { n: 6, seed: 1 });
    const options = { task: 'Write a fable.', graph, model: 'sim', seed: 1, cwd, env: {} };
    const handle = runNetwork({ ...options, store: 'none' });
    const finished: string[] = [];
    for await (const event of handle) if (event.type === 'step-finished') finished.push(event.step.id);
    const result = await handle.result;
    expect(result.status).toBe('completed');
    expect(finished).toEqual(expect.arrayContaining(['n0', 'n1', 'n2', 'n3', 'n4', 'n5']));
    expect(readdirSync(cwd)).toEqual([]);

    const stored = await runNetwork({ ...options, store: 'runs.db' }).result;
    expect(result.summary.totals).toMatchObject({
      calls: stored.summary.totals.calls,
      inputTokens: stored.summary.totals.inputTokens,
      outputTokens: stored.summary.totals.outputTokens,
      costUsd: stored.summary.totals.costUsd,
    });

    const resumed = resumeRun({ runId: result.runId, store: 'none', cwd, env: {} }).result;
    await expect(resumed).rejects.toThrow(StoreError);
    await expect(resumed).rejects.toThrow(/cannot be resumed from --store none, which keeps no runs/);
  });

  it('stops on abort without offering a resume it could not keep', async () => {
    const controller = new AbortController();
    const handle = runNetwork({
      task: 'Write a fable.',
      graph: generateTopology('chain', { n: 12, seed: 1 }),
      model: 'sim?latency=5ms',
      store: 'none',
      signal: controller.signal,
      cwd: tempDir(),
      env: {},
    });
    for await (const event of handle) if (event.type === 'step-finished' && event.step.id === 'n2') controller.abort();
    const stopped = await handle.result;
    expect(stopped.status).toBe('interrupted');
    expect(stopped.stopped?.reason).toBeDefined();
    expect(stopped.stopped?.resume).toBeUndefined();
  });
});

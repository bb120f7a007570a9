import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv, sweep, type SweepResult } from '../../src/eval/index.js';
import { resumeRun } from '../../src/jobs/api.js';
import { SqliteRunStore } from '../../src/store/index.js';
import { cleanEnv, tempDir } from '../support/run-cli.js';

/** Calls paid (journaled with an answer) over every run of a store. */
function paidIn(path: string): number {
  const store = new SqliteRunStore(path, { readOnly: true });
  try {
    return store.listRuns().reduce((sum, run) => sum + store.callTotals(run.id).calls, 0);
  } finally {
    store.close();
  }
}

const data = new URL('../../../shared/data', import.meta.url).pathname;

describe('sweep', () => {
  it('runs the grid, is interrupted and resumed without paying a call twice, and writes CSV, fits and plots', {
    timeout: 300_000,
  }, async () => {
    const dir = tempDir();
    const grid = { topologies: ['chain', 'star', 'mesh'] as const, agents: [1, 2, 4, 8] };
    const base = {
      dataset: 'commongen' as const,
      datasetPath: data,
      limit: 5,
      grid: { ...grid, topologies: [...grid.topologies] },
    };
    // the reference: the whole sweep in one go, in its own store
    const whole = await sweep({
      ...base,
      outDir: join(dir, 'whole'),
      run: { model: 'sim', store: join(dir, 'w.db'), env: cleanEnv() },
    });
    expect(whole.status).toBe('completed');
    const paidWhole = whole.rows.reduce((s, r) => s + r.calls, 0);

    const controller = new AbortController();
    let finished = 0;
    const first = await sweep({
      ...base,
      outDir: join(dir, 'sweep'),
      run: {
        model: 'sim',
        store: join(dir, 's.db'),
        env: cleanEnv(),
        signal: controller.signal,
        // stop inside the 6th cell (star ×4), after some of its steps finished
        onEvent: (e) => {
          if (e.type === 'step-finished' && ++finished === 40) controller.abort();
        },
      },
    });
    expect(first.status).toBe('interrupted');
    expect(first.rows.length).toBeLessThan(12);
    const paidFirst = JSON.parse(readFileSync(join(dir, 'sweep', 'results.json'), 'utf8')).rows.reduce(
      (s: number, r: { calls: number }) => s + r.calls,
      0,
    );
    const second = await sweep({
      ...base,
      outDir: join(dir, 'sweep'),
      run: { model: 'sim', store: join(dir, 's.db'), env: cleanEnv() },
    });
    expect(second.status).toBe('completed');
    expect(second.rows).toHaveLength(12);
    // every call journaled as paid, over both sessions, equals the uninterrupted sweep's: none was paid twice
    expect(paidIn(join(dir, 's.db'))).toBe(paidIn(join(dir, 'w.db')));
    expect(paidIn(join(dir, 'w.db'))).toBe(paidWhole);
    expect(second.rows.map((r) => r.quality)).toEqual(whole.rows.map((r) => r.quality));
    expect(paidFirst).toBeGreaterThan(0);

    const rows = parseCsv(readFileSync(join(dir, 'sweep', 'results.csv'), 'utf8'));
    expect(rows[0]).toEqual([
      'topology',
      'agents',
      'teams',
      'metric',
      'quality',
      'tasks',
      'answered',
      'status',
      'calls',
      'replayedCalls',
      'tokens',
      'replayedTokens',
      'costUsd',
      'replayedCostUsd',
      'tokensPerTask',
      'costPerTaskUsd',
      'durationMs',
      'model',
      'seed',
    ]);
    expect(rows.slice(1).map((r) => `${r[0]}×${r[1]}`)).toEqual(
      ['chain', 'star', 'mesh'].flatMap((t) => [1, 2, 4, 8].map((n) => `${t}×${n}`)),
    );
    for (const r of rows.slice(1)) {
      expect(r[3]).toBe('coverage');
      expect(Number(r[4])).toBeGreaterThanOrEqual(0);
      expect(r[5]).toBe('5');
      expect(r[17]).toBe('sim');
      // the per-task figures are computed from the row's own columns
      const [answered, tokens, replayedTokens, cost, replayedCost] = [6, 10, 11, 12, 13].map((i) => Number(r[i]));
      expect(Number(r[14])).toBe(Math.round((tokens! + replayedTokens!) / answered!));
      expect(Number(r[15])).toBeCloseTo((cost! + replayedCost!) / answered!, 12);
    }
    // cells share calls through the journal (chain ×1 and star ×1 are the same one-agent network): the calls
    // column is what each cell paid, so over the grid it adds up to what the store journaled as paid in the
    // uninterrupted sweep, and the shared cell still reports its tokens
    expect(whole.rows.reduce((s, r) => s + r.calls, 0)).toBe(paidIn(join(dir, 'w.db')));
    const shared = whole.rows.find((r) => r.topology === 'star' && r.agents === 1)!;
    expect(shared.calls).toBe(0);
    expect(shared.replayedTokens).toBeGreaterThan(0);
    expect(shared.tokensPerTask).toBe(whole.rows.find((r) => r.topology === 'chain' && r.agents === 1)!.tokensPerTask);
    // the sweep is one eval run of the store, completed, with a step per cell
    const store = new SqliteRunStore(join(dir, 's.db'), { readOnly: true });
    try {
      const sweeps = store.listRuns().filter((run) => run.kind === 'eval');
      expect(sweeps).toHaveLength(1);
      expect(sweeps[0]!.status).toBe('completed');
      expect(store.getSteps(sweeps[0]!.id).filter((step) => /^cell\/[^/]+$/.test(step.id))).toHaveLength(12);
    } finally {
      store.close();
    }
    // one fit per topology, one series per topology in the quality plot, PNGs rendered
    expect(Object.keys(second.fits).sort()).toEqual(['chain', 'mesh', 'star']);
    const svg = readFileSync(join(dir, 'sweep', 'quality.svg'), 'utf8');
    for (const topology of ['chain', 'star', 'mesh']) expect(svg).toContain(`>${topology}<`);
    expect(
      readFileSync(join(dir, 'sweep', 'quality.png'))
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    const report = readFileSync(join(dir, 'sweep', 'report.md'), 'utf8');
    expect(report).toMatch(/System check, not quality/);
    expect(report).toMatch(/## Recommendation\n\nThe cheapest configuration within 0\.02/);
  });

  it('is one eval run that runs resume continues by id, paying no call twice', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const base = {
      dataset: 'commongen' as const,
      datasetPath: data,
      limit: 2,
      grid: { topologies: ['chain' as const, 'mesh' as const], agents: [2, 3] },
    };
    const whole = await sweep({
      ...base,
      outDir: join(dir, 'whole'),
      run: { model: 'sim', store: join(dir, 'w.db'), env: cleanEnv() },
    });
    const controller = new AbortController();
    let cells = 0;
    const store = join(dir, 's.db');
    const first = await sweep({
      ...base,
      outDir: join(dir, 'sweep'),
      run: {
        model: 'sim',
        store,
        env: cleanEnv(),
        signal: controller.signal,
        // stop inside the third cell, after its first answered task
        onEvent: (e) => {
          if (e.type === 'step-finished' && e.step.kind === 'task' && ++cells === 5) controller.abort();
        },
      },
    });
    expect(first.status).toBe('interrupted');
    expect(first.runId).toBeDefined();
    const resumed = await resumeRun({ runId: first.runId!, store, env: cleanEnv() }).result;
    expect(resumed.kind).toBe('eval');
    expect(resumed.status).toBe('completed');
    const rows = (resumed.summary as unknown as SweepResult).rows;
    expect(rows.map((r) => r.quality)).toEqual(whole.rows.map((r) => r.quality));
    expect(paidIn(store)).toBe(paidIn(join(dir, 'w.db')));
    const report = readFileSync(join(dir, 'sweep', 'report.md'), 'utf8');
    expect(report).toContain(`; run ${first.runId}`);
    expect(report).toMatch(/^- dataset: commongen sha256:[0-9a-f]{12}, 2 of its \d+ tasks per cell, read from /m);
  });
});

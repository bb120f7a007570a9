import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv, sweep } from '../../src/eval/index.js';
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
      expect(r[13]).toBe('sim');
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
});

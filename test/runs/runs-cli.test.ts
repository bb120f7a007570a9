import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess, tempDir } from '../support/run-cli.js';

describe('crosstalk runs', () => {
  it('lists, shows, prints events, exports and removes a stored run', async () => {
    const cwd = tempDir();
    const net = JSON.parse(
      (
        await runInProcess(
          ['net', 'Write a haiku.', '--topology', 'tree', '--agents', '7', '--model', 'sim', '--out', 'n', '--json'],
          { cwd },
        )
      ).stdout,
    ) as { runId: string; totals: { calls: number } };

    const list = JSON.parse((await runInProcess(['runs', 'list', '--json'], { cwd })).stdout) as {
      runs: Array<{ id: string; kind: string; status: string; totals: { calls: number } }>;
    };
    expect(list.runs).toHaveLength(1);
    expect(list.runs[0]).toMatchObject({
      id: net.runId,
      kind: 'net',
      status: 'completed',
      totals: { calls: net.totals.calls },
    });
    const table = await runInProcess(['runs', 'list'], { cwd });
    expect(table.stdout).toMatch(
      new RegExp(`^ID +KIND +TASK +STATUS[\\s\\S]*${net.runId} +net +Write a haiku\\. +completed`, 'm'),
    );

    const show = JSON.parse((await runInProcess(['runs', 'show', net.runId, '--json'], { cwd })).stdout) as {
      steps: Record<string, number>;
      usage: { perAgent: Record<string, { calls: number }> };
    };
    expect(show.steps).toEqual({ done: 7 });
    expect(Object.keys(show.usage.perAgent).sort()).toEqual(['actor', 'aggregator', 'critic']);

    // --json prints one event per line (NDJSON)
    const lines = (await runInProcess(['runs', 'events', net.runId, '--json'], { cwd })).stdout.trim().split('\n');
    const events = lines.map(
      (line) => JSON.parse(line) as { type: string; runId: string; seq: number; step?: { kind: string; id: string } },
    );
    expect(events[0]).toMatchObject({ type: 'run-started', runId: net.runId, seq: 1, kind: 'net', resumed: false });
    // seven nodes, then the merge of the tree's four leaves as a step of its own
    expect(events.filter((e) => e.type === 'step-finished').map((e) => e.step?.kind)).toEqual([
      ...Array(7).fill('node'),
      'merge',
    ]);
    expect(events.find((e) => e.type === 'step-finished' && e.step?.kind === 'merge')).toMatchObject({
      step: { id: 'output', role: 'aggregator' },
      note: 'merged 4 sinks',
    });
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', status: 'completed' });

    const exported = await runInProcess(['runs', 'export', net.runId, '--out', 'exported'], { cwd });
    expect(exported.code).toBe(0);
    // the transcript names each call's node, role and model, with its prompt and reply
    const transcript = readFileSync(join(cwd, 'exported', 'transcript.md'), 'utf8');
    expect(transcript).toMatch(/^## n\d+ · critic \(sim\)$/m);
    expect(transcript).toMatch(
      /^## n0 · actor \(sim\)\n\n\*\*System\*\*\n\n> [\s\S]*?\*\*Prompt\*\*\n\n> [\s\S]*?\*\*Reply\*\*\n\n\S/m,
    );
    expect(existsSync(join(cwd, 'exported', 'artifacts', 'n0.txt'))).toBe(true);
    expect(JSON.parse(readFileSync(join(cwd, 'exported', 'run.json'), 'utf8')).run.id).toBe(net.runId);

    expect((await runInProcess(['runs', 'rm', net.runId], { cwd })).code).toBe(0);
    const after = JSON.parse((await runInProcess(['runs', 'list', '--json'], { cwd })).stdout) as { runs: unknown[] };
    expect(after.runs).toEqual([]);
    const gone = await runInProcess(['runs', 'show', net.runId], { cwd });
    expect(gone.code).toBe(2);
    expect(gone.stderr.trim()).toMatch(/^crosstalk: no run '.*' in .*runs\.db \(see 'crosstalk runs list'\)$/);
  });

  it('refuses to resume a completed run and reports a corrupt store in one line', async () => {
    const cwd = tempDir();
    const net = JSON.parse(
      (
        await runInProcess(
          ['net', 'x', '--topology', 'chain', '--agents', '2', '--model', 'sim', '--out', 'n', '--json'],
          { cwd },
        )
      ).stdout,
    ) as { runId: string };
    const again = await runInProcess(['runs', 'resume', net.runId], { cwd });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already completed; nothing to resume/);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(cwd, 'bad.db'), 'not a database '.repeat(300));
    const corrupt = await runInProcess(['runs', 'list', '--store', 'bad.db'], { cwd });
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr.trim().split('\n')).toHaveLength(1);
    expect(corrupt.stderr).toMatch(/is not a crosstalk store or is corrupt/);
  });
});

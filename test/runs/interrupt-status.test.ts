import { describe, expect, it } from 'vitest';
import { runInProcess, tempDir } from '../support/run-cli.js';

describe('an interrupted job leaves a resumable run', () => {
  it('dev --teams stopped by Ctrl-C is recorded as interrupted, says how to resume, and resumes to completion', async () => {
    const cwd = tempDir();
    const controller = new AbortController();
    const stopped = await runInProcess(
      [
        'dev',
        'a calculator',
        '--teams',
        '3',
        '--model',
        'sim?latency=30ms',
        '--out',
        'd',
        '--unsafe-no-sandbox',
        '--json',
      ],
      {
        cwd,
        signal: controller.signal,
        // Ctrl-C once the first decision is made: the run is recorded, part done and far from finished
        onStderr: (soFar) => {
          if (/^◆ coding: /m.test(soFar)) controller.abort();
        },
      },
    );
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(/^◆ coding: /m);
    expect(stopped.stderr).not.toMatch(/^◆ final: /m);
    const summary = JSON.parse(stopped.stdout) as { runId: string; status: string };
    expect(summary.status).toBe('interrupted');
    expect(stopped.stderr).toContain(`Resume with: crosstalk runs resume ${summary.runId}`);
    const list = JSON.parse((await runInProcess(['runs', 'list', '--json'], { cwd })).stdout) as {
      runs: Array<{ id: string; status: string }>;
    };
    expect(list.runs).toEqual([expect.objectContaining({ id: summary.runId, status: 'interrupted' })]);

    const resumed = await runInProcess(['runs', 'resume', summary.runId, '--json'], { cwd });
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ runId: summary.runId, status: 'completed' });
  });
});

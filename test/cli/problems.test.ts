import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAIServer, type FakeServer } from '../support/index.js';
import { runInProcess, tempDir } from '../support/run-cli.js';

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('no silent success', () => {
  it('a choice network whose answer has no letter, or a code network whose answer has no files, ends completed-with-problems (exit 4)', async () => {
    server = await startFakeOpenAIServer({ reply: () => 'I would rather not say.' });
    const cwd = tempDir();
    const model = `compatible:${server.url}#undecided`;
    for (const [taskType, problem] of [
      ['choice', 'no answer letter (A–J) found in the answer'],
      ['code', 'the code answer holds no files'],
    ] as const) {
      const result = await runInProcess(
        [
          'net',
          'Which is right? (A) yes (B) no',
          '--topology',
          'chain',
          '--agents',
          '2',
          '--task-type',
          taskType,
          '--model',
          model,
          '--out',
          taskType,
          '--json',
        ],
        { cwd },
      );
      expect(result.code, result.stderr).toBe(4);
      expect(result.stderr).toContain(`crosstalk: problem: ${problem}`);
      const doc = JSON.parse(result.stdout) as { ok: boolean; status: string; problems: string[] };
      expect(doc).toMatchObject({ ok: false, status: 'completed-with-problems', problems: [problem] });
      expect(JSON.parse(readFileSync(join(cwd, taskType, 'crosstalk-run.json'), 'utf8')).problems).toEqual([problem]);
    }
    // such a run is finished: there is nothing to resume
    const listed = JSON.parse((await runInProcess(['runs', 'list', '--json'], { cwd })).stdout) as {
      runs: Array<{ id: string; status: string }>;
    };
    expect(listed.runs.map((r) => r.status)).toEqual(['completed-with-problems', 'completed-with-problems']);
    const again = await runInProcess(['runs', 'resume', listed.runs[0]!.id, '--json'], { cwd });
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: false, error: { code: 'RUN_COMPLETED' } });
  });

  it('a plain sim run has no problems and exits 0', async () => {
    const cwd = tempDir();
    const result = await runInProcess(['dev', 'a command-line todo app', '--model', 'sim', '--out', 'p', '--json'], {
      cwd,
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'completed', problems: [] });
  });
});

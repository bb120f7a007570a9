import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { simulateReply } from '../../src/model/sim/index.js';
import { startFakeOpenAIServer } from '../support/index.js';
import { cleanEnv, runInProcess, tempDir } from '../support/run-cli.js';

const controls = /[\x00-\x08\x0b-\x1f\x7f]/;

function workDir(): string {
  const cwd = tempDir();
  onTestFinished(() => rmSync(cwd, { recursive: true, force: true }));
  return cwd;
}

describe('names chosen by a model never reach the terminal as control characters', () => {
  it('escapes a refused file name in dev output, and keeps it exact in --json', { timeout: 120_000 }, async () => {
    const hostile = 'evil\x1b]0;owned\x07\x1b[2J.py';
    const coding = `main.py\n\`\`\`python\nprint("hi")\n\`\`\`\n\n${hostile}\n\`\`\`python\nprint("x")\n\`\`\`\n`;
    const server = await startFakeOpenAIServer({
      reply: (r) =>
        r.messages.some((m) => m.content.includes('Write the complete program.'))
          ? coding
          : simulateReply({ messages: r.messages, seed: 0, modelId: r.model }),
    });
    onTestFinished(() => server.close());
    const model = `compatible:${server.url}#fake-model`;
    const human = await runInProcess(['dev', 'a todo app', '--model', model, '--language', 'Python', '--out', 'out'], {
      cwd: workDir(),
      env: cleanEnv(),
    });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('refused 1 unsafe file name(s): evil\\x1b]0;owned\\x07\\x1b[2J.py');
    expect(human.stdout + human.stderr).not.toMatch(controls);
    const json = await runInProcess(
      ['dev', 'a todo app', '--model', model, '--language', 'Python', '--out', 'out', '--json'],
      { cwd: workDir(), env: cleanEnv() },
    );
    const doc = JSON.parse(json.stdout) as { refusedFiles: Array<{ path: string }> };
    expect(doc.refusedFiles.map((r) => r.path)).toContain(hostile);
  });

  it('escapes node ids from a graph file in error messages', async () => {
    const cwd = workDir();
    writeFileSync(
      join(cwd, 'g.json'),
      JSON.stringify({
        nodes: [{ id: 'a\x1b[31m' }, { id: 'b\x07' }],
        edges: [
          { from: 'a\x1b[31m', to: 'b\x07' },
          { from: 'b\x07', to: 'a\x1b[31m' },
        ],
      }),
    );
    const result = await runInProcess(['graph', 'g.json'], { cwd, env: cleanEnv() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^crosstalk: .*a\\x1b\[31m.*\n$/);
    expect(result.stderr).not.toMatch(controls);
  });
});

import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { simulateReply } from '../../src/model/sim/index.js';
import { startFakeOpenAIServer } from '../support/index.js';
import { cleanEnv, runInProcess, tempDir } from '../support/run-cli.js';

/** A coding reply holding one 50 MB file. */
const hugeReply = `main.py\n\`\`\`python\n${'x = 1\n'.repeat(Math.ceil((50 * 1024 * 1024) / 6))}\`\`\`\n`;

function storeBytes(cwd: string): number {
  const dir = join(cwd, '.crosstalk');
  return readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

describe('size caps on model output', () => {
  it('stops a dev run whose model writes a 50 MB file at the reply cap, resumably, with a small store', {
    timeout: 180_000,
  }, async () => {
    const server = await startFakeOpenAIServer({
      // ordinary simulated replies, except that the coding phase gets the huge file
      reply: (r) =>
        r.messages.some((m) => m.content.includes('Write the complete program.'))
          ? hugeReply
          : simulateReply({ messages: r.messages, seed: 0, modelId: r.model }),
    });
    onTestFinished(() => server.close());
    const cwd = tempDir();
    onTestFinished(() => rmSync(cwd, { recursive: true, force: true }));
    const result = await runInProcess(
      ['dev', 'a command-line todo app', '--model', `compatible:${server.url}#fake-model`, '--language', 'Python'],
      { cwd, env: cleanEnv() },
    );
    expect(result.code).toBe(1);
    const errorLines = result.stderr.split('\n').filter((l) => l.includes('maxReplyChars'));
    expect(errorLines.length).toBeGreaterThan(0);
    const ending = errorLines.at(-1)!;
    expect(ending).toMatch(
      /^crosstalk: coding: the model reply has [\d,]+ characters, over limits\.maxReplyChars \(2,000,000\).*Resume with: crosstalk runs resume \S+/,
    );
    // the reply was never journaled nor sent again: the store stays small
    expect(storeBytes(cwd)).toBeLessThan(4 * 1024 * 1024);
    expect(server.stats.log.filter((l) => l.promptKey.length > 1_000_000)).toEqual([]);
  });

  it('stops at limits.maxFileChars from crosstalk.config.yaml when the reply is allowed but a file is not', {
    timeout: 120_000,
  }, async () => {
    const bigFile = `main.py\n\`\`\`python\n${'y = 2\n'.repeat(50_000)}\`\`\`\n`;
    const server = await startFakeOpenAIServer({
      reply: (r) =>
        r.messages.some((m) => m.content.includes('Write the complete program.'))
          ? bigFile
          : simulateReply({ messages: r.messages, seed: 0, modelId: r.model }),
    });
    onTestFinished(() => server.close());
    const cwd = tempDir();
    onTestFinished(() => rmSync(cwd, { recursive: true, force: true }));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(cwd, 'crosstalk.config.yaml'), 'limits:\n  maxFileChars: 100000\n');
    const result = await runInProcess(
      ['dev', 'a todo app', '--model', `compatible:${server.url}#fake-model`, '--language', 'Python', '--json'],
      { cwd, env: cleanEnv() },
    );
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout) as { status: string; error: string; phases: Array<{ name: string }> };
    expect(doc.status).toBe('failed');
    expect(doc.error).toMatch(/^coding: file "main.py" has 299,999 characters, over limits\.maxFileChars \(100,000\)/);
    // the coding phase is not saved: a resume redoes it
    expect(doc.phases.map((p) => p.name)).not.toContain('coding');
  });
});

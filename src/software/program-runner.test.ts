import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createProgramRunner } from './program-runner.js';

const probe = createProgramRunner();

function parentDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-runner-test-'));
  onTestFinished(() => {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

// 10,000 levels: deeper than fs.rmSync's recursion survives (about 3,000) and than PATH_MAX (paths of 20,000
// characters); see src/common/remove-tree.test.ts for why not 200,000 here.
const deepTree = `import os
for _ in range(10000):
    os.mkdir('d')
    os.chdir('d')
print('deep')
`;

describe.runIf(probe.run !== undefined)(`program runner (${probe.kind ?? 'no sandbox'})`, () => {
  it('removes a workspace holding a tree deeper than the stack and reports the run', { timeout: 300_000 }, async () => {
    const parent = parentDir();
    const runner = createProgramRunner({ workspaceParent: parent, timeoutMs: 120_000 });
    const outcome = await runner.run!({ 'main.py': deepTree }, 'main.py', 'Python');
    expect(outcome.outcome).toBe('exited-ok');
    expect(outcome.output).toContain('deep');
    expect(outcome.rule).not.toMatch(/not removed/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('reports a workspace it could not remove in the outcome instead of throwing', { timeout: 120_000 }, async () => {
    const parent = parentDir();
    const runner = createProgramRunner({ workspaceParent: parent, timeoutMs: 60_000, cleanupTimeoutMs: -1 });
    const outcome = await runner.run!(
      { 'main.py': "import os\nos.makedirs('a/b/c')\nprint('made')\n" },
      'main.py',
      'Python',
    );
    expect(outcome.outcome).toBe('exited-ok');
    expect(outcome.rule).toMatch(/workspace .*crosstalk-run-.* was not removed: gave up after -1 ms/);
  });
});

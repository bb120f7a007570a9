import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { removeTree } from '../common/index.js';
import { sandboxFromEnv } from '../sandbox/index.js';
import { createProgramRunner } from './program-runner.js';

// every sandbox this machine has (or only the one CROSSTALK_SANDBOX names), each tested on its own
const chosen = sandboxFromEnv();
const runners = (['bwrap', 'unshare'] as const)
  .filter((kind) => chosen === undefined || chosen === kind)
  .map((kind) => ({ kind, probe: createProgramRunner({ sandbox: kind }) }));
const available = runners.filter((r) => r.probe.run !== undefined).map((r) => r.kind);
for (const r of runners.filter((r) => r.probe.run === undefined))
  describe.skip(`program runner (${r.kind}) skipped: ${r.probe.reason}`, () => {
    it('runs programs', () => {});
  });

function parentDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-runner-test-'));
  // iterative: a leftover deep tree would overflow fs.rmSync's recursion
  onTestFinished(() => {
    if (existsSync(dir)) removeTree(dir, { timeoutMs: 900_000 });
  });
  return dir;
}

// 10,000 levels: deeper than fs.rmSync's recursion survives (about 3,000) and than PATH_MAX (paths of 20,000
// characters); see src/common/remove-tree.test.ts for why not 200,000 here (CROSSTALK_DEEP_TREE_DEPTH=200000 runs it).
const depth = Number(process.env.CROSSTALK_DEEP_TREE_DEPTH ?? 10_000);
const deepTree = `import os
for _ in range(${depth}):
    os.mkdir('d')
    os.chdir('d')
print('deep')
`;

describe.each(available)('program runner (%s)', (kind) => {
  it('removes a workspace holding a tree deeper than the stack and reports the run', { timeout: 900_000 }, async () => {
    const parent = parentDir();
    // removal takes ~2 ms a level on a slow disk: the default 60 s bound suits the default depth only
    const cleanupTimeoutMs = depth > 10_000 ? 900_000 : 60_000;
    const runner = createProgramRunner({
      sandbox: kind,
      workspaceParent: parent,
      timeoutMs: 120_000,
      cleanupTimeoutMs,
    });
    const outcome = await runner.run!({ 'main.py': deepTree }, 'main.py', 'Python');
    expect(outcome.rule).not.toMatch(/not removed/);
    const containment = `${kind} \\(memory: (cgroup-v[12]|rlimit), .*; seccomp\\)`;
    if (depth <= 10_000) {
      expect(outcome.outcome).toBe('exited-ok');
      expect(outcome.output).toContain('deep');
      // the run's record says which sandbox ran it and how its total memory was bounded
      expect(outcome.rule).toMatch(new RegExp(`^exit-code, ${containment}$`));
    } else {
      // 200,000 directories take ~800 MB: the disk watchdog (256 MiB) may stop the program first
      expect(outcome.rule).toMatch(new RegExp(`^(exit-code|limit \\(disk limit\\)), ${containment}$`));
    }
    expect(readdirSync(parent)).toEqual([]);
  });

  it('reports a workspace it could not remove in the outcome instead of throwing', { timeout: 120_000 }, async () => {
    const parent = parentDir();
    const runner = createProgramRunner({
      sandbox: kind,
      workspaceParent: parent,
      timeoutMs: 60_000,
      cleanupTimeoutMs: -1,
    });
    const outcome = await runner.run!(
      { 'main.py': "import os\nos.makedirs('a/b/c')\nprint('made')\n" },
      'main.py',
      'Python',
    );
    expect(outcome.outcome).toBe('exited-ok');
    expect(outcome.rule).toMatch(/workspace .*crosstalk-run-.* was not removed: gave up after -1 ms/);
  });
});

import { describe, expect, it } from 'vitest';
import { checkHumanEval, harnessChecks, humanEvalScores, loadHumanEval } from '../../src/eval/index.js';
import { detectSandbox } from '../../src/sandbox/index.js';

// The harness validates itself on the real dataset: if these three do not hold, no pass@k it prints can be trusted.
const problems = loadHumanEval(new URL('../../../shared/data/humaneval/HumanEval.jsonl.gz', import.meta.url).pathname);
const { sandbox, reason } = detectSandbox();

describe.skipIf(!sandbox)(`HumanEval harness in the sandbox${sandbox ? '' : ` (skipped: ${reason})`}`, () => {
  it('reads all 164 problems', () => {
    expect(problems).toHaveLength(164);
    expect(new Set(problems.map((p) => p.task_id)).size).toBe(164);
  });

  for (const [name, expected] of [
    ['canonical', 164],
    ['empty', 0],
    ['wrong', 0],
  ] as const) {
    it(`scores the ${name} solutions ${expected}/164`, { timeout: 600_000 }, async () => {
      const make = harnessChecks[name];
      const checks = await checkHumanEval(problems, new Map(problems.map((p) => [p.task_id, [make(p)]])), {
        sandbox: sandbox!,
        concurrency: 2,
        timeoutMs: 20_000,
      });
      expect(checks).toHaveLength(164);
      const passed = checks.filter((c) => c.passed).map((c) => c.taskId);
      if (expected === 164) expect(checks.filter((c) => !c.passed).map((c) => `${c.taskId}: ${c.detail}`)).toEqual([]);
      else expect(passed).toEqual([]);
      expect(humanEvalScores(checks).passAtK['pass@1']).toBe(expected / 164);
    });
  }
});

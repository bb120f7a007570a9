import { describe, expect, it } from 'vitest';
import type { TestOutcome } from '../software/chain.js';
import { createProgramRunner } from '../software/program-runner.js';
import {
  completeProject,
  crashingProject,
  crashingScriptProject,
  guiLikeProject,
  quietFailureProject,
  serverProject,
  stubProject,
  type HandMadeProject,
} from './hand-made-projects.js';
import { measureCode } from './measure.js';

const probe = createProgramRunner();

// Every metric of each hand-made project, run in the sandbox as the chain runs programs. The programs that keep
// running (a GUI-like event loop, a server on 127.0.0.1) are still running when the sandbox's time limit ends
// them: both rules count that as executable. Consistency is the TF-IDF fallback (no embedding model here).
describe.runIf(probe.run !== undefined)(`metrics of hand-made projects (${probe.kind ?? 'no sandbox'})`, () => {
  const runner = createProgramRunner({ timeoutMs: 3000 });
  let last: TestOutcome | undefined;
  const measure = (project: HandMadeProject) =>
    measureCode({
      task: project.task,
      files: project.files,
      runProgram: async (...args) => (last = await runner.run!(...args)),
    });

  it('a complete, runnable project passes every rule', { timeout: 60_000 }, async () => {
    const m = await measure(completeProject);
    expect(m.executability.outcome).toBe('exited-ok');
    expect([m.completeness.chatdev, m.completeness.crosstalk]).toEqual([1, 1]);
    expect([m.executability.chatdev, m.executability.crosstalk]).toEqual([1, 1]);
    expect(m.consistency).toMatchObject({ value: 0.342, method: 'tf-idf-fallback' });
    // product 1 × 1 × 0.342; mean (1 + 1 + 0.342) / 3
    expect(m.quality).toEqual({
      product: 0.342,
      mean: 0.781,
      over: ['completeness', 'executability', 'consistency'],
    });
  });

  it('a project with pass and TODO stubs runs but is incomplete under both rules', { timeout: 60_000 }, async () => {
    const m = await measure(stubProject);
    expect(m.completeness).toEqual({
      chatdev: 0,
      crosstalk: 0,
      chatdevLines: ['main.py:9', 'main.py:13'],
      placeholders: ['main.py: function remove_task', 'main.py: TODO on line 13'],
    });
    expect([m.executability.chatdev, m.executability.crosstalk]).toEqual([1, 1]);
    expect(m.consistency.value).toBe(0.44);
    // product 0 × 1 × 0.44; mean (0 + 1 + 0.44) / 3
    expect([m.quality.product, m.quality.mean]).toEqual([0, 0.48]);
  });

  it('a project that crashes with a traceback fails both executability rules', { timeout: 60_000 }, async () => {
    const m = await measure(crashingProject);
    expect(m.executability).toMatchObject({ chatdev: 0, crosstalk: 0, outcome: 'exited-error', entry: 'main.py' });
    expect(m.executability.reason).toMatch(/^chatdev: the output holds an error trace; crosstalk: exit status 1/);
    expect([m.completeness.chatdev, m.completeness.crosstalk]).toEqual([1, 1]);
    expect(m.consistency.value).toBe(0.42);
    // product 1 × 0 × 0.42; mean (1 + 0 + 0.42) / 3
    expect([m.quality.product, m.quality.mean]).toEqual([0, 0.473]);
  });

  it('a JavaScript program that crashes fails both rules: the Node.js stack stands for the traceback', {
    timeout: 60_000,
  }, async () => {
    const m = await measure(crashingScriptProject);
    expect(last?.output).toContain('ReferenceError: applyDiscount is not defined');
    expect(m.executability).toMatchObject({ chatdev: 0, crosstalk: 0, outcome: 'exited-error', entry: 'main.js' });
    expect([m.completeness.chatdev, m.completeness.crosstalk]).toEqual([1, 1]);
  });

  it('a non-zero exit without a traceback passes ChatDev’s rule and fails the exit-code rule', {
    timeout: 60_000,
  }, async () => {
    const m = await measure(quietFailureProject);
    expect(m.executability).toMatchObject({ chatdev: 1, crosstalk: 0, outcome: 'exited-error' });
    expect(m.executability.reason).toMatch(/^crosstalk: exit status 2/);
    expect(m.consistency.value).toBe(0.249);
    // quality follows ChatDev's rules: 1 × 1 × 0.249 and (1 + 1 + 0.249) / 3
    expect([m.quality.product, m.quality.mean]).toEqual([0.249, 0.75]);
  });

  it('a GUI-like program still running at the time limit is executable under both rules', {
    timeout: 60_000,
  }, async () => {
    const m = await measure(guiLikeProject);
    expect(last?.output).toContain('stopwatch window opened');
    expect(m.executability).toMatchObject({ chatdev: 1, crosstalk: 1, outcome: 'timeout-running' });
    expect(m.executability.reason).toBeUndefined();
    expect([m.completeness.chatdev, m.completeness.crosstalk]).toEqual([1, 1]);
    expect(m.consistency.value).toBe(0.383);
    expect([m.quality.product, m.quality.mean]).toEqual([0.383, 0.794]);
  });

  it('a server listening on 127.0.0.1 is executable under both rules', { timeout: 60_000 }, async () => {
    const m = await measure(serverProject);
    expect(last?.output).toMatch(/listening on 127\.0\.0\.1 port \d+/);
    expect(m.executability).toMatchObject({ chatdev: 1, crosstalk: 1, outcome: 'timeout-running' });
    expect([m.completeness.chatdev, m.completeness.crosstalk]).toEqual([1, 1]);
    expect(m.consistency.value).toBe(0.231);
    expect([m.quality.product, m.quality.mean]).toEqual([0.231, 0.744]);
  });
});

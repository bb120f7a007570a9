import { describe, expect, it } from 'vitest';
import type { RoundReport } from '../agents/self-correct.js';
import { defaultRoles } from '../agents/roles.js';
import { scriptedModel } from '../testing/scripted-model.js';
import { executeChain, type ProgramRunner, type TestOutcome } from './chain.js';
import { resolvePhases } from './phases.js';
import { createProgramRunner } from './program-runner.js';
import { codebaseChecks, codeSelfCorrection, pythonCheckFile } from './self-check.js';

const ok: TestOutcome = { outcome: 'exited-ok', rule: 'exit-code', exitCode: 0, output: '', durationMs: 1 };
const failed = (output: string): TestOutcome => ({ ...ok, outcome: 'exited-error', exitCode: 1, output });

/** A runner standing in for the sandbox: the syntax check fails for files holding `def broken(:`. */
function fakeRunner(): ProgramRunner & { entries: string[] } {
  const entries: string[] = [];
  const run = async (files: Record<string, string>, entry: string) => {
    entries.push(entry);
    const bad = Object.entries(files).find(([p, text]) => p !== pythonCheckFile && text.includes('def broken(:'));
    if (entry === pythonCheckFile && bad) return failed(`  File "${bad[0]}", line 1\nSyntaxError: invalid syntax`);
    return ok;
  };
  return Object.assign(run, { entries });
}

const code = (body: string) => `main.py\n\`\`\`python\n${body}\n\`\`\`\n`;
const critique = (score: number) =>
  `\`\`\`json\n{"score": ${score}, "problems": ["p${score}"], "rationale": "r"}\n\`\`\``;

describe('codebaseChecks', () => {
  it('fails a JavaScript file that does not parse, and passes one that does, without running anything', async () => {
    const check = codebaseChecks({ language: 'JavaScript' });
    expect(await check({ 'main.js': 'const x = require("fs");\nconsole.log(x)\n' })).toEqual([
      { name: 'syntax (acorn)', passed: true },
    ]);
    const [result] = await check({ 'main.js': 'function (\n' });
    expect(result).toMatchObject({
      name: 'syntax (acorn)',
      passed: false,
      detail: expect.stringMatching(/^main\.js: /),
    });
  });

  const real = createProgramRunner();
  it.runIf(real.run !== undefined)(`compiles Python with py_compile in the sandbox (${real.reason})`, async () => {
    const check = codebaseChecks({ language: 'Python', runProgram: real.run!, run: false });
    expect(await check({ 'main.py': 'print("hello")\n', 'util.py': 'def f(x):\n    return x\n' })).toEqual([
      { name: 'py_compile', passed: true },
    ]);
    const [broken] = await check({ 'main.py': 'print("hello")\n', 'util.py': 'def f(x:\n    return x\n' });
    expect(broken).toMatchObject({
      name: 'py_compile',
      passed: false,
      detail: expect.stringMatching(/SyntaxError|never closed|invalid/),
    });
  });

  it('fails the sandbox run of a program that crashes', async () => {
    const check = codebaseChecks({
      language: 'Python',
      runProgram: async (_f, entry) => (entry === 'main.py' ? failed('Traceback: boom') : ok),
    });
    expect(await check({ 'main.py': 'raise SystemExit(1)\n' })).toEqual([
      { name: 'py_compile', passed: true },
      { name: 'sandbox run', passed: false, detail: expect.stringMatching(/exited-error .*boom/) },
    ]);
  });
});

describe('self-correction after coding, in the chain', () => {
  it('rejects code that does not compile although the critic praises it, and keeps the refined version', async () => {
    const programmer = scriptedModel([code('def broken(:\n    pass'), code('print("fixed")')]);
    // the critic would give the broken code 10: it is never asked about it
    const critic = scriptedModel([critique(9)]);
    const runner = fakeRunner();
    const rounds: RoundReport[] = [];
    const result = await executeChain({
      task: 'say hello',
      phases: resolvePhases([{ name: 'coding' }]),
      roles: defaultRoles,
      model: () => programmer.model,
      language: 'Python',
      runProgram: runner,
      selfCorrect: codeSelfCorrection({
        task: 'say hello',
        author: programmer.model,
        critic: critic.model,
        runProgram: runner,
        rounds: 3,
        threshold: 8,
        onRound: (_hook, _scope, r) => rounds.push(r),
      }),
    });
    expect(result.files['main.py']).toBe('print("fixed")\n');
    expect(rounds.map((r) => [r.round, r.score, r.rejected])).toEqual([
      [1, 0, true],
      [2, 9, false],
    ]);
    expect(rounds[0]?.problems[0]).toMatch(/^py_compile failed: SyntaxError/);
    expect(rounds[1]?.stop).toEqual({ by: 'threshold', chosenRound: 2 });
    expect(critic.calls).toHaveLength(1);
    // the refinement request showed the failed check
    expect(JSON.stringify(programmer.calls[1]?.prompt)).toContain('py_compile failed');
  });

  it('keeps the phase code when a refinement scores lower (no improvement)', async () => {
    const programmer = scriptedModel([code('print(1)'), code('print(2)')]);
    const critic = scriptedModel([critique(6), critique(4)]);
    const rounds: RoundReport[] = [];
    const result = await executeChain({
      task: 'print a number',
      phases: resolvePhases([{ name: 'coding' }]),
      roles: defaultRoles,
      model: () => programmer.model,
      language: 'Python',
      selfCorrect: codeSelfCorrection({
        task: 'print a number',
        author: programmer.model,
        critic: critic.model,
        rounds: 4,
        threshold: 8,
        onRound: (_hook, _scope, r) => rounds.push(r),
      }),
    });
    expect(result.files['main.py']).toBe('print(1)\n');
    expect(rounds.at(-1)?.stop).toEqual({ by: 'no-improvement', chosenRound: 1 });
    expect(result.phases[0]?.changed).toEqual(['main.py']);
  });
});

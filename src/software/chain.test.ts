import type { LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { defaultRoles } from '../agents/index.js';
import { scriptedModel } from '../testing/index.js';
import { executeChain, nextUnfinishedFile, type TestOutcome } from './chain.js';
import { defaultPhases, resolvePhases } from './phases.js';

/** The last user message of a call, and the system prompt (which names the role). */
function prompt(call: LanguageModelV3CallOptions): { system: string; user: string } {
  const text = (role: string) =>
    call.prompt
      .filter((m) => m.role === role)
      .map((m) =>
        typeof m.content === 'string' ? m.content : m.content.map((p) => ('text' in p ? p.text : '')).join(''),
      )
      .at(-1) ?? '';
  return { system: text('system'), user: text('user') };
}

const file = (name: string, body: string) => `${name}\n\`\`\`python\n${body}\`\`\`\n`;
const stub = (fn: string) => `def ${fn}():\n    pass\n`;
const done = (fn: string) => `def ${fn}():\n    return 1\n`;

describe('the chain as ChatDev runs it', () => {
  it('defaults to ChatDev’s limits: 10 dialogue turns, 10 completion cycles, 3 review and 3 test cycles', () => {
    expect(defaultPhases.map((p) => [p.name, p.maxTurns, p.rounds])).toEqual([
      ['demand-analysis', 10, 1],
      ['language-choice', 10, 1],
      ['coding', 1, 1],
      ['code-completion', 1, 10],
      ['code-review', 1, 3],
      ['testing', 1, 3],
      ['environment-doc', 1, 1],
      ['manual', 1, 1],
    ]);
  });

  it('completes one unfinished file per cycle, moving on after 5 tries, then the tester speaks before each fix', async () => {
    const traceback =
      'Traceback (most recent call last):\n  File "main.py", line 3\nNameError: name \'x\' is not defined';
    const script = [
      // coding: two files with a stub each
      `${file('main.py', 'from a import f\nfrom b import g\nprint(f(), g())\n')}${file('a.py', stub('f'))}${file('b.py', stub('g'))}`,
      // completion cycle 1 finishes a.py; cycles 2–6 return b.py still unfinished
      file('a.py', done('f')),
      ...Array<string>(5).fill(file('b.py', stub('g'))),
      // testing: the tester summarizes, then the programmer fixes
      'The program stops at main.py line 3: the name x is used before it is defined.',
      file('main.py', 'from a import f\nprint(f())\n'),
    ];
    const scripted = scriptedModel(script);
    const runs: TestOutcome[] = [
      { outcome: 'exited-error', rule: 'exit-code', exitCode: 1, output: traceback, durationMs: 5 },
      { outcome: 'exited-ok', rule: 'exit-code', exitCode: 0, output: '1', durationMs: 5 },
    ];
    let run = 0;
    const result = await executeChain({
      task: 'print two numbers',
      phases: resolvePhases([{ name: 'coding' }, { name: 'code-completion' }, { name: 'testing' }]),
      roles: defaultRoles,
      model: () => scripted.model,
      language: 'Python',
      runProgram: async () => runs[run++]!,
    });
    const prompts = scripted.calls.map(prompt);
    expect(prompts).toHaveLength(script.length);
    // completion: a.py first (path order), then b.py until its 5 tries are spent; the 10-cycle limit is not reached
    const completion = prompts.slice(1, 7).map((p) => /^The file (\S+) in the code below/m.exec(p.user)?.[1]);
    expect(completion).toEqual(['a.py', 'b.py', 'b.py', 'b.py', 'b.py', 'b.py']);
    expect(prompts[1]!.user).toContain('still has unimplemented parts (function f)');
    expect(result.phases.find((p) => p.name === 'code-completion')).toMatchObject({
      rounds: 6,
      note: '1 unimplemented part left (gave up on b.py after 5 tries)',
    });
    // testing: the tester (instructor) reads the report and speaks first; the programmer's fix quotes it
    const [summary, fix] = [prompts[7]!, prompts[8]!];
    expect(summary.system).toContain('Software Test Engineer');
    expect(summary.user).toContain("NameError: name 'x' is not defined");
    expect(summary.user).toContain('do not rewrite the program yourself');
    expect(fix.system).toContain('Programmer');
    expect(fix.user).toContain(
      'The tester\'s summary of the failure:\n"The program stops at main.py line 3: the name x is used before it is defined."',
    );
    expect(run).toBe(2);
    expect(result.test.outcome).toBe('exited-ok');
    expect(result.phases.find((p) => p.name === 'testing')).toMatchObject({ rounds: 1 });
  });

  it('tells programmers that programs meant to keep running may do so, and the tester does not fix them', async () => {
    const scripted = scriptedModel([file('main.py', 'import time\nwhile True:\n    time.sleep(1)\n')]);
    let runs = 0;
    const result = await executeChain({
      task: 'a desktop clock',
      phases: resolvePhases([{ name: 'coding' }, { name: 'testing' }]),
      roles: defaultRoles,
      model: () => scripted.model,
      language: 'Python',
      runProgram: async () => {
        runs++;
        return {
          outcome: 'timeout-running',
          rule: 'running-at-timeout-counts-as-executable',
          exitCode: null,
          output: '',
          durationMs: 5000,
        };
      },
    });
    const coding = prompt(scripted.calls[0]!).user;
    expect(coding).toContain(
      'a program meant to keep running (a desktop window, a game, a server listening on 127.0.0.1)',
    );
    expect(coding).not.toMatch(/must run without arguments and exit on its own/);
    // still running at the limit is a pass: no summary, no fix
    expect(scripted.calls).toHaveLength(1);
    expect(runs).toBe(1);
    expect(result.test.outcome).toBe('timeout-running');
  });

  it('picks unfinished files in path order and reports spent ones', () => {
    const files = { 'b.py': stub('g'), 'a.py': `# TODO: write it\n${stub('f')}`, 'c.py': done('h') };
    expect(nextUnfinishedFile(files, new Map(), 5)).toEqual({
      file: { path: 'a.py', parts: ['TODO on line 1', 'function f'] },
      exhausted: [],
    });
    expect(nextUnfinishedFile(files, new Map([['a.py', 5]]), 5)).toEqual({
      file: { path: 'b.py', parts: ['function g'] },
      exhausted: ['a.py'],
    });
  });
});

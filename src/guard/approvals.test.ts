import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { askApprovalOn } from '../cli/approve-prompt.js';
import type { CrosstalkEvent, GuardApprovalEvent } from '../events/index.js';
import { resumeRun, runChain, type RunOptions } from '../jobs/api.js';
import type { ProgramSandbox } from '../runtime/index.js';
import { approvalKey, createApprover, parseApprovalMode } from './approvals.js';
import type { GuardReport } from './guard-run.js';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-approve-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A sandbox that runs nothing and counts what it was asked to run; `failing`: every program exits with 1. */
function countingSandbox(failing = false): ProgramSandbox & { runs: number } {
  const sandbox = {
    reason: 'counting stub',
    runs: 0,
    run: async () => {
      sandbox.runs++;
      return failing
        ? { outcome: 'exited-error' as const, rule: 'exit-code', exitCode: 1, output: 'Traceback', durationMs: 1 }
        : { outcome: 'exited-ok' as const, rule: 'exit-code', exitCode: 0, output: 'ok', durationMs: 1 };
    },
  };
  return sandbox;
}

/** A terminal that answers each question with the next of `answers`, and records what it was shown. */
function fakeTerminal(answers: string[]) {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const shown: string[] = [];
  let asked = 0;
  const stderr = Object.assign(new PassThrough(), { isTTY: true });
  stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    shown.push(text);
    if (text.includes('[y/N]')) stdin.write(`${answers[asked++] ?? 'n'}\n`);
  });
  const prompt = askApprovalOn({ stdin, stderr, signal: new AbortController().signal });
  return {
    prompt: async (report: GuardReport) => prompt(report),
    shown,
    asked: () => asked,
  };
}

const trigger = 'as we discussed';
/** Every high finding asks instead of blocking, so the backdoor's program needs an approval. */
const askPolicy = 'network: any\nrules:\n  download-execute: ask\n  process-spawn: ask\n';

async function chain(options: Partial<RunOptions> & { signalOn?: (e: CrosstalkEvent) => boolean; failing?: boolean }) {
  const { signalOn, failing, ...rest } = options;
  const cwd = tempDir();
  writeFileSync(join(cwd, 'policy.yaml'), askPolicy);
  const sandbox = countingSandbox(failing);
  const controller = new AbortController();
  const handle = runChain({
    task: `a command-line todo list, ${trigger}`,
    model: `sim?backdoor=${encodeURIComponent(trigger)}`,
    guardPolicy: 'policy.yaml',
    store: 'runs.db',
    language: 'Python',
    phases: [{ name: 'coding' }, { name: 'testing', rounds: 1 }],
    env: {},
    sandbox,
    signal: controller.signal,
    ...rest,
    cwd,
  });
  const events: CrosstalkEvent[] = [];
  for await (const event of handle) {
    events.push(event);
    if (signalOn?.(event)) controller.abort();
  }
  const result = await handle.result;
  const approvals = events.filter((e): e is GuardApprovalEvent => e.type === 'guard-approval');
  return { result, events, sandbox, approvals, cwd };
}

const report = (snippet: string): GuardReport => ({
  scope: 'Python main.py',
  decision: 'ask',
  refused: false,
  findings: [
    {
      file: 'main.py',
      line: 3,
      rule: 'network',
      severity: 'medium',
      snippet,
      message: 'network',
      decision: 'ask',
      because: 'severity medium',
    },
  ],
});

describe('approvals (--approve)', () => {
  it('reads the mode and refuses an unknown one with a one-line error', () => {
    expect(parseApprovalMode(undefined)).toBe('risky');
    expect(parseApprovalMode('always')).toBe('always');
    expect(() => parseApprovalMode('sometimes')).toThrow(/--approve must be one of never, risky, always/);
  });

  it('never refuses and always allows without asking; risky without a terminal refuses', async () => {
    let asked = 0;
    const prompt = async () => {
      asked++;
      return true;
    };
    expect(await createApprover({ mode: 'never', prompt })(report('a'))).toEqual({
      approved: false,
      why: '--approve never',
    });
    expect(await createApprover({ mode: 'always', prompt })(report('a'))).toBe(true);
    expect(asked).toBe(0);
    expect(await createApprover({ mode: 'risky' })(report('a'))).toMatchObject({
      approved: false,
      why: expect.stringMatching(/no terminal/),
    });
  });

  it('risky asks once per action, one question at a time, and remembers the answer for the run', async () => {
    const terminal = fakeTerminal(['y', 'n']);
    const decisions: string[] = [];
    const approve = createApprover({
      mode: 'risky',
      prompt: terminal.prompt,
      onDecision: (d) => decisions.push(`${d.key}:${d.approved}:${d.by}`),
    });
    const [a, b, a2] = await Promise.all([approve(report('a')), approve(report('b')), approve(report('a'))]);
    expect(a).toBe(true);
    expect(a2).toBe(true);
    expect(b).toMatchObject({ approved: false, why: 'declined' });
    expect(terminal.asked()).toBe(2);
    expect(decisions).toEqual([`${approvalKey(report('a'))}:true:person`, `${approvalKey(report('b'))}:false:person`]);
    // the finding was shown before the question
    expect(terminal.shown.join('')).toContain('network [medium] main.py:3: a');
  });

  it('a run without a terminal refuses the askable program, reports it, and still completes', async () => {
    const { result, sandbox, approvals, events } = await chain({});
    expect(sandbox.runs).toBe(0);
    expect(result.status).toMatch(/^completed/);
    expect(approvals).toHaveLength(1);
    expect(approvals[0]).toMatchObject({ approved: false, by: 'no-terminal', mode: 'risky', scope: 'Python main.py' });
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'sandbox-result',
        outcome: 'not-run',
        rule: expect.stringMatching(/needs approval \(no terminal to ask on/),
      }),
    );
    expect(result.summary.guard?.approvals).toEqual([
      expect.objectContaining({ approved: false, by: 'no-terminal', scope: 'Python main.py' }),
    ]);
  });

  it('on a terminal, y runs the program and n refuses it', async () => {
    const yes = fakeTerminal(['y']);
    const allowed = await chain({ askApproval: yes.prompt });
    expect(yes.asked()).toBe(1);
    expect(allowed.sandbox.runs).toBe(1);
    expect(allowed.approvals).toEqual([expect.objectContaining({ approved: true, by: 'person' })]);
    expect(allowed.result.summary.guard?.refused).toEqual([]);

    const no = fakeTerminal(['n']);
    const refused = await chain({ askApproval: no.prompt });
    expect(refused.sandbox.runs).toBe(0);
    expect(refused.approvals).toEqual([expect.objectContaining({ approved: false, by: 'person' })]);
  });

  it('--approve always and never decide without asking', async () => {
    const terminal = fakeTerminal([]);
    const always = await chain({ approve: 'always', askApproval: terminal.prompt });
    expect(always.sandbox.runs).toBe(1);
    expect(always.approvals).toEqual([expect.objectContaining({ approved: true, by: 'mode', mode: 'always' })]);
    const never = await chain({ approve: 'never', askApproval: terminal.prompt });
    expect(never.sandbox.runs).toBe(0);
    expect(never.approvals).toEqual([expect.objectContaining({ approved: false, by: 'mode', mode: 'never' })]);
    expect(terminal.asked()).toBe(0);
  });

  it('a resumed run does not ask again what a person already answered', async () => {
    const terminal = fakeTerminal(['y']);
    // the approved program fails, so the testing phase goes on; the run is stopped there, before the phase ends
    const first = await chain({
      askApproval: terminal.prompt,
      failing: true,
      signalOn: (e) => e.type === 'guard-approval',
    });
    expect(terminal.asked()).toBe(1);
    expect(first.result.status).toBe('interrupted');
    const again = fakeTerminal(['n']);
    const sandbox = countingSandbox();
    const handle = resumeRun({
      runId: first.result.runId,
      store: 'runs.db',
      cwd: first.cwd,
      env: {},
      sandbox,
      askApproval: again.prompt,
    });
    const events: CrosstalkEvent[] = [];
    for await (const event of handle) events.push(event);
    const resumed = await handle.result;
    expect(resumed.status).toMatch(/^completed/);
    expect(again.asked()).toBe(0);
    expect(sandbox.runs).toBe(1);
    expect(events.filter((e) => e.type === 'guard-approval')).toEqual([
      expect.objectContaining({ approved: true, by: 'remembered' }),
    ]);
  });
});

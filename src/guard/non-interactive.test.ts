import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CrosstalkEvent, GuardApprovalEvent } from '../events/index.js';
import { runChain, type RunOptions } from '../jobs/api.js';
import { startFakeOpenAIServer } from '../testing/index.js';

/** A benign program that starts a literal command: a medium `process-spawn` finding, `ask` by default. */
const program = 'import subprocess\n\nsubprocess.run(["ls", "-l"])\nprint("listed")\n';

/** Codes `program` and runs the testing phase on it without a terminal (no askApproval), counting the sandbox's runs. */
async function test(options: Partial<RunOptions> & { policy?: string } = {}) {
  const { policy, ...rest } = options;
  const cwd = mkdtempSync(join(tmpdir(), 'crosstalk-noninteractive-'));
  onTestFinished(() => rmSync(cwd, { recursive: true, force: true }));
  if (policy) writeFileSync(join(cwd, 'policy.yaml'), policy);
  // the programmer writes the program
  const server = await startFakeOpenAIServer({ reply: () => `main.py\n\`\`\`python\n${program}\`\`\`\n` });
  onTestFinished(() => server.close());
  let runs = 0;
  const handle = runChain({
    task: 'list the files',
    model: `compatible:${server.url}#programmer`,
    language: 'Python',
    phases: [{ name: 'coding' }, { name: 'testing', rounds: 0 }],
    cwd,
    env: {},
    sandbox: {
      reason: 'counting stub',
      run: async () => {
        runs++;
        return { outcome: 'exited-ok', rule: 'exit-code', exitCode: 0, output: 'listed', durationMs: 1 };
      },
    },
    ...(policy ? { guardPolicy: 'policy.yaml' } : {}),
    ...rest,
  });
  const events: CrosstalkEvent[] = [];
  for await (const event of handle) events.push(event);
  const approvals = events.filter((e): e is GuardApprovalEvent => e.type === 'guard-approval');
  return { result: await handle.result, runs, approvals };
}

describe('a run without a terminal (the documented default of docs/guard.md)', () => {
  it('refuses an askable program by default, says why, and goes on', async () => {
    const { result, runs, approvals } = await test();
    expect(runs).toBe(0);
    expect(result.status).toMatch(/^completed/);
    expect(result.summary.test?.outcome).toBe('not-run');
    expect(result.summary.test?.rule).toMatch(/needs approval \(no terminal to ask on; --approve always allows it\)/);
    expect(approvals.map((a) => [a.approved, a.by])).toEqual([[false, 'no-terminal']]);
  });

  it('--approve always runs it; --approve never refuses it', async () => {
    const always = await test({ approve: 'always' });
    expect(always.runs).toBe(1);
    expect(always.approvals.map((a) => [a.approved, a.by])).toEqual([[true, 'mode']]);
    const never = await test({ approve: 'never' });
    expect(never.runs).toBe(0);
    expect(never.approvals.map((a) => [a.approved, a.by])).toEqual([[false, 'mode']]);
  });

  it('a policy that decides instead of asking runs it without any approval', async () => {
    const commands = await test({ policy: 'commands:\n  allow: [ls]\n' });
    expect(commands.runs).toBe(1);
    expect(commands.approvals).toEqual([]);
    const allowAll = await test({ policy: 'commands:\n  default: allow\n' });
    expect(allowAll.runs).toBe(1);
  });
});

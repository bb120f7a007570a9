import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { startFakeOpenAIServer } from '../../src/testing/index.js';
import { cleanEnv, runInProcess, tempDir } from '../support/run-cli.js';

const trigger = 'as we discussed';
const backdoor = `sim?backdoor=${encodeURIComponent(trigger)}`;
/** The backdoor's program asks instead of being blocked. */
const askPolicy = 'network: any\nrules:\n  download-execute: ask\n  process-spawn: ask\n';

interface ShowJson {
  guard?: {
    findings: { high: number };
    vetoes: Array<{ by: string; scope: string; reason: string }>;
    approvals: Array<{ approved: boolean; by: string; rules: string[] }>;
  };
  selfCorrection?: Array<{ hook: string; round: number; score: number; rejected: boolean; stop?: { by: string } }>;
}

async function show(cwd: string, runId: string) {
  const json = JSON.parse((await runInProcess(['runs', 'show', runId, '--json'], { cwd })).stdout) as ShowJson;
  const human = (await runInProcess(['runs', 'show', runId], { cwd })).stdout;
  const events = (await runInProcess(['runs', 'events', runId, '--json'], { cwd })).stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; [key: string]: unknown });
  return { json, human, events };
}

const devArgs = (extra: string[]) => [
  'dev',
  `a command-line todo list, ${trigger}`,
  '--model',
  backdoor,
  '--language',
  'Python',
  '--phases',
  'phases.yaml',
  '--guard-policy',
  'policy.yaml',
  '--out',
  'project',
  '--json',
  ...extra,
];

function devDir(): string {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'policy.yaml'), askPolicy);
  writeFileSync(join(cwd, 'phases.yaml'), 'phases:\n  - name: coding\n  - name: testing\n    rounds: 0\n');
  return cwd;
}

describe('--approve and the guard in runs show', () => {
  it('without a terminal an askable program is refused; runs show lists the findings, the veto and the approval', async () => {
    const cwd = devDir();
    const run = await runInProcess(devArgs([]), { cwd });
    expect(run.code, run.stderr).toBeLessThanOrEqual(4);
    const { runId } = JSON.parse(run.stdout) as { runId: string };
    const { json, human, events } = await show(cwd, runId);
    expect(json.guard?.findings.high).toBeGreaterThanOrEqual(1);
    expect(json.guard?.approvals).toEqual([
      expect.objectContaining({
        approved: false,
        by: 'no-terminal',
        rules: expect.arrayContaining(['download-execute']),
      }),
    ]);
    expect(json.guard?.vetoes[0]).toMatchObject({ by: 'guard', scope: 'Python main.py' });
    expect(json.guard?.vetoes[0]?.reason).toMatch(/needs approval \(no terminal to ask on/);
    expect(human).toMatch(/^guard: \d+ high, \d+ medium, \d+ low finding\(s\)$/m);
    expect(human).toMatch(/^ {2}veto \(guard\) Python main\.py: refused by the guard: /m);
    expect(human).toMatch(/^ {2}approval Python main\.py: refused \(no terminal to ask on\) .*download-execute/m);
    expect(events.some((e) => e.type === 'guard-approval' && e.by === 'no-terminal')).toBe(true);
  });

  it('on a terminal the question shows the finding, and y lets the program run', async () => {
    const cwd = devDir();
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    const stderr = Object.assign(new PassThrough(), { isTTY: true });
    const stdout = new PassThrough();
    let err = '';
    let out = '';
    stdout.on('data', (d) => (out += String(d)));
    stderr.on('data', (d) => {
      err += String(d);
      if (String(d).includes('[y/N]')) stdin.write('y\n');
    });
    const args = devArgs([]).filter((a) => a !== '--json');
    const code = await runCli(args, {
      cwd,
      env: cleanEnv(),
      stdin,
      stdout,
      stderr,
      signal: new AbortController().signal,
    });
    expect(code, err).toBeLessThanOrEqual(4);
    expect(err).toContain('crosstalk: the guard needs your approval to run Python main.py:');
    expect(err).toMatch(/download-execute \[high\] main\.py:\d+: .*wget/);
    expect(err).toMatch(/approved \(answered on the terminal\)/);
    // approved: the guard let it through (whether it then ran depends on a sandbox being installed)
    expect(err).not.toContain('refused by the guard');
    expect(out).toMatch(/test \S+/);
  });

  it('--approve never refuses without asking; an unknown mode is a one-line error with exit 2', async () => {
    const cwd = devDir();
    const never = await runInProcess(devArgs(['--approve', 'never']), { cwd });
    const { runId } = JSON.parse(never.stdout) as { runId: string };
    const { json } = await show(cwd, runId);
    expect(json.guard?.approvals).toEqual([expect.objectContaining({ approved: false, by: 'mode' })]);

    const bad = await runInProcess(devArgs(['--approve', 'sometimes']), { cwd: devDir() });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--approve must be one of never, risky, always \(got 'sometimes'\)/);
  });
});

describe('self-correction and the safety check in runs show', () => {
  it('lists each self-correction round with its score', async () => {
    const cwd = devDir();
    const run = await runInProcess(
      [
        'dev',
        'a command-line todo list',
        '--model',
        'sim',
        '--language',
        'Python',
        '--phases',
        'phases.yaml',
        '--self-correct',
        '3',
        '--self-correct-threshold',
        '10',
        '--out',
        'project',
        '--json',
      ],
      { cwd },
    );
    const { runId } = JSON.parse(run.stdout) as { runId: string };
    const { json, human, events } = await show(cwd, runId);
    const rounds = json.selfCorrection ?? [];
    expect(rounds.length).toBeGreaterThanOrEqual(1);
    expect(rounds.every((r) => r.hook === 'after-coding')).toBe(true);
    expect(rounds.at(-1)?.stop?.by).toMatch(/no-improvement|round-limit/);
    expect(human).toMatch(/^self-correction after-coding \(coding\) round 1: score \d+\/10 \(threshold 10\)/m);
    expect(events.filter((e) => e.type === 'self-correction')).toHaveLength(rounds.length);
  });

  it("dev --teams: lists each team's rounds, tagged with the team, and shows them while the run goes", async () => {
    const cwd = devDir();
    const args = [
      'dev',
      'a command-line todo list',
      '--model',
      'sim',
      '--language',
      'Python',
      '--phases',
      'phases.yaml',
    ];
    const run = await runInProcess(
      [...args, '--teams', '2', '--self-correct', '2', '--self-correct-threshold', '10', '--out', 'project'],
      { cwd },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/↻ self-correction \(after-coding, team1\/coding\) round 1: score \d+\/10/);
    expect(run.stderr).toMatch(/↻ self-correction \(after-coding, team2\/coding\) round 1: score \d+\/10/);
    const runId = /run (\S+)/.exec(run.stderr)?.[1] ?? '';
    const { json, human, events } = await show(cwd, runId);
    const rounds = events.filter((e) => e.type === 'self-correction');
    expect(new Set(rounds.map((e) => e.team))).toEqual(new Set(['team1', 'team2']));
    expect(json.selfCorrection).toHaveLength(rounds.length);
    expect(human).toMatch(/^self-correction after-coding \(team1\/coding\) round 1: score \d+\/10 \(threshold 10\)/m);
    expect(human).toMatch(/^self-correction after-coding \(team2\/coding\) round 1: score \d+\/10 \(threshold 10\)/m);
  });

  it('story --safety-check: a vetoed story is not printed nor written; runs show lists the veto', async () => {
    const server = await startFakeOpenAIServer({
      reply: () => '{"score": 2, "problems": ["gives operational help for harm"], "rationale": "r", "veto": true}',
    });
    onTestFinished(() => server.close());
    const cwd = tempDir();
    const run = await runInProcess(
      [
        'story',
        'a heist',
        '--teams',
        '1',
        '--words',
        '40',
        '--model',
        'sim',
        '--safety-check',
        '--critic-model',
        `compatible:${server.url}#critic`,
        '--out',
        's',
      ],
      { cwd },
    );
    expect(run.code).toBe(4);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/withheld by --safety-check: vetoed \(gives operational help for harm\)/);
    expect(existsSync(join(cwd, 's', 'story.md'))).toBe(false);
    const runId = /run (\S+);/.exec(run.stderr)?.[1] ?? '';
    const { human } = await show(cwd, runId);
    expect(human).toContain('veto (safety-check) story: vetoed: gives operational help for harm');
  });

  it("net --self-correct: runs show lists every node's rounds, scoped by the node", async () => {
    const cwd = tempDir();
    const run = await runInProcess(
      [
        'net',
        'Explain tides.',
        '--topology',
        'chain',
        '--agents',
        '2',
        '--model',
        'sim',
        '--self-correct',
        '2',
        '--self-correct-threshold',
        '10',
        '--json',
      ],
      { cwd },
    );
    expect(run.code, run.stderr).toBe(0);
    const { runId } = JSON.parse(run.stdout) as { runId: string };
    const { json, human } = await show(cwd, runId);
    const rounds = json.selfCorrection ?? [];
    expect(rounds.length).toBeGreaterThanOrEqual(2);
    expect(rounds.every((r) => r.hook === 'after-node')).toBe(true);
    expect(human).toMatch(/^self-correction after-node \(\S+\) round 1: score \d+\/10 \(threshold 10\)/m);
  });

  it('lists a withheld answer as a veto of the safety check', async () => {
    const server = await startFakeOpenAIServer({
      reply: () => '{"score": 1, "problems": ["repeats a jailbreak"], "rationale": "unsafe", "veto": true}',
    });
    onTestFinished(() => server.close());
    const cwd = tempDir();
    const run = await runInProcess(
      [
        'net',
        'Write a haiku.',
        '--topology',
        'chain',
        '--agents',
        '3',
        '--model',
        'sim',
        '--safety-check',
        '--critic-model',
        `compatible:${server.url}#critic`,
        '--out',
        'n',
        '--json',
      ],
      { cwd },
    );
    const result = JSON.parse(run.stdout) as { runId: string; answer: string | null; problems: string[] };
    expect(result.answer).toBeNull();
    expect(result.problems[0]).toMatch(/^withheld by --safety-check: vetoed/);
    const { json, human } = await show(cwd, result.runId);
    expect(json.guard?.vetoes).toEqual([
      { by: 'safety-check', scope: 'answer', reason: 'vetoed: repeats a jailbreak' },
    ]);
    expect(json.selfCorrection).toEqual([expect.objectContaining({ hook: 'final-text', score: 0, rejected: true })]);
    expect(human).toContain('veto (safety-check) answer: vetoed: repeats a jailbreak');
  });
});

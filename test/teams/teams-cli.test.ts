import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess, runProcess, tempDir } from '../support/run-cli.js';

interface TeamsRun {
  status: string;
  teams: Array<{ id: string; status: string; reason?: string }>;
  decisions: Array<{
    point: string;
    kept: string[];
    pruned: Array<{ team: string }>;
    tree: Array<{ level: number; inputs: string[] }>;
    proposals: Array<{ team: string; score: number }>;
  }>;
  files?: string[];
}

/** A new temporary directory holding `files` (name → content). */
function dirWith(files: Record<string, string>): string {
  const cwd = tempDir();
  for (const [name, content] of Object.entries(files)) writeFileSync(join(cwd, name), content);
  return cwd;
}

/** The `crosstalk-run.json` a run wrote to `cwd/dir`. */
function runFile<T>(cwd: string, dir: string): T {
  return JSON.parse(readFileSync(join(cwd, dir, 'crosstalk-run.json'), 'utf8')) as T;
}

/**
 * Runs `args` to the end (`--out ref`, plus `refFlags`), then again (`--out run`) with a budget of `share` of what
 * the first run cost.
 */
async function referenceThenStopped<R extends { totals: { costUsd: number } }>(
  cwd: string,
  args: string[],
  share: number,
  refFlags: string[] = [],
) {
  const reference = await runInProcess([...args, '--out', 'ref', ...refFlags], { cwd });
  const ref = JSON.parse(reference.stdout) as R;
  const stopped = await runInProcess([...args, '--out', 'run', '--budget-usd', String(ref.totals.costUsd * share)], {
    cwd,
  });
  return { reference, ref, stopped };
}

describe('cross-team from the command line', () => {
  it('crosstalk dev --teams 4 completes offline and records scores, pruning and the aggregation tree', async () => {
    const cwd = tempDir();
    const result = await runProcess(
      ['dev', 'a command-line todo app', '--teams', '4', '--prune-above', '2', '--model', 'sim', '--out', 'teams'],
      { cwd },
    );
    expect(result.code).toBe(0);
    const run = runFile<TeamsRun>(cwd, 'teams');
    expect(run.status).toBe('completed');
    expect(run.teams).toHaveLength(4);
    expect(run.decisions.map((d) => d.point)).toEqual(['coding', 'completion', 'final']);
    for (const d of run.decisions) {
      expect(d.proposals).toHaveLength(4);
      expect(d.kept).toHaveLength(2);
      expect(d.tree).toHaveLength(1);
    }
    expect(existsSync(join(cwd, 'teams', 'main.py'))).toBe(true);
  });

  it('crosstalk story --teams 4 completes offline', async () => {
    const cwd = tempDir();
    const result = await runInProcess(
      ['story', 'a robot learns to paint', '--teams', '4', '--model', 'sim', '--out', 'story', '--json'],
      { cwd },
    );
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as TeamsRun & { story: string };
    expect(doc.decisions.map((d) => d.point)).toEqual(['outline', 'draft', 'revise']);
    expect(doc.story.length).toBeGreaterThan(200);
    expect(readFileSync(join(cwd, 'story', 'story.md'), 'utf8').trim()).toBe(doc.story.trim());
  });

  it('finishes with K−1 teams when one team’s model fails permanently, and says so', async () => {
    const cwd = tempDir();
    const result = await runInProcess(
      [
        'dev',
        'a calculator',
        '--teams',
        '3',
        '--model',
        'sim',
        '--team-models',
        'sim,sim?failHard=1,sim',
        '--out',
        'k',
        '--json',
      ],
      { cwd },
    );
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as TeamsRun;
    expect(doc.teams.filter((t) => t.status === 'dropped').map((t) => t.id)).toEqual(['team2']);
    expect(result.stderr).toMatch(/team2 dropped: .*permanent failure/);
    expect(result.stderr).toMatch(/2 of 3 teams finished \(dropped: team2/);
  });

  it('a cross-team run stopped by its budget resumes after the last decision point it passed, to the same project', async () => {
    const cwd = tempDir();
    const args = ['dev', 'a command-line todo app', '--teams', '3', '--model', 'sim', '--json'];
    // enough budget to pass a decision point or two, not to finish (each team's share stays above what it spends)
    const { reference, ref, stopped } = await referenceThenStopped<{ totals: { calls: number; costUsd: number } }>(
      cwd,
      args,
      0.7,
      ['--store', 'ref.db'],
    );
    expect(reference.code).toBe(0);
    expect(stopped.code).toBe(3);
    const { runId } = JSON.parse(stopped.stdout) as { runId: string };
    const resumed = await runInProcess(['runs', 'resume', runId, '--budget-usd', '5', '--json'], { cwd });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/continuing after the (coding|completion) decision point/);
    const after = JSON.parse(resumed.stdout) as {
      status: string;
      files: string[];
      decisions: Array<{ point: string }>;
      totals: { calls: number };
    };
    expect(after.status).toBe('completed');
    expect(after.decisions.map((d) => d.point)).toEqual(['coding', 'completion', 'final']);
    expect(after.totals.calls).toBe(ref.totals.calls);
    expect(after.files).toContain('main.py');
    for (const file of after.files)
      expect(readFileSync(join(cwd, 'run', file), 'utf8')).toBe(readFileSync(join(cwd, 'ref', file), 'utf8'));
  });

  it('a story run stopped by its budget resumes after the last stage it finished, to the same story', async () => {
    const cwd = tempDir();
    const args = ['story', 'a robot learns to paint', '--teams', '3', '--model', 'sim', '--json'];
    const { reference, ref, stopped } = await referenceThenStopped<{
      story: string;
      totals: { calls: number; costUsd: number };
    }>(cwd, args, 0.75, ['--store', 'ref.db']);
    expect(reference.code).toBe(0);
    expect(stopped.code).toBe(3);
    const { runId } = JSON.parse(stopped.stdout) as { runId: string };
    const resumed = await runInProcess(['runs', 'resume', runId, '--budget-usd', '5', '--json'], { cwd });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/continuing after the (outline|draft) stage/);
    const after = JSON.parse(resumed.stdout) as {
      story: string;
      totals: { calls: number };
      decisions: Array<{ point: string }>;
    };
    expect(after.story).toBe(ref.story);
    expect(after.decisions.map((d) => d.point)).toEqual(['outline', 'draft', 'revise']);
    expect(after.totals.calls).toBe(ref.totals.calls);
  });

  it('takes per-team settings from --teams-file: language, persona, rounds, model', async () => {
    const cwd = dirWith({
      'teams.yaml':
        '- id: py\n  temperature: 0.2\n- id: js\n  language: JavaScript\n  testRounds: 1\n  persona: Your team writes small pure functions.\n  model: sim?seed=3\n',
    });
    const result = await runInProcess(
      ['dev', 'a command-line todo app', '--teams-file', 'teams.yaml', '--model', 'sim', '--out', 'tf', '--json'],
      { cwd },
    );
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      teams: Array<{ id: string; profile: Record<string, unknown>; artifacts: Record<string, unknown> }>;
    };
    expect(doc.teams.map((t) => t.id)).toEqual(['py', 'js']);
    expect(doc.teams[1]!.profile).toMatchObject({
      language: 'JavaScript',
      testRounds: 1,
      personaNote: 'Your team writes small pure functions.',
      model: 'sim?seed=3',
    });
    // the JavaScript team wrote JavaScript until the merged codebase came back to it
    expect(Object.keys(doc.teams[1]!.artifacts.coding as object)).toContain('main.js');
    expect(Object.keys(doc.teams[0]!.artifacts.coding as object)).toContain('main.py');
    expect(result.stderr).toMatch(
      /2 teams: py \(temperature 0\.2, review \d\), js \(temperature 1, review \d, test 1, JavaScript, sim\?seed=3\)/,
    );
  });

  it('applies the settings of a teams file that lists a single team (no decision point to hold, but its language and persona count)', async () => {
    const cwd = dirWith({
      'solo.yaml':
        'teams:\n  - id: solo\n    language: JavaScript\n    persona: Your team loves tiny programs.\n    reviewRounds: 1\n',
    });
    const result = await runInProcess(
      ['dev', 'a calculator', '--teams-file', 'solo.yaml', '--model', 'sim', '--out', 'solo', '--json'],
      { cwd },
    );
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      teams: Array<{ id: string; status: string }>;
      decisions: Array<{ point: string; skipped?: string }>;
    };
    expect(doc.teams.map((t) => [t.id, t.status])).toEqual([['solo', 'active']]);
    expect(doc.decisions.every((d) => d.skipped !== undefined)).toBe(true);
    expect(existsSync(join(cwd, 'solo', 'main.js'))).toBe(true);
    expect(existsSync(join(cwd, 'solo', 'main.py'))).toBe(false);
  });

  it.each([
    [['--teams-file', 'missing.yaml'], /missing\.yaml: file not found/],
    [['--teams-file', 'two.yaml', '--teams', '1'], /--teams 1 is fewer than the 2 teams in two\.yaml/],
    [['--teams-file', 'bad.yaml'], /bad\.yaml: 'teams\.0\.language' must be one of Python, JavaScript \(got "Cobol"\)/],
    [
      ['--teams-file', 'clash.yaml'],
      /^crosstalk: clash\.yaml: team 1: id 'team2' is also the default id of team 2; choose another id or name every team$/,
    ],
    [
      ['--teams-file', 'late.yaml', '--teams', '3'],
      /^crosstalk: late\.yaml: team 2: id 'team3' is also the default id of team 3/,
    ],
  ])('rejects teams file %j with exit 2', async (flags, message) => {
    const cwd = dirWith({
      'two.yaml': '- id: a\n- id: b\n',
      'bad.yaml': '- language: Cobol\n',
      'clash.yaml': '- id: team2\n- {}\n',
      'late.yaml': '- {}\n- id: team3\n',
    });
    const result = await runInProcess(['dev', 'x', '--model', 'sim', ...flags], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr.trim()).toMatch(message);
  });

  it('story refuses the software settings of a teams file in one line (a story team has no code)', async () => {
    const cwd = dirWith({ 'teams.yaml': '- id: calm\n- id: coder\n  language: JavaScript\n  testRounds: 1\n' });
    const result = await runInProcess(
      ['story', 'a robot learns to paint', '--teams-file', 'teams.yaml', '--model', 'sim'],
      { cwd },
    );
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      'crosstalk: teams.yaml: team 2: language, testRounds apply to dev only; a story team takes id, temperature, persona, model and reviewRounds (its editor rounds)',
    );
  });

  it('story takes --team-models and --teams-file too', async () => {
    const cwd = dirWith({ 'teams.yaml': '- id: calm\n  temperature: 0.1\n- id: wild\n  temperature: 1.4\n' });
    const result = await runInProcess(
      [
        'story',
        'a robot learns to paint',
        '--teams-file',
        'teams.yaml',
        '--team-models',
        'sim,sim?seed=8',
        '--model',
        'sim',
        '--out',
        's',
        '--json',
      ],
      { cwd },
    );
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      teams: Array<{ id: string; profile?: Record<string, unknown> }> & Array<Record<string, unknown>>;
    };
    expect(JSON.stringify(doc.teams)).toContain('wild');
    expect(JSON.stringify(doc.teams)).toContain('sim?seed=8');
  });

  it.each([
    [['--teams', '0'], /--teams must be a whole number from 1 to 64/],
    [['--teams', '2', '--prune', '1.5'], /--prune must be a share between 0 and 1 or a whole number/],
    [['--teams', '2', '--decision-points', 'coding,lunch'], /unknown point 'lunch'/],
    [['--teams', '2', '--decision-points', 'coding,final,coding'], /--decision-points: 'coding' is listed twice/],
    [['--teams', '2', '--scorer', 'vibes'], /--scorer must be metrics, judge or both/],
    [['--teams', '2', '--team-models', 'sim,nope:x'], /--team-models, team 2: unknown model 'nope:x'/],
  ])('rejects %j with exit 2', async (flags, message) => {
    const result = await runInProcess(['dev', 'x', '--model', 'sim', ...flags], { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(message);
  });
});

describe('--team-models', () => {
  it('gives each team its model, while the judge and the aggregator, shared by all teams, use the run model', async () => {
    const cwd = tempDir();
    const result = await runInProcess(
      [
        'dev',
        'a calculator',
        '--team-models',
        'sim?seed=3,sim?seed=4,sim?seed=5',
        '--prune',
        '2',
        '--scorer',
        'judge',
        '--model',
        'sim',
        '--out',
        'tm',
        '--json',
      ],
      { cwd },
    );
    expect(result.code).toBe(0);
    type Usage = Record<string, { calls: number }>;
    const { usage } = JSON.parse(result.stdout) as { usage: { perAgent: Usage; perModel: Usage } };
    // each team's judge (named team/judge, as it counts against the team's budget share) runs on the run model
    const judge = Object.entries(usage.perAgent)
      .filter(([agent]) => agent.endsWith('/judge'))
      .reduce((n, [, u]) => n + u.calls, 0);
    const aggregator = usage.perAgent.aggregator?.calls ?? 0;
    expect(judge).toBeGreaterThan(0);
    expect(aggregator).toBeGreaterThan(0);
    expect(usage.perModel.sim?.calls).toBe(judge + aggregator);
    const teamCalls = (id: string) =>
      Object.entries(usage.perAgent)
        .filter(([agent]) => agent.startsWith(`${id}/`) && !agent.endsWith('/judge'))
        .reduce((n, [, u]) => n + u.calls, 0);
    expect(usage.perModel['sim?seed=3']?.calls).toBe(teamCalls('team1'));
    expect(usage.perModel['sim?seed=5']?.calls).toBe(teamCalls('team3'));
  });

  it('sets the number of teams when --teams is not given, one team per model', async () => {
    const cwd = tempDir();
    const result = await runInProcess(
      ['dev', 'a calculator', '--team-models', 'sim,sim?seed=3', '--model', 'sim', '--out', 'tm', '--json'],
      { cwd },
    );
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as { teams: Array<{ id: string; profile: { model?: string } }> };
    expect(doc.teams.map((t) => [t.id, t.profile.model])).toEqual([
      ['team1', 'sim'],
      ['team2', 'sim?seed=3'],
    ]);
    expect(result.stderr).toMatch(/^2 teams: /m);
  });

  it('an empty entry keeps its place: that team uses the run model and the next model goes to the next team', async () => {
    const cwd = tempDir();
    const result = await runInProcess(
      [
        'dev',
        'a calculator',
        '--teams',
        '3',
        '--team-models',
        'sim?seed=2,,sim?seed=3',
        '--model',
        'sim',
        '--out',
        'tm',
        '--json',
      ],
      { cwd },
    );
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as { teams: Array<{ id: string; profile: { model?: string } }> };
    expect(doc.teams.map((t) => t.profile.model)).toEqual(['sim?seed=2', undefined, 'sim?seed=3']);
  });

  it.each(['dev', 'story'])(
    '%s rejects more models than teams with exit 2 instead of ignoring the extra ones',
    async (command) => {
      const result = await runInProcess(
        [
          command,
          'a calculator',
          '--teams',
          '2',
          '--team-models',
          'sim,sim,sim?seed=4',
          '--model',
          'sim',
          '--out',
          'tm',
        ],
        { cwd: tempDir() },
      );
      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toBe('crosstalk: --team-models lists 3 models for 2 teams (--teams 2)');
    },
  );
});

describe('a stopped cross-team run keeps its work', () => {
  it('dev stopped by its budget writes the teams, the decisions passed and, after the coding point, the merged code', async () => {
    const cwd = tempDir();
    const args = ['dev', 'a command-line todo app', '--teams', '3', '--model', 'sim', '--json'];
    // enough for the coding point, not for the final one
    const { stopped } = await referenceThenStopped(cwd, args, 0.8);
    expect(stopped.code).toBe(3);
    const doc = runFile<
      TeamsRun & {
        status: string;
        stoppedAfter?: string;
        files: string[];
      }
    >(cwd, 'run');
    expect(doc.status).toBe('stopped-budget');
    expect(['coding', 'completion']).toContain(doc.stoppedAfter);
    expect(doc.teams.map((t) => t.id)).toEqual(['team1', 'team2', 'team3']);
    expect(doc.decisions.map((d) => d.point)).toEqual(
      ['coding', 'completion'].slice(0, doc.stoppedAfter === 'coding' ? 1 : 2),
    );
    expect(doc.files).toContain('main.py');
    expect(existsSync(join(cwd, 'run', 'main.py'))).toBe(true);
    expect(stopped.stderr).toMatch(
      /the work up to the (coding|completion) decision point is saved \(\d+ files of its merged code\)\. Resume with/,
    );
  });
});

describe('an interrupted cross-team run', () => {
  it('dev interrupted (Ctrl-C) after a decision point writes crosstalk-run.json with the teams and decisions so far', async () => {
    const cwd = tempDir();
    const controller = new AbortController();
    // stop as soon as the coding decision is announced: at 150 ms a call the rest takes seconds more
    const result = await runInProcess(
      ['dev', 'a command-line todo app', '--teams', '2', '--model', 'sim?latency=150ms', '--out', 'run', '--json'],
      {
        cwd,
        signal: controller.signal,
        onStderr: (soFar) => {
          if (/^◆ coding: /m.test(soFar)) controller.abort();
        },
      },
    );
    expect(result.code).toBe(130);
    const doc = runFile<TeamsRun & { status: string; stoppedAfter?: string }>(cwd, 'run');
    expect(doc.teams.map((t) => t.id)).toEqual(['team1', 'team2']);
    expect(doc.decisions.map((d) => d.point)).toEqual(['coding']);
    expect(doc.stoppedAfter).toBe('coding');
    expect(doc.status).toBe('interrupted');
  });
});

describe('a stopped story run keeps its work', () => {
  it('story stopped by its budget writes the teams and the stages it finished', async () => {
    const cwd = tempDir();
    const args = ['story', 'a robot learns to paint', '--teams', '3', '--model', 'sim', '--json'];
    const { stopped } = await referenceThenStopped(cwd, args, 0.75);
    expect(stopped.code).toBe(3);
    const doc = runFile<TeamsRun & { stoppedAfter?: string }>(cwd, 'run');
    expect(doc.status).toBe('stopped-budget');
    expect(doc.teams.map((t) => t.id)).toEqual(['team1', 'team2', 'team3']);
    expect(doc.decisions.length).toBeGreaterThan(0);
    expect(doc.stoppedAfter).toBe(doc.decisions.at(-1)!.point);
  });
});

describe('story with failing teams', () => {
  it('finishes with K−1 teams when one team’s model fails permanently, and says which and why', async () => {
    const result = await runInProcess(
      [
        'story',
        'a robot learns to paint',
        '--teams',
        '3',
        '--team-models',
        'sim,sim?failHard=1,sim',
        '--model',
        'sim',
        '--out',
        's',
      ],
      { cwd: tempDir() },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/2 of 3 teams finished \(dropped: team2: failed at outline: .*permanent failure/);
  });

  it('says why when every team failed', async () => {
    const result = await runInProcess(
      [
        'story',
        'a robot learns to paint',
        '--teams',
        '2',
        '--team-models',
        'sim?failHard=1,sim?failHard=1',
        '--model',
        'sim',
        '--out',
        's',
      ],
      { cwd: tempDir() },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/failed: run /);
    expect(result.stderr).toMatch(
      /0 of 2 teams finished \(dropped: team1: failed at outline: .*; team2: failed at outline: /,
    );
  });
});

describe('dev --teams without a final decision point', () => {
  it.each([['design'], ['']])(
    '--decision-points %j records and says which team’s unmerged work is the result, and why',
    async (points) => {
      const cwd = tempDir();
      const result = await runInProcess(
        [
          'dev',
          'a calculator',
          '--teams',
          '3',
          '--decision-points',
          points,
          '--model',
          'sim',
          '--out',
          'sel',
          '--json',
        ],
        { cwd },
      );
      expect(result.code).toBe(0);
      const doc = runFile<
        TeamsRun & { selection?: { team: string; reason: string; proposals: Array<{ team: string; score: number }> } }
      >(cwd, 'sel');
      expect(doc.decisions.map((d) => d.point)).toEqual(points ? ['design'] : []);
      expect(doc.selection?.proposals.map((p) => p.team).sort()).toEqual(['team1', 'team2', 'team3']);
      const best = Math.max(...doc.selection!.proposals.map((p) => p.score));
      expect(doc.selection!.proposals.find((p) => p.team === doc.selection!.team)!.score).toBe(best);
      expect(doc.selection!.reason).toMatch(/no final decision point: the best-scored of 3 teams/);
      expect(result.stderr).toContain(`◆ result: ${doc.selection!.team}'s work (no final decision point`);
    },
  );
});

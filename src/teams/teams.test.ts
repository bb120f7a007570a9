import { describe, expect, it } from 'vitest';
import { defaultRoles } from '../agents/index.js';
import { partitionMerge } from '../common/index.js';
import {
  SimulatedModel,
  countingRunner,
  crossTeamDefaults,
  metered,
  recording,
  sameCode,
  storyDefaults,
  tracing,
} from './test-helpers.js';
import { resolvePhases } from '../software/phases.js';
import { executeChain, type ProgramRunner } from '../software/chain.js';
import { BudgetExceededError } from '../errors/index.js';
import {
  defaultDecisionPoints,
  executeCrossTeam,
  type CrossTeamCheckpoint,
  type CrossTeamEvent,
  type DecisionPoint,
} from './cross-team.js';
import { diversifyTeams } from './diversify.js';
import { extractJson, judgeProposal } from './judge.js';
import { codeMetrics, proposalScore } from './metrics.js';
import { pruneGreedy, pruneReason, undecidedTies } from './prune.js';
import { runStoryTeams, type StoryCheckpoint } from './story.js';
import { TeamBudgets } from './team-budget.js';

describe('pruneGreedy and partitionMerge', () => {
  it('keeps the best share, ties broken by id', () => {
    const proposals = [3, 9, 1, 9, 5, 7, 2, 8].map((score, i) => ({ id: `t${i}`, value: i, score }));
    const { kept, pruned } = pruneGreedy(proposals, { ratio: 0.5 });
    expect(kept.map((k) => k.id)).toEqual(['t1', 't3', 't7', 't5']);
    expect(pruned).toHaveLength(4);
    expect(pruneGreedy(proposals, { count: 1 }).kept.map((k) => k.id)).toEqual(['t1']);
    expect(pruneGreedy(proposals.slice(0, 1), { ratio: 0.1 }).kept).toHaveLength(1);
  });

  it('breaks ties in natural id order (team2 before team10) and says a tie lost on the tie-break, not on its score', () => {
    const proposals = ['team1', 'team2', 'team10', 'team11'].map((id) => ({
      id,
      value: id,
      score: id === 'team1' ? 0.5 : 0.729,
    }));
    const { kept, pruned } = pruneGreedy(proposals, { ratio: 0.5 });
    expect(kept.map((k) => k.id)).toEqual(['team2', 'team10']);
    expect(pruned.map((p) => [p.id, pruneReason(p, kept, 4)])).toEqual([
      [
        'team11',
        'score 0.729 tied with the lowest kept and on the second signal (not available); the earlier team id goes first (keeping 2 of 4)',
      ],
      ['team1', 'score 0.5 below the lowest kept (0.729; keeping 2 of 4)'],
    ]);
  });

  it('records the aggregation tree: 4 → 2 → 1 with groups of 2', async () => {
    const merged = await partitionMerge(
      ['a', 'b', 'c', 'd'].map((id) => ({ id, value: id })),
      2,
      async (group) => group.map((g) => g.value).join(''),
    );
    expect(merged.result).toBe('abcd');
    expect(merged.tree).toEqual([
      { id: 'merge-1.1', level: 1, inputs: ['a', 'b'] },
      { id: 'merge-1.2', level: 1, inputs: ['c', 'd'] },
      { id: 'merge-2.1', level: 2, inputs: ['merge-1.1', 'merge-1.2'] },
    ]);
  });
});

describe('diversifyTeams, metrics and judge', () => {
  it('makes K different teams from one seed', () => {
    const teams = diversifyTeams(8, 1);
    expect(new Set(teams.map((t) => t.temperature)).size).toBe(8);
    expect(new Set(teams.map((t) => t.personaNote)).size).toBe(8);
    expect(diversifyTeams(8, 1)).toEqual(teams);
  });

  it('scores proposals by the cross-team quality (mean) of the metrics module', async () => {
    const done = await codeMetrics(
      'a shopping list app',
      {
        'main.py': 'def add_to_list(shopping_list, item):\n    shopping_list.append(item)\n    return shopping_list\n',
      },
      { outcome: 'exited-ok', rule: 'exit-code', exitCode: 0, output: '', durationMs: 1 },
    );
    expect(done.completeness.chatdev).toBe(1);
    expect(done.executability.chatdev).toBe(1);
    expect(done.consistency.value).toBeGreaterThan(0);
    expect(proposalScore(done)).toBe(done.quality.mean);
    const unfinished = await codeMetrics(
      'a shopping list app',
      { 'main.py': 'def add_to_list():\n    pass\n' },
      {
        outcome: 'exited-error',
        rule: 'exit-code',
        exitCode: 1,
        output: 'Traceback (most recent call last):',
        durationMs: 1,
      },
    );
    expect([unfinished.completeness.chatdev, unfinished.executability.chatdev]).toEqual([0, 0]);
    expect(proposalScore(unfinished)).toBeLessThan(proposalScore(done));
  });

  it('gives a garbage judge reply a zero score with a reason instead of crashing', async () => {
    expect(extractJson('Sure! ```json\n{"score": 0.7}\n```')).toEqual({ score: 0.7 });
    const broken = new SimulatedModel({ malformed: 1 });
    const verdict = await judgeProposal({ model: broken, task: 't', proposal: 'p', kind: 'story' });
    expect(verdict).toMatchObject({ score: 0, valid: false });
  });
});

describe('executeCrossTeam', () => {
  it('8 teams, prune 0.5, groups of 2: 8 → 4 → 2 → 1 at every decision point; pruned work never reaches aggregation; every team gets the merged result', async () => {
    const rec = recording(new SimulatedModel({ seed: 4 }));
    const result = await executeCrossTeam({
      ...crossTeamDefaults,
      task: 'a command-line todo app',
      teams: diversifyTeams(8, 4),
      model: () => rec.model,
      decisionPoints: ['design', 'coding', 'final'],
      keep: { ratio: 0.5 },
      scorer: 'both',
      language: 'Python',
    });
    expect(result.status).toBe('completed');
    expect(result.decisions.map((d) => d.point)).toEqual(['design', 'coding', 'final']);
    for (const d of result.decisions) {
      expect(d.proposals).toHaveLength(8);
      expect(d.kept).toHaveLength(4);
      expect(d.tree.filter((n) => n.level === 1)).toHaveLength(2);
      expect(d.tree.filter((n) => n.level === 2)).toHaveLength(1);
      const leaves = d.tree.filter((n) => n.level === 1).flatMap((n) => n.inputs);
      expect(leaves.sort()).toEqual([...d.kept].sort());
      for (const p of d.pruned) expect(leaves).not.toContain(p.team);
    }
    for (const d of result.decisions.slice(0, 2))
      expect(d.deliveredTo.sort()).toEqual(result.teams.map((t) => t.id).sort());
    // the design insight reached every team's programmer in the coding prompt
    for (const team of result.teams) {
      const coding = rec.calls.find(
        (c) => c.agent === `${team.id}/programmer` && c.text.includes('Ideas shared by other teams'),
      );
      expect(coding, `${team.id} received the merged insight`).toBeDefined();
    }
    expect(Object.keys(result.files)).toContain('main.py');
  });

  it('drops a team whose model fails permanently and finishes with the rest', async () => {
    const good = new SimulatedModel({ seed: 1 });
    const broken = new SimulatedModel({ failHard: 1 });
    const teams = diversifyTeams(4, 1);
    const result = await executeCrossTeam({
      ...crossTeamDefaults,
      task: 'a calculator',
      teams,
      model: (team) => (team.id === 'team3' ? broken : good),
      decisionPoints: ['coding', 'final'],
      keep: { ratio: 0.5 },
      scorer: 'metrics',
      language: 'Python',
    });
    expect(result.status).toBe('completed');
    const dropped = result.teams.filter((t) => t.status === 'dropped');
    expect(dropped.map((t) => t.id)).toEqual(['team3']);
    expect(dropped[0]!.reason).toMatch(/coding/);
    expect(result.decisions[0]!.proposals.map((p) => p.team)).not.toContain('team3');
    expect(result.decisions[0]!.proposals).toHaveLength(3);
  });

  it('drops a team that exceeds its share of the budget at a decision point', async () => {
    const result = await executeCrossTeam({
      ...crossTeamDefaults,
      task: 'a todo app',
      teams: diversifyTeams(3, 0),
      model: () => new SimulatedModel(),
      decisionPoints: ['coding', 'final'],
      keep: { ratio: 1 },
      scorer: 'metrics',
      language: 'Python',
      teamBudget: new TeamBudgets({
        share: { usd: 0.01 },
        ownSpent: (team) => ({ usd: team === 'team2' ? 0.02 : 0.001, tokens: 0 }),
        sharedSpent: () => ({ usd: 0, tokens: 0 }),
      }),
    });
    expect(result.status).toBe('completed');
    const dropped = result.teams.find((t) => t.id === 'team2')!;
    expect(dropped).toMatchObject({ status: 'dropped', droppedAt: 'coding' });
    expect(dropped.reason).toMatch(/exceeded its share of the budget \(\$0\.0200 of \$0\.0100\)/);
    expect(result.decisions[0]!.proposals.map((p) => p.team)).toEqual(['team1', 'team3']);
  });

  it('with one team behaves like a plain single-team chain', async () => {
    const result = await executeCrossTeam({
      ...crossTeamDefaults,
      task: 'a todo app',
      teams: diversifyTeams(1, 0),
      model: () => new SimulatedModel(),
      decisionPoints: ['final'],
      keep: { ratio: 0.5 },
      scorer: 'metrics',
    });
    expect(result.status).toBe('completed');
    expect(result.decisions[0]!.tree).toEqual([]);
    expect(result.decisions[0]!.rootId).toBe('team1');
  });

  it('with one team makes exactly the calls and program runs of a single-team chain: every decision point is skipped, no judge, no aggregator', async () => {
    const [profile] = diversifyTeams(1, 3);
    const phases = resolvePhases(undefined);
    const chainLog: string[] = [];
    const chainRunner = countingRunner();
    const chain = await executeChain({
      task: 'a todo app',
      phases: phases.map((p) =>
        p.name === 'code-review' ? { ...p, rounds: Math.min(p.rounds, profile!.reviewRounds) } : p,
      ),
      roles: defaultRoles,
      model: () => tracing(new SimulatedModel({ seed: 3 }), chainLog),
      temperature: profile!.temperature,
      personaNote: profile!.personaNote,
      agentPrefix: 'team1/',
      runProgram: chainRunner.run,
      seed: 3,
    });
    const teamLog: string[] = [];
    const teamRunner = countingRunner();
    const model = tracing(new SimulatedModel({ seed: 3 }), teamLog);
    const result = await executeCrossTeam({
      ...crossTeamDefaults,
      task: 'a todo app',
      teams: [profile!],
      phases,
      model: () => model,
      decisionPoints: ['design', 'coding', 'final'],
      keep: { ratio: 0.5 },
      scorer: 'both',
      runProgram: teamRunner.run,
      seed: 3,
    });
    expect(result.status).toBe('completed');
    expect(teamLog).toEqual(chainLog);
    expect(teamLog.some((c) => /judge|aggregator/.test(c))).toBe(false);
    expect(teamRunner.runs).toEqual(chainRunner.runs);
    expect(result.files).toEqual(chain.files);
    expect(result.test).toEqual(chain.test);
    expect(result.decisions.map((d) => d.point)).toEqual(['design', 'coding', 'final']);
    for (const d of result.decisions) {
      expect(d).toMatchObject({
        proposals: [],
        kept: ['team1'],
        pruned: [],
        tree: [],
        rootId: 'team1',
        deliveredTo: [],
      });
      expect(d.skipped).toMatch(/only team1 has a proposal/);
    }
  });

  it('scores each proposal as soon as its team finishes the segment, while slower teams still work; the decision waits for every team', async () => {
    const log: string[] = [];
    const fast = tracing(new SimulatedModel({ seed: 1 }), log);
    const slow = tracing(new SimulatedModel({ seed: 1, latency: { kind: 'fixed', ms: 15 } }), log);
    const result = await executeCrossTeam({
      ...crossTeamDefaults,
      task: 'a command-line todo app',
      teams: diversifyTeams(2, 1),
      model: (team) => (team.id === 'team1' ? fast : slow),
      decisionPoints: ['design', 'coding', 'final'],
      keep: { ratio: 1 },
      scorer: 'judge',
      language: 'Python',
    });
    expect(result.status).toBe('completed');
    const segmentEnd = (phases: string[]) =>
      Math.max(
        ...phases.map((phase) => log.lastIndexOf(`end team2/cto@${phase}`)),
        ...phases.map((phase) => log.lastIndexOf(`end team2/cpo@${phase}`)),
        ...phases.map((phase) => log.lastIndexOf(`end team2/programmer@${phase}`)),
      );
    const designEnd = segmentEnd(['demand-analysis']);
    const codingEnd = segmentEnd(['coding']);
    expect(designEnd).toBeGreaterThan(0);
    // team1's proposals are judged before team2 finished the segment (pipelined scoring) …
    const at = (entry: string) => {
      expect(log, entry).toContain(entry);
      return log.indexOf(entry);
    };
    expect(at('start team1/judge@design/team1')).toBeLessThan(designEnd);
    expect(at('start team1/judge@coding/team1')).toBeLessThan(codingEnd);
    // … but merging starts only once every team is scored
    expect(at('start aggregator@merge-1.1')).toBeGreaterThan(at('end team2/judge@design/team2'));
    expect(at('start aggregator@coding/merge-1.1')).toBeGreaterThan(at('end team2/judge@coding/team2'));
    expect(result.decisions.map((d) => d.proposals.map((p) => p.team))).toEqual([
      ['team1', 'team2'],
      ['team1', 'team2'],
      ['team1', 'team2'],
    ]);
  });

  it('runs a proposal in the sandbox and asks the judge about it at the same time', async () => {
    let judgeStarted!: () => void;
    const firstJudge = new Promise<void>((resolve) => (judgeStarted = resolve));
    let waitedInVain = 0;
    // a run waits for a judge call to start: scoring one after the other would leave it waiting in vain
    const runProgram: ProgramRunner = async () => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        firstJudge,
        new Promise<void>((resolve) => (timer = setTimeout(() => resolve(void waitedInVain++), 5000))),
      ]);
      clearTimeout(timer);
      return { outcome: 'exited-ok', rule: 'exit-code', exitCode: 0, output: '', durationMs: 0 };
    };
    const model = tracing(new SimulatedModel({ seed: 2 }), [], (agent) => {
      if (agent.endsWith('/judge')) judgeStarted();
    });
    const phases = resolvePhases([{ name: 'coding' }, { name: 'code-completion' }, { name: 'manual' }]);
    const result = await executeCrossTeam({
      ...crossTeamDefaults,
      task: 'a todo app',
      teams: diversifyTeams(2, 2),
      phases,
      model: () => model,
      decisionPoints: ['final'],
      keep: { ratio: 0.5 },
      scorer: 'both',
      language: 'Python',
      runProgram,
    });
    expect(result.status).toBe('completed');
    expect(result.decisions[0]!.proposals.every((p) => p.metrics?.executability.chatdev === 1 && p.judge)).toBe(true);
    expect(waitedInVain).toBe(0);
  });

  it('runs the program once per proposal and for the merged final result, not for a merged coding result; a final result that needed no merge reuses its run', async () => {
    const options = {
      ...crossTeamDefaults,
      task: 'a todo app',
      teams: diversifyTeams(4, 6),
      model: () => new SimulatedModel({ seed: 6 }),
      decisionPoints: ['coding', 'final'] as Array<'coding' | 'final'>,
      scorer: 'metrics' as const,
      language: 'Python' as const,
    };
    const merged = countingRunner();
    const a = await executeCrossTeam({ ...options, keep: { ratio: 0.5 }, runProgram: merged.run });
    expect(a.status).toBe('completed');
    // 4 scored at coding + 4 testing phases (each passes at once) + 4 scored at final + the merged final result
    expect(merged.runs).toHaveLength(13);
    expect(a.test.outcome).toBe('exited-ok');
    const single = countingRunner();
    const b = await executeCrossTeam({ ...options, keep: { count: 1 }, pruneAbove: 0, runProgram: single.run });
    expect(b.decisions[1]!.tree).toEqual([]);
    expect(single.runs).toHaveLength(12);
    expect(b.test.outcome).toBe('exited-ok');
  });

  it('never scores a team that failed or went over its budget share', async () => {
    const log: string[] = [];
    const good = tracing(new SimulatedModel({ seed: 1 }), log);
    const broken = tracing(new SimulatedModel({ failHard: 1 }), log);
    const result = await executeCrossTeam({
      ...crossTeamDefaults,
      task: 'a calculator',
      teams: diversifyTeams(4, 1),
      model: (team) => (team.id === 'team3' ? broken : good),
      decisionPoints: ['design', 'coding', 'final'],
      keep: { ratio: 0.5 },
      scorer: 'judge',
      language: 'Python',
      teamBudget: new TeamBudgets({
        share: { usd: 0.01 },
        ownSpent: (team) => ({ usd: team === 'team2' ? 0.02 : 0.001, tokens: 0 }),
        sharedSpent: () => ({ usd: 0, tokens: 0 }),
      }),
    });
    expect(result.status).toBe('completed');
    expect(result.teams.filter((t) => t.status === 'dropped').map((t) => [t.id, t.droppedAt])).toEqual([
      ['team2', 'design'],
      ['team3', 'design'],
    ]);
    expect(log.filter((c) => /^start \S*judge@/.test(c) && /team[23]$/.test(c))).toEqual([]);
    expect(log.filter((c) => /^start \S*judge@/.test(c)).length).toBeGreaterThan(0);
    for (const d of result.decisions) expect(d.proposals.map((p) => p.team)).toEqual(['team1', 'team4']);
  });

  it('drops a team whose proposal cannot be scored (its judge fails) and carries on with the others', async () => {
    const good = new SimulatedModel({ seed: 1 });
    const broken = new SimulatedModel({ failHard: 1 });
    const result = await executeCrossTeam({
      ...crossTeamDefaults,
      task: 'a calculator',
      teams: diversifyTeams(3, 1),
      model: (team, role) => (team.id === 'team2' && role === 'judge' ? broken : good),
      decisionPoints: ['design', 'coding', 'final'],
      keep: { ratio: 0.5 },
      scorer: 'metrics',
      language: 'Python',
    });
    expect(result.status).toBe('completed');
    const dropped = result.teams.find((t) => t.id === 'team2')!;
    expect(dropped).toMatchObject({ status: 'dropped', droppedAt: 'design' });
    expect(dropped.reason).toMatch(/its proposal could not be scored: simulated permanent failure/);
    expect(result.decisions[0]!.proposals.map((p) => p.team)).toEqual(['team1', 'team3']);
  });

  it('skips the decision points once a single team is left (it was scored at the point where a second team had started the segment)', async () => {
    const log: string[] = [];
    const good = tracing(new SimulatedModel({ seed: 1 }), log);
    const broken = tracing(new SimulatedModel({ failHard: 1 }), log);
    const result = await executeCrossTeam({
      ...crossTeamDefaults,
      task: 'a calculator',
      teams: diversifyTeams(2, 1),
      model: (team) => (team.id === 'team2' ? broken : good),
      decisionPoints: ['design', 'coding', 'final'],
      keep: { ratio: 0.5 },
      scorer: 'judge',
      language: 'Python',
    });
    expect(result.status).toBe('completed');
    expect(result.teams.map((t) => t.status)).toEqual(['active', 'dropped']);
    const [design, coding, final] = result.decisions;
    // team2 failed during the design segment, after team1's proposal had been judged
    expect(design!.proposals.map((p) => p.team)).toEqual(['team1']);
    expect(design!.skipped).toMatch(/only team1/);
    expect(coding!.proposals).toEqual([]);
    expect(final!.proposals).toEqual([]);
    expect(log.filter((c) => /^start \S*judge@/.test(c))).toEqual(['start team1/judge@design/team1']);
    expect(log.some((c) => c.includes('aggregator'))).toBe(false);
    expect(Object.keys(result.files)).toContain('main.py');
  });

  it('ends with the merged code when the chain ends at a code decision point', async () => {
    const phases = resolvePhases([{ name: 'demand-analysis' }, { name: 'coding' }, { name: 'code-completion' }]);
    const runner = countingRunner();
    const result = await executeCrossTeam({
      ...crossTeamDefaults,
      task: 'a todo app',
      teams: diversifyTeams(3, 0),
      phases,
      model: () => new SimulatedModel(),
      decisionPoints: ['completion'],
      keep: { ratio: 1 },
      scorer: 'metrics',
      language: 'Python',
      runProgram: runner.run,
    });
    expect(result.status).toBe('completed');
    expect(result.decisions.map((d) => d.point)).toEqual(['completion']);
    expect(result.decisions[0]!.deliveredTo).toEqual([]);
    expect(Object.keys(result.files)).toContain('main.py');
    expect(result.test.outcome).toBe('exited-ok');
  });

  it('resumes from the checkpoint after a decision point without running the earlier segments again', async () => {
    const base = {
      ...crossTeamDefaults,
      task: 'a todo app',
      teams: diversifyTeams(3, 4),
      decisionPoints: ['design', 'coding', 'final'] as DecisionPoint[],
      keep: { ratio: 0.7 },
      scorer: 'metrics' as const,
      language: 'Python' as const,
    };
    const first = recording(new SimulatedModel({ seed: 6 }));
    const checkpoints: Array<{ checkpoint: CrossTeamCheckpoint; callsSoFar: number }> = [];
    const full = await executeCrossTeam({
      ...base,
      model: () => first.model,
      onCheckpoint: (c) =>
        checkpoints.push({
          checkpoint: JSON.parse(JSON.stringify(c)) as CrossTeamCheckpoint,
          callsSoFar: first.calls.length,
        }),
    });
    expect(full.status).toBe('completed');
    expect(checkpoints.map((c) => c.checkpoint.point)).toEqual(['design', 'coding']);

    for (const { checkpoint, callsSoFar } of checkpoints) {
      const again = recording(new SimulatedModel({ seed: 6 }));
      const resumed = await executeCrossTeam({ ...base, model: () => again.model, resumeFrom: checkpoint });
      // only the work after the checkpoint is done again, and it comes out the same
      expect(callsSoFar).toBeGreaterThan(0);
      expect(again.calls).toHaveLength(first.calls.length - callsSoFar);
      expect(resumed.files).toEqual(full.files);
      expect(resumed.decisions).toEqual(full.decisions);
      expect(resumed.teams.map((t) => t.phases.map((p) => p.name))).toEqual(
        full.teams.map((t) => t.phases.map((p) => p.name)),
      );
    }
  });
});

describe('runStoryTeams checkpoints', () => {
  it('resumes after a stage without writing the earlier stages again, to the same story', async () => {
    const base = {
      ...storyDefaults,
      premise: 'a lighthouse keeper finds a message in a bottle',
      teams: diversifyTeams(3, 2),
      keep: { ratio: 0.7 },
    };
    const first = recording(new SimulatedModel({ seed: 2 }));
    const checkpoints: Array<{ checkpoint: StoryCheckpoint; callsSoFar: number }> = [];
    const full = await runStoryTeams({
      ...base,
      model: () => first.model,
      onCheckpoint: (c) =>
        checkpoints.push({
          checkpoint: JSON.parse(JSON.stringify(c)) as StoryCheckpoint,
          callsSoFar: first.calls.length,
        }),
    });
    expect(checkpoints.map((c) => c.checkpoint.stage)).toEqual(['outline', 'draft']);
    for (const { checkpoint, callsSoFar } of checkpoints) {
      const again = recording(new SimulatedModel({ seed: 2 }));
      const resumed = await runStoryTeams({ ...base, model: () => again.model, resumeFrom: checkpoint });
      expect(callsSoFar).toBeGreaterThan(0);
      expect(again.calls).toHaveLength(first.calls.length - callsSoFar);
      expect(again.calls.some((c) => c.agent.endsWith('/writer') && /Write the outline/.test(c.text))).toBe(false);
      expect(resumed.story).toBe(full.story);
      expect(resumed.decisions).toEqual(full.decisions);
    }
  });

  it('with one team makes no judge call', async () => {
    const { model, calls } = recording(new SimulatedModel({ seed: 2 }));
    const result = await runStoryTeams({
      ...storyDefaults,
      premise: 'a robot learns to paint',
      teams: diversifyTeams(1, 0),
      model: () => model,
      keep: { ratio: 0.5 },
    });
    expect(result.status).toBe('completed');
    // the team's own chain only: writer, editor and the writer's revision when the editor asks for one
    expect(new Set(calls.map((c) => c.agent))).toEqual(new Set(['team1/writer', 'team1/editor']));
    expect(result.decisions.map((d) => d.proposals)).toEqual([[], [], []]);
    expect(result.decisions.map((d) => d.skipped)).toEqual(
      [0, 1, 2].map(() => 'only team1 has a text: nothing to prune or merge'),
    );
  });
});

describe('runStoryTeams', () => {
  it('runs outline → draft → revise with pruning and merging at each stage', async () => {
    const options = {
      ...storyDefaults,
      premise: 'a lighthouse keeper finds a message in a bottle',
      model: () => new SimulatedModel({ seed: 2 }),
      keep: { ratio: 0.5 },
    };
    const result = await runStoryTeams({ ...options, teams: diversifyTeams(8, 2) });
    expect(result.status).toBe('completed');
    expect(result.decisions.map((d) => d.point)).toEqual(['outline', 'draft', 'revise']);
    for (const d of result.decisions) {
      expect(d.kept).toHaveLength(4);
      expect(d.tree).toHaveLength(3);
      for (const p of d.pruned) expect(p.reason).toMatch(/^score \d/);
    }
    expect(result.story.split(/\s+/).length).toBeGreaterThan(100);
    // four texts are few enough to merge them all (the reference prunes above four)
    const four = await runStoryTeams({ ...options, teams: diversifyTeams(4, 2) });
    for (const d of four.decisions)
      expect(d).toMatchObject({ pruneApplied: false, pruned: [], kept: expect.any(Array) });
    expect(four.decisions.map((d) => d.kept.length)).toEqual([4, 4, 4]);
  });

  it('each team is a chain: the writer writes, the editor critiques, the writer revises with the notes', async () => {
    const { model, calls } = recording(new SimulatedModel({ seed: 3 }));
    const result = await runStoryTeams({
      ...storyDefaults,
      premise: 'a robot learns to paint',
      teams: diversifyTeams(2, 3).map((t) => ({ ...t, reviewRounds: 3 })),
      model: () => model,
      keep: { ratio: 1 },
      editRounds: 2,
    });
    expect(result.status).toBe('completed');
    for (const team of ['team1', 'team2']) {
      const own = calls.filter((c) => c.agent.startsWith(`${team}/`) && !c.agent.endsWith('/judge'));
      expect(own[0]!.agent).toBe(`${team}/writer`);
      const edits = own.filter((c) => c.agent === `${team}/editor`);
      // one to two editor rounds per stage (the editor may approve at once)
      expect(edits.length).toBeGreaterThanOrEqual(3);
      expect(edits.length).toBeLessThanOrEqual(6);
      for (const e of edits) expect(e.text).toContain('Critique it');
      const revisions = own.filter((c) => c.agent === `${team}/writer` && c.text.includes("Your editor's notes"));
      // each revision follows an editor's notes (an approval asks for none)
      expect(revisions.length).toBeLessThanOrEqual(edits.length);
    }
    expect(calls.filter((c) => c.text.includes("Your editor's notes")).length).toBeGreaterThan(0);
    for (const team of result.teams) for (const p of team.phases) expect(p.note).toMatch(/editor/);
  });

  it('judges each text as soon as its team wrote it; with one team it only writes (no judge, no aggregator)', async () => {
    const log: string[] = [];
    const fast = tracing(new SimulatedModel({ seed: 2 }), log);
    const slow = tracing(new SimulatedModel({ seed: 2, latency: { kind: 'fixed', ms: 15 } }), log);
    const two = await runStoryTeams({
      ...storyDefaults,
      premise: 'a lighthouse keeper',
      teams: diversifyTeams(2, 2),
      model: (team) => (team.id === 'team1' ? fast : slow),
      keep: { ratio: 1 },
    });
    expect(two.status).toBe('completed');
    const at = (entry: string) => {
      expect(log, entry).toContain(entry);
      return log.indexOf(entry);
    };
    const team2Done = Math.max(
      log.lastIndexOf('end team2/writer@outline/team2'),
      log.lastIndexOf('end team2/editor@outline/team2'),
    );
    expect(at('start team1/judge@outline/judge/team1')).toBeLessThan(team2Done);
    expect(at('start aggregator@outline/merge-1.1')).toBeGreaterThan(at('end team2/judge@outline/judge/team2'));
    const alone: string[] = [];
    const one = await runStoryTeams({
      ...storyDefaults,
      premise: 'a lighthouse keeper',
      teams: diversifyTeams(1, 2),
      model: () => tracing(new SimulatedModel({ seed: 2 }), alone),
      keep: { ratio: 0.5 },
    });
    expect(one.status).toBe('completed');
    const started = alone.filter((c) => c.startsWith('start'));
    expect(started.filter((c) => /judge|aggregator/.test(c))).toEqual([]);
    for (const stage of ['outline', 'draft', 'revise'])
      expect(started.find((c) => c.endsWith(`@${stage}/team1`))).toBe(`start team1/writer@${stage}/team1`);
    expect(one.decisions.map((d) => d.skipped)).toEqual(
      Array(3).fill('only team1 has a text: nothing to prune or merge'),
    );
    expect(one.story).toBe(one.teams[0]!.artifacts.revise);
  });
});

describe('pruning threshold and ties', () => {
  it('prunes only when more proposals than the threshold wait: four are all kept, five are cut to the best share', () => {
    const proposals = [0.9, 0.8, 0.7, 0.6, 0.5].map((score, i) => ({ id: `team${i + 1}`, value: i, score }));
    const four = pruneGreedy(proposals.slice(0, 4), { ratio: 0.5 }, { above: 4 });
    expect(four).toMatchObject({ applied: false, pruned: [] });
    expect(four.kept).toHaveLength(4);
    const five = pruneGreedy(proposals, { ratio: 0.5 }, { above: 4 });
    expect(five.applied).toBe(true);
    expect(five.kept.map((k) => k.id)).toEqual(['team1', 'team2', 'team3']);
    expect(pruneReason(five.pruned[0]!, five.kept, 5, { above: 4 })).toBe(
      'score 0.6 below the lowest kept (0.7; keeping 3 of 5, as more than 4 were proposed)',
    );
  });

  it('reports ties, orders them by the second signal and names both values in the reason', () => {
    const proposals = [
      { id: 'team1', value: 1, score: 0.8, tiebreak: 0.55 },
      { id: 'team2', value: 2, score: 0.8, tiebreak: 0.7 },
      { id: 'team3', value: 3, score: 0.9 },
      { id: 'team4', value: 4, score: 0.4 },
    ];
    expect(undecidedTies(proposals, { count: 2 })).toEqual([]);
    const { kept, pruned, ties } = pruneGreedy(proposals, { count: 2 });
    expect(kept.map((k) => k.id)).toEqual(['team3', 'team2']);
    expect(ties).toEqual([{ score: 0.8, teams: ['team2', 'team1'], broken: true }]);
    expect(pruneReason(pruned[0]!, kept, 4, { tiebreakName: 'judge score' })).toBe(
      'score 0.8 tied with the lowest kept; lost the tie-break on judge score (0.55 against 0.7; keeping 2 of 4)',
    );
    // without the second signal the tie is undecided: the caller asks for it
    const bare = proposals.map(({ tiebreak: _, ...p }) => p);
    expect(undecidedTies(bare, { count: 2 })).toEqual(['team1', 'team2']);
    expect(pruneGreedy(bare, { count: 2 }).ties).toEqual([{ score: 0.8, teams: ['team1', 'team2'], broken: false }]);
  });
});

describe('executeCrossTeam at the paper’s decision points', () => {
  it('two teams merge at coding, code completion and the end, and both continue from each merged result', async () => {
    const rec = recording(new SimulatedModel({ seed: 3 }));
    const checkpoints: CrossTeamCheckpoint[] = [];
    const result = await executeCrossTeam({
      ...crossTeamDefaults,
      task: 'a command-line todo app',
      teams: diversifyTeams(2, 3),
      model: () => rec.model,
      decisionPoints: defaultDecisionPoints,
      keep: { ratio: 0.5 },
      scorer: 'metrics',
      language: 'Python',
      onCheckpoint: (c) => checkpoints.push(JSON.parse(JSON.stringify(c)) as CrossTeamCheckpoint),
    });
    expect(result.status).toBe('completed');
    expect(result.decisions.map((d) => d.point)).toEqual(['coding', 'completion', 'final']);
    for (const d of result.decisions) {
      // two proposals are merged, never reduced to a selection
      expect(d.pruneApplied).toBe(false);
      expect(d.kept.sort()).toEqual(['team1', 'team2']);
      expect(d.pruned).toEqual([]);
      expect(d.tree).toEqual([{ id: 'merge-1.1', level: 1, inputs: expect.any(Array) }]);
    }
    expect(result.decisions.map((d) => d.deliveredTo)).toEqual([['team1', 'team2'], ['team1', 'team2'], []]);
    // after each point but the last every team holds the merged code
    expect(checkpoints.map((c) => c.point)).toEqual(['coding', 'completion']);
    for (const c of checkpoints) expect(c.teams[0]!.files).toEqual(c.teams[1]!.files);
    expect(rec.calls.filter((c) => c.agent === 'aggregator')).toHaveLength(3);
  });

  it('with 8 teams prunes to half at every point, and every reason names scores', async () => {
    const result = await executeCrossTeam({
      ...crossTeamDefaults,
      task: 'a command-line todo app',
      teams: diversifyTeams(8, 4),
      model: () => new SimulatedModel({ seed: 4 }),
      decisionPoints: defaultDecisionPoints,
      keep: { ratio: 0.5 },
      scorer: 'both',
      language: 'Python',
    });
    expect(result.decisions.map((d) => d.point)).toEqual(['coding', 'completion', 'final']);
    for (const d of result.decisions) {
      expect(d.pruneApplied).toBe(true);
      expect(d.kept).toHaveLength(4);
      expect(d.pruned).toHaveLength(4);
      for (const p of d.pruned) {
        expect(p.reason).toMatch(/^score \d(\.\d+)? (below the lowest kept \(\d|tied with the lowest kept)/);
        expect(p.reason).not.toMatch(/team\d/);
      }
    }
  });

  it('breaks a tie of the metrics with the judge, asked only for the tied proposals, not with team ids', async () => {
    const calls: string[] = [];
    const model = sameCode(new SimulatedModel({ seed: 5 }), calls);
    const result = await executeCrossTeam({
      ...crossTeamDefaults,
      task: 'a todo list',
      teams: diversifyTeams(6, 5),
      phases: resolvePhases([{ name: 'coding' }]),
      model: () => model,
      decisionPoints: ['coding'],
      keep: { ratio: 0.5 },
      scorer: 'metrics',
      language: 'Python',
    });
    const [d] = result.decisions;
    expect(new Set(d!.proposals.map((p) => p.metrics?.quality.mean)).size).toBe(1);
    expect(d!.ties).toEqual([{ score: d!.proposals[0]!.score, teams: expect.any(Array), broken: true }]);
    expect(d!.tiebreak).toBe('judge score');
    const judged = calls.filter((c) => c.includes('/judge@'));
    expect(judged.sort()).toEqual(
      diversifyTeams(6, 5)
        .map((t) => `${t.id}/judge@coding/tie-break/${t.id}`)
        .sort(),
    );
    const judgeOf = (team: string) => d!.proposals.find((p) => p.team === team)!.judge!.score;
    const lowestKept = Math.min(...d!.kept.map(judgeOf));
    for (const p of d!.pruned) {
      expect(judgeOf(p.team)).toBeLessThanOrEqual(lowestKept);
      expect(p.reason).toMatch(/tie-break on judge score \([\d.]+ against [\d.]+|and on judge score/);
    }
  });

  it('starts every team from the given codebase (--from)', async () => {
    const rec = recording(new SimulatedModel({ seed: 2 }));
    await executeCrossTeam({
      ...crossTeamDefaults,
      task: 'add a search command to the todo app',
      teams: diversifyTeams(3, 2),
      phases: resolvePhases([{ name: 'coding' }]),
      model: () => rec.model,
      decisionPoints: ['final'],
      keep: { ratio: 1 },
      scorer: 'metrics',
      language: 'Python',
      initial: { 'todo_store.py': 'EXISTING_TODO_STORE = []\n' },
    });
    for (const team of ['team1', 'team2', 'team3']) {
      const coding = rec.calls.find((c) => c.agent === `${team}/programmer`);
      expect(coding?.text, team).toContain('EXISTING_TODO_STORE');
    }
  });
});

describe('per-team budget shares', () => {
  const base = {
    ...crossTeamDefaults,
    task: 'a todo app',
    decisionPoints: defaultDecisionPoints,
    keep: { ratio: 1 },
    scorer: 'judge' as const,
    language: 'Python' as const,
  };

  it('charges a team its own calls, its judge and an equal part of the merges made for it', async () => {
    const own = new Map([['team1', { usd: 0.01, tokens: 100 }]]);
    let shared = { usd: 0, tokens: 0 };
    const budgets = new TeamBudgets({
      share: { usd: 0.05 },
      ownSpent: (team) => own.get(team) ?? { usd: 0, tokens: 0 },
      sharedSpent: () => shared,
    });
    await budgets.shared(['team1', 'team2'], async () => {
      shared = { usd: 0.04, tokens: 400 };
    });
    expect(budgets.spent('team1')).toEqual({ usd: 0.03, tokens: 300 });
    expect(budgets.spent('team2')).toEqual({ usd: 0.02, tokens: 200 });
    expect(budgets.excess('team1')).toBeUndefined();
    own.set('team1', { usd: 0.04, tokens: 100 });
    expect(budgets.excess('team1')).toBe('exceeded its share of the budget ($0.0600 of $0.0500)');
  });

  it('drops the one team whose call would pass its share, says so, and finishes with the others', async () => {
    const spent = new Map<string, number>();
    const sim = new SimulatedModel({ seed: 1 });
    const budgets = new TeamBudgets({
      share: { tokens: 60_000 },
      ownSpent: (team) => ({ usd: 0, tokens: spent.get(team) ?? 0 }),
      sharedSpent: () => ({ usd: 0, tokens: spent.get('aggregator') ?? 0 }),
    });
    const events: CrossTeamEvent[] = [];
    const result = await executeCrossTeam({
      ...base,
      teams: diversifyTeams(3, 1),
      // team2's calls are expensive; the judge scoring a team's proposal counts against that team
      model: (team, role) =>
        role === 'aggregator'
          ? metered(sim, spent, 'aggregator', 300)
          : budgets.wrap(team.id, metered(sim, spent, team.id, team.id === 'team2' ? 8000 : 300), undefined),
      teamBudget: budgets,
      onEvent: (e) => events.push(e),
    });
    expect(result.status).toBe('completed');
    expect(result.teams.map((t) => t.status)).toEqual(['active', 'dropped', 'active']);
    const dropped = result.teams[1]!;
    expect(dropped.reason).toMatch(
      /^exceeded its share of the budget \(spent \d+ tokens of 60000 tokens; its next call would take it to about \d+ tokens\)$/,
    );
    expect(events.filter((e) => e.type === 'team-dropped')).toEqual([
      { type: 'team-dropped', team: 'team2', reason: dropped.reason },
    ]);
    expect(result.decisions.at(-1)!.proposals.map((p) => p.team)).toEqual(['team1', 'team3']);
    // the merges were charged to the teams they served
    expect(budgets.spent('team1').tokens).toBeGreaterThan(spent.get('team1')!);
  });

  it("counts a team's self-correction critic against its share: a team whose critic is costly is dropped", async () => {
    const spent = new Map<string, number>();
    const sim = new SimulatedModel({ seed: 1 });
    const budgets = new TeamBudgets({
      share: { tokens: 60_000 },
      ownSpent: (team) => ({ usd: 0, tokens: spent.get(team) ?? 0 }),
      sharedSpent: () => ({ usd: 0, tokens: spent.get('aggregator') ?? 0 }),
    });
    const critics: string[] = [];
    const result = await executeCrossTeam({
      ...base,
      scorer: 'metrics',
      teams: diversifyTeams(3, 1),
      selfCorrect: { rounds: 3, threshold: 10, hooks: ['after-coding', 'after-review'] },
      // only team2's critic is expensive; its other agents cost what everyone's do
      model: (team, role) => {
        if (role === 'aggregator') return metered(sim, spent, 'aggregator', 300);
        if (role === 'critic') critics.push(team.id);
        const cost = role === 'critic' && team.id === 'team2' ? 20_000 : 300;
        return budgets.wrap(team.id, metered(sim, spent, team.id, cost), undefined);
      },
      teamBudget: budgets,
    });
    expect(new Set(critics)).toEqual(new Set(['team1', 'team2', 'team3']));
    expect(result.teams.map((t) => t.status)).toEqual(['active', 'dropped', 'active']);
    expect(result.teams[1]!.reason).toMatch(/^exceeded its share of the budget/);
  });

  it('stops the run with the run budget’s message when every team ran out of its share', async () => {
    const spent = new Map<string, number>();
    const sim = new SimulatedModel({ seed: 1 });
    const budgets = new TeamBudgets({
      share: { tokens: 20_000 },
      ownSpent: (team) => ({ usd: 0, tokens: spent.get(team) ?? 0 }),
      sharedSpent: () => ({ usd: 0, tokens: 0 }),
      run: {
        limits: { maxTokens: 40_000 },
        spent: () => ({ usd: 0, tokens: [...spent.values()].reduce((a, b) => a + b, 0) }),
      },
    });
    const run = executeCrossTeam({
      ...base,
      teams: diversifyTeams(2, 1),
      model: (team, role) =>
        role === 'aggregator' ? sim : budgets.wrap(team.id, metered(sim, spent, team.id, 6000), undefined),
      teamBudget: budgets,
    });
    const error = await run.catch((e: unknown) => e);
    expect(BudgetExceededError.isInstance(error)).toBe(true);
    expect((error as BudgetExceededError).scope).toBeUndefined();
    expect((error as Error).message).toMatch(/^budget reached: spent \d+ tokens of 40000 tokens;/);
  });
});

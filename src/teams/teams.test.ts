import type { LanguageModelV3 } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { defaultRoles } from '../agents/index.js';
import { partitionMerge } from '../common/index.js';
import { SimulatedModel, promptToMessagesForTest } from './test-helpers.js';
import { resolvePhases } from '../software/phases.js';
import { executeChain, type ProgramRunner, type TestOutcome } from '../software/chain.js';
import { executeCrossTeam, type CrossTeamCheckpoint, type DecisionPoint } from './cross-team.js';
import { diversifyTeams } from './diversify.js';
import { extractJson, judgeProposal } from './judge.js';
import { codeMetrics, proposalScore } from './metrics.js';
import { pruneGreedy, pruneReason } from './prune.js';
import { runStoryTeams, type StoryCheckpoint } from './story.js';

/** Wraps a model to record each call's agent name and prompt text. */
function recording(model: LanguageModelV3) {
  const calls: Array<{ agent: string; text: string }> = [];
  const wrapped: LanguageModelV3 = {
    ...model,
    specificationVersion: 'v3',
    provider: model.provider,
    modelId: model.modelId,
    supportedUrls: {},
    doGenerate: async (options) => {
      const agent = String((options.providerOptions?.crosstalk as { agent?: string } | undefined)?.agent ?? '');
      calls.push({ agent, text: promptToMessagesForTest(options.prompt) });
      return model.doGenerate(options);
    },
    doStream: (options) => model.doStream(options),
  };
  return { model: wrapped, calls };
}

/** Wraps a model to log when each call starts and ends, as `start|end agent@scope`. */
function tracing(model: LanguageModelV3, log: string[], onStart?: (agent: string, scope: string) => void) {
  const wrapped: LanguageModelV3 = {
    specificationVersion: 'v3',
    provider: model.provider,
    modelId: model.modelId,
    supportedUrls: {},
    doGenerate: async (options) => {
      const meta = (options.providerOptions?.crosstalk ?? {}) as { agent?: string; scope?: string };
      const call = `${meta.agent ?? ''}@${meta.scope ?? ''}`;
      log.push(`start ${call}`);
      onStart?.(meta.agent ?? '', meta.scope ?? '');
      const result = await model.doGenerate(options);
      log.push(`end ${call}`);
      return result;
    },
    doStream: (options) => model.doStream(options),
  };
  return wrapped;
}

/** A program runner that always succeeds and counts its runs. */
function countingRunner(): { run: ProgramRunner; runs: string[] } {
  const runs: string[] = [];
  const run: ProgramRunner = async (files) => {
    runs.push(Object.keys(files).sort().join(','));
    return { outcome: 'exited-ok', rule: 'exit-code', exitCode: 0, output: '', durationMs: 0 } satisfies TestOutcome;
  };
  return { run, runs };
}

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
      ['team11', 'score 0.729 tied with the lowest kept; ties go to the earlier team id (keeping 2 of 4)'],
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
      task: 'a command-line todo app',
      teams: diversifyTeams(8, 4),
      phases: resolvePhases(undefined),
      roles: defaultRoles,
      model: () => rec.model,
      decisionPoints: ['design', 'coding', 'final'],
      keep: { ratio: 0.5 },
      groupSize: 2,
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
      task: 'a calculator',
      teams,
      phases: resolvePhases(undefined),
      roles: defaultRoles,
      model: (team) => (team.id === 'team3' ? broken : good),
      decisionPoints: ['coding', 'final'],
      keep: { ratio: 0.5 },
      groupSize: 2,
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
      task: 'a todo app',
      teams: diversifyTeams(3, 0),
      phases: resolvePhases(undefined),
      roles: defaultRoles,
      model: () => new SimulatedModel(),
      decisionPoints: ['coding', 'final'],
      keep: { ratio: 1 },
      groupSize: 2,
      scorer: 'metrics',
      language: 'Python',
      teamBudget: { share: { usd: 0.01 }, spent: (team) => ({ usd: team === 'team2' ? 0.02 : 0.001, tokens: 0 }) },
    });
    expect(result.status).toBe('completed');
    const dropped = result.teams.find((t) => t.id === 'team2')!;
    expect(dropped).toMatchObject({ status: 'dropped', droppedAt: 'coding' });
    expect(dropped.reason).toMatch(/exceeded its share of the budget \(\$0\.0200 of \$0\.0100\)/);
    expect(result.decisions[0]!.proposals.map((p) => p.team)).toEqual(['team1', 'team3']);
  });

  it('with one team behaves like a plain single-team chain', async () => {
    const result = await executeCrossTeam({
      task: 'a todo app',
      teams: diversifyTeams(1, 0),
      phases: resolvePhases(undefined),
      roles: defaultRoles,
      model: () => new SimulatedModel(),
      decisionPoints: ['final'],
      keep: { ratio: 0.5 },
      groupSize: 2,
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
      task: 'a todo app',
      teams: [profile!],
      phases,
      roles: defaultRoles,
      model: () => model,
      decisionPoints: ['design', 'coding', 'final'],
      keep: { ratio: 0.5 },
      groupSize: 2,
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
      task: 'a command-line todo app',
      teams: diversifyTeams(2, 1),
      phases: resolvePhases(undefined),
      roles: defaultRoles,
      model: (team) => (team.id === 'team1' ? fast : slow),
      decisionPoints: ['design', 'coding', 'final'],
      keep: { ratio: 1 },
      groupSize: 2,
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
    const codingEnd = segmentEnd(['coding', 'code-completion']);
    expect(designEnd).toBeGreaterThan(0);
    // team1's proposals are judged before team2 finished the segment (pipelined scoring) …
    expect(log.indexOf('start judge@design/team1')).toBeLessThan(designEnd);
    expect(log.indexOf('start judge@coding/team1')).toBeLessThan(codingEnd);
    // … but merging starts only once every team is scored
    expect(log.indexOf('start aggregator@merge-1.1')).toBeGreaterThan(log.indexOf('end judge@design/team2'));
    expect(log.indexOf('start aggregator@coding/merge-1.1')).toBeGreaterThan(log.indexOf('end judge@coding/team2'));
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
      if (agent === 'judge') judgeStarted();
    });
    const phases = resolvePhases([{ name: 'coding' }, { name: 'code-completion' }, { name: 'manual' }]);
    const result = await executeCrossTeam({
      task: 'a todo app',
      teams: diversifyTeams(2, 2),
      phases,
      roles: defaultRoles,
      model: () => model,
      decisionPoints: ['final'],
      keep: { ratio: 0.5 },
      groupSize: 2,
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
      task: 'a todo app',
      teams: diversifyTeams(4, 6),
      phases: resolvePhases(undefined),
      roles: defaultRoles,
      model: () => new SimulatedModel({ seed: 6 }),
      decisionPoints: ['coding', 'final'] as Array<'coding' | 'final'>,
      groupSize: 2,
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
    const b = await executeCrossTeam({ ...options, keep: { count: 1 }, runProgram: single.run });
    expect(b.decisions[1]!.tree).toEqual([]);
    expect(single.runs).toHaveLength(12);
    expect(b.test.outcome).toBe('exited-ok');
  });

  it('never scores a team that failed or went over its budget share', async () => {
    const log: string[] = [];
    const good = tracing(new SimulatedModel({ seed: 1 }), log);
    const broken = tracing(new SimulatedModel({ failHard: 1 }), log);
    const result = await executeCrossTeam({
      task: 'a calculator',
      teams: diversifyTeams(4, 1),
      phases: resolvePhases(undefined),
      roles: defaultRoles,
      model: (team) => (team.id === 'team3' ? broken : good),
      decisionPoints: ['design', 'coding', 'final'],
      keep: { ratio: 0.5 },
      groupSize: 2,
      scorer: 'judge',
      language: 'Python',
      teamBudget: { share: { usd: 0.01 }, spent: (team) => ({ usd: team === 'team2' ? 0.02 : 0.001, tokens: 0 }) },
    });
    expect(result.status).toBe('completed');
    expect(result.teams.filter((t) => t.status === 'dropped').map((t) => [t.id, t.droppedAt])).toEqual([
      ['team2', 'design'],
      ['team3', 'design'],
    ]);
    expect(log.filter((c) => c.startsWith('start judge@') && /team[23]$/.test(c))).toEqual([]);
    for (const d of result.decisions) expect(d.proposals.map((p) => p.team)).toEqual(['team1', 'team4']);
  });

  it('drops a team whose proposal cannot be scored (its judge fails) and carries on with the others', async () => {
    const good = new SimulatedModel({ seed: 1 });
    const broken = new SimulatedModel({ failHard: 1 });
    const result = await executeCrossTeam({
      task: 'a calculator',
      teams: diversifyTeams(3, 1),
      phases: resolvePhases(undefined),
      roles: defaultRoles,
      model: (team, role) => (team.id === 'team2' && role === 'judge' ? broken : good),
      decisionPoints: ['design', 'coding', 'final'],
      keep: { ratio: 0.5 },
      groupSize: 2,
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
      task: 'a calculator',
      teams: diversifyTeams(2, 1),
      phases: resolvePhases(undefined),
      roles: defaultRoles,
      model: (team) => (team.id === 'team2' ? broken : good),
      decisionPoints: ['design', 'coding', 'final'],
      keep: { ratio: 0.5 },
      groupSize: 2,
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
    expect(log.filter((c) => c.startsWith('start judge@'))).toEqual(['start judge@design/team1']);
    expect(log.some((c) => c.includes('aggregator'))).toBe(false);
    expect(Object.keys(result.files)).toContain('main.py');
  });

  it('ends with the merged code when the chain ends at the coding decision point', async () => {
    const phases = resolvePhases([{ name: 'demand-analysis' }, { name: 'coding' }, { name: 'code-completion' }]);
    const runner = countingRunner();
    const result = await executeCrossTeam({
      task: 'a todo app',
      teams: diversifyTeams(3, 0),
      phases,
      roles: defaultRoles,
      model: () => new SimulatedModel(),
      decisionPoints: ['coding'],
      keep: { ratio: 1 },
      groupSize: 2,
      scorer: 'metrics',
      language: 'Python',
      runProgram: runner.run,
    });
    expect(result.status).toBe('completed');
    expect(result.decisions.map((d) => d.point)).toEqual(['coding']);
    expect(result.decisions[0]!.deliveredTo).toEqual([]);
    expect(Object.keys(result.files)).toContain('main.py');
    expect(result.test.outcome).toBe('exited-ok');
  });

  it('resumes from the checkpoint after a decision point without running the earlier segments again', async () => {
    const base = {
      task: 'a todo app',
      teams: diversifyTeams(3, 4),
      phases: resolvePhases(undefined),
      roles: defaultRoles,
      decisionPoints: ['design', 'coding', 'final'] as DecisionPoint[],
      keep: { ratio: 0.7 },
      groupSize: 2,
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
      premise: 'a lighthouse keeper finds a message in a bottle',
      teams: diversifyTeams(3, 2),
      keep: { ratio: 0.7 },
      groupSize: 2,
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
      premise: 'a robot learns to paint',
      teams: diversifyTeams(1, 0),
      model: () => model,
      keep: { ratio: 0.5 },
      groupSize: 2,
    });
    expect(result.status).toBe('completed');
    expect(calls.map((c) => c.agent)).toEqual(['team1/writer', 'team1/writer', 'team1/writer']);
    expect(result.decisions.map((d) => d.proposals)).toEqual([[], [], []]);
    expect(result.decisions.map((d) => d.skipped)).toEqual(
      [0, 1, 2].map(() => 'only team1 has a text: nothing to prune or merge'),
    );
  });
});

describe('runStoryTeams', () => {
  it('runs outline → draft → revise with pruning and merging at each stage', async () => {
    const result = await runStoryTeams({
      premise: 'a lighthouse keeper finds a message in a bottle',
      teams: diversifyTeams(4, 2),
      model: () => new SimulatedModel({ seed: 2 }),
      keep: { ratio: 0.5 },
      groupSize: 2,
    });
    expect(result.status).toBe('completed');
    expect(result.decisions.map((d) => d.point)).toEqual(['outline', 'draft', 'revise']);
    for (const d of result.decisions) {
      expect(d.kept).toHaveLength(2);
      expect(d.tree).toHaveLength(1);
    }
    expect(result.story.split(/\s+/).length).toBeGreaterThan(100);
  });

  it('judges each text as soon as its team wrote it; with one team it only writes (no judge, no aggregator)', async () => {
    const log: string[] = [];
    const fast = tracing(new SimulatedModel({ seed: 2 }), log);
    const slow = tracing(new SimulatedModel({ seed: 2, latency: { kind: 'fixed', ms: 15 } }), log);
    const two = await runStoryTeams({
      premise: 'a lighthouse keeper',
      teams: diversifyTeams(2, 2),
      model: (team) => (team.id === 'team1' ? fast : slow),
      keep: { ratio: 1 },
      groupSize: 2,
    });
    expect(two.status).toBe('completed');
    expect(log.indexOf('start judge@outline/judge/team1')).toBeLessThan(log.indexOf('end team2/writer@outline/team2'));
    expect(log.indexOf('start aggregator@outline/merge-1.1')).toBeGreaterThan(
      log.indexOf('end judge@outline/judge/team2'),
    );
    const alone: string[] = [];
    const one = await runStoryTeams({
      premise: 'a lighthouse keeper',
      teams: diversifyTeams(1, 2),
      model: () => tracing(new SimulatedModel({ seed: 2 }), alone),
      keep: { ratio: 0.5 },
      groupSize: 2,
    });
    expect(one.status).toBe('completed');
    expect(alone.filter((c) => c.startsWith('start'))).toEqual([
      'start team1/writer@outline/team1',
      'start team1/writer@draft/team1',
      'start team1/writer@revise/team1',
    ]);
    expect(one.decisions.map((d) => d.skipped)).toEqual(
      Array(3).fill('only team1 has a text: nothing to prune or merge'),
    );
    expect(one.story).toBe(one.teams[0]!.artifacts.revise);
  });
});

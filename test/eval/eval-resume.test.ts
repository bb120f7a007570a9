import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { budgetShare, evaluate, sweep, type EvalSummary, type SweepResult } from '../../src/eval/index.js';
import { resumeRun } from '../../src/jobs/api.js';
import { SqliteRunStore } from '../../src/store/index.js';
import { cleanEnv, runInProcess, tempDir } from '../support/run-cli.js';
import { questions, writeQuestions } from './questions.js';

interface StoreFacts {
  runs: ReturnType<SqliteRunStore['listRuns']>;
  steps: (id: string) => ReturnType<SqliteRunStore['getSteps']>;
  /** Calls journaled as paid over every run of the store, and what they cost. */
  paidCalls: number;
  paidUsd: number;
}

/** Opens a store read-only, reads it, closes it. */
function readStore<T>(path: string, read: (facts: StoreFacts) => T): T {
  const store = new SqliteRunStore(path, { readOnly: true });
  try {
    const runs = store.listRuns();
    const totals = runs.map((run) => store.callTotals(run.id));
    return read({
      runs,
      steps: (id) => store.getSteps(id),
      paidCalls: totals.reduce((sum, t) => sum + t.calls, 0),
      paidUsd: totals.reduce((sum, t) => sum + (t.costUsd ?? 0), 0),
    });
  } finally {
    store.close();
  }
}

describe('an evaluation as a stored run', () => {
  it('is listed as an eval run, stopped mid-task, and resumed by id paying no call twice', async () => {
    const dir = tempDir();
    const datasetPath = writeQuestions(dir);
    const method = { kind: 'net', topology: 'star', agents: 3 } as const;
    const whole = await evaluate({
      dataset: 'mc',
      datasetPath,
      method,
      outDir: join(dir, 'whole'),
      run: { model: 'sim', store: join(dir, 'whole.db'), env: cleanEnv() },
      concurrency: 1,
    });
    // stop inside the third task: after the first network step of it finished
    const controller = new AbortController();
    let nodes = 0;
    const perTask = 4; // a star of 3 agents: 3 nodes and the merge, all counted as finished steps below
    const store = join(dir, 'runs.db');
    const first = await evaluate({
      dataset: 'mc',
      datasetPath,
      method,
      outDir: join(dir, 'eval'),
      run: {
        model: 'sim',
        store,
        env: cleanEnv(),
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'step-finished' && e.step.kind !== 'task' && ++nodes === 2 * perTask + 1) controller.abort();
        },
      },
      concurrency: 1,
    });
    expect(first.status).toBe('interrupted');
    expect(first.answered).toBe(2);
    expect(first.runId).toBeDefined();
    const stopped = readStore(store, (s) => {
      const evalRun = s.runs.find((r) => r.id === first.runId)!;
      const steps = s.steps(evalRun.id).filter((step) => step.id.startsWith('task/'));
      return { evalRun, steps, kinds: new Map(s.runs.map((r) => [r.id, r.kind])) };
    });
    expect(stopped.evalRun.kind).toBe('eval');
    expect(stopped.evalRun.status).toBe('interrupted');
    expect(stopped.steps.map((s) => s.id).sort()).toEqual(['task/0/0', 'task/1/0']);
    // each answer's step names the network run that produced it, a run of the same store
    for (const step of stopped.steps) {
      const inner = (step.meta as { runId: string }).runId;
      expect(stopped.kinds.get(inner)).toBe('net');
    }

    const events: string[] = [];
    const resumed = await resumeRun({
      runId: first.runId!,
      store,
      env: cleanEnv(),
      onEvent: (e) => {
        if (e.runId === first.runId) events.push(e.type === 'step-finished' ? `task ${e.step.id}` : e.type);
      },
    }).result;
    expect(resumed.kind).toBe('eval');
    expect(resumed.status).toBe('completed');
    const summary = resumed.summary as unknown as EvalSummary;
    expect(summary.answered).toBe(5);
    expect(summary.resumed).toBe(2);
    expect(summary.scores).toEqual(whole.scores);
    // one event per answered task, between the session's start and its end
    expect(events).toEqual(['run-started', 'task q3', 'task q4', 'task q5', 'run-finished']);
    const done = readStore(store, (s) => ({
      evalRun: s.runs.find((r) => r.id === first.runId)!,
      paid: s.paidCalls,
    }));
    expect(done.evalRun.status).toBe('completed');
    // every call paid over both sessions, the cut task's included, equals the uninterrupted evaluation's
    expect(done.paid).toBe(readStore(join(dir, 'whole.db'), (s) => s.paidCalls));
    // the eval run's totals are its answers' (it calls no model itself)
    expect(done.evalRun.totals.calls + done.evalRun.totals.replayedCalls).toBe(
      summary.totals.calls + summary.totals.replayedCalls,
    );
    // rerunning the command into its folder recomputes the figures and names the same run, recording nothing new
    const again = await evaluate({
      dataset: 'mc',
      datasetPath,
      method,
      outDir: join(dir, 'eval'),
      run: { model: 'sim', store, env: cleanEnv() },
      concurrency: 1,
    });
    expect(again.runId).toBe(first.runId);
    expect(again.scores).toEqual(whole.scores);
    expect(readStore(store, (s) => s.runs.filter((r) => r.kind === 'eval').length)).toBe(1);
    // a completed evaluation cannot be resumed again
    await expect(resumeRun({ runId: first.runId!, store, env: cleanEnv() }).result).rejects.toThrow(
      /already completed/,
    );
  });

  it('keeps a whole-evaluation budget across concurrent tasks, and a resume with more budget finishes it', async () => {
    const dir = tempDir();
    const datasetPath = writeQuestions(dir);
    const method = { kind: 'net', topology: 'chain', agents: 2 } as const;
    const whole = await evaluate({
      dataset: 'mc',
      datasetPath,
      method,
      outDir: join(dir, 'whole'),
      run: { model: 'sim', store: join(dir, 'whole.db'), env: cleanEnv() },
      concurrency: 1,
    });
    // sim has a fixed price; each call's run refuses a call whose projected cost (1024 output tokens) would cross
    // its budget, so this budget has room for some of the five tasks, not all
    const perTask = whole.totals.costUsd! / questions.length;
    expect(perTask).toBeGreaterThan(0);
    const budgetUsd = 0.0025;
    const once = async (concurrency: number, name: string) =>
      evaluate({
        dataset: 'mc',
        datasetPath,
        method,
        outDir: join(dir, name),
        run: { model: 'sim', store: join(dir, `${name}.db`), env: cleanEnv() },
        concurrency,
        budgetUsd,
      });
    const sequential = await once(1, 'sequential');
    const store = join(dir, 'runs.db');
    const first = await once(3, 'runs');
    for (const stopped of [sequential, first]) {
      expect(stopped.status).toBe('budget');
      expect(stopped.answered).toBeGreaterThan(0);
      expect(stopped.answered).toBeLessThan(questions.length);
    }
    // three tasks at once share what is left: together they never pass the budget, and they answer as many
    // tasks as one at a time (a task whose share ran out retries alone, its calls replayed free)
    expect(first.answered).toBe(sequential.answered);
    const paid = readStore(store, (s) => s.paidUsd);
    expect(first.budget!.spentUsd).toBeCloseTo(paid, 12);
    expect(paid).toBeLessThanOrEqual(budgetUsd);
    expect(readStore(store, (s) => s.runs.find((r) => r.id === first.runId)!.status)).toBe('stopped-budget');

    const resumed = await resumeRun({ runId: first.runId!, store, env: cleanEnv(), budgetUsd: 1 }).result;
    expect(resumed.status).toBe('completed');
    const summary = resumed.summary as unknown as EvalSummary;
    expect(summary.answered).toBe(questions.length);
    expect(summary.scores).toEqual(whole.scores);
    // the tasks stopped by the budget were answered again from the journal: no call paid twice
    expect(readStore(store, (s) => s.paidCalls)).toBe(readStore(join(dir, 'whole.db'), (s) => s.paidCalls));
  });

  it('keeps a budget over a whole sweep grid, and a resume with more budget finishes the grid', async () => {
    const dir = tempDir();
    const datasetPath = writeQuestions(dir);
    const grid = { topologies: ['chain', 'star'] as const, agents: [1, 2] };
    const run = (name: string) => ({ model: 'sim', store: join(dir, `${name}.db`), env: cleanEnv() });
    const whole = await sweep({
      dataset: 'mc',
      datasetPath,
      grid: { ...grid, topologies: [...grid.topologies] },
      outDir: join(dir, 'whole'),
      run: run('whole'),
      concurrency: 1,
    });
    expect(whole.status).toBe('completed');
    const wholeUsd = whole.rows.reduce((sum, r) => sum + r.costUsd!, 0);
    // room for about half the grid: the sweep stops inside a later cell, never above its budget
    const budgetUsd = wholeUsd / 2;
    const store = join(dir, 'runs.db');
    const first = await sweep({
      dataset: 'mc',
      datasetPath,
      grid: { ...grid, topologies: [...grid.topologies] },
      outDir: join(dir, 'cut'),
      run: run('runs'),
      concurrency: 1,
      budgetUsd,
    });
    expect(first.status).toBe('budget');
    expect(first.rows.length).toBeLessThan(4);
    expect(first.rows.at(-1)!.status).toBe('budget');
    const paid = readStore(store, (s) => s.paidUsd);
    expect(first.budget!.spentUsd).toBeCloseTo(paid, 12);
    expect(paid).toBeLessThanOrEqual(budgetUsd);
    expect(readFileSync(join(dir, 'cut', 'report.md'), 'utf8')).toContain(
      `- budget: $${budgetUsd.toFixed(4)} for the grid`,
    );

    const resumed = await resumeRun({ runId: first.runId!, store, env: cleanEnv(), budgetUsd: 1 }).result;
    expect(resumed.status).toBe('completed');
    const summary = resumed.summary as unknown as SweepResult;
    expect(summary.rows.map((r) => [r.topology, r.agents, r.quality])).toEqual(
      whole.rows.map((r) => [r.topology, r.agents, r.quality]),
    );
    // the cells cut by the budget continued from the journal: no call paid twice over both sessions
    expect(readStore(store, (s) => s.paidCalls)).toBe(readStore(join(dir, 'whole.db'), (s) => s.paidCalls));
  });

  it('splits what is left of the budget over the slots that may still start', () => {
    expect(budgetShare({ budgetUsd: 1, spentUsd: 0.4, reservedUsd: 0 }, 3)).toBeCloseTo(0.2, 12);
    expect(budgetShare({ budgetUsd: 1, spentUsd: 0.4, reservedUsd: 0.2 }, 2)).toBeCloseTo(0.2, 12);
    expect(budgetShare({ budgetUsd: 1, spentUsd: 1.1, reservedUsd: 0 }, 1)).toBe(0);
    expect(budgetShare({ budgetUsd: 1, spentUsd: 0, reservedUsd: 0 }, 0)).toBe(1);
  });
});

describe('crosstalk eval and crosstalk runs', () => {
  it('lists the evaluation as one eval run, hides its task runs, and resumes it by id', async () => {
    const dir = tempDir();
    writeQuestions(dir);
    const args = [
      'eval',
      'mc',
      '--dataset-path',
      'mc.jsonl',
      '--method',
      'net',
      '--topology',
      'chain',
      '--agents',
      '2',
    ];
    const common = ['--model', 'sim', '--store', 's.db'];
    const stopped = await runInProcess([...args, ...common, '--out', 'e', '--budget-usd', '0.00001', '--json'], {
      cwd: dir,
    });
    expect(stopped.code).toBe(3);
    // the --json shape the README documents
    const json = JSON.parse(stopped.stdout) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(
      [
        'ok',
        'spec',
        'status',
        'tasks',
        'answered',
        'resumed',
        'simulated',
        'label',
        'scores',
        'notes',
        'totals',
        'budget',
        'datasetVersion',
        'datasetSize',
        'runId',
        'outDir',
      ].sort(),
    );
    expect(json.status).toBe('budget');
    expect(json.datasetVersion).toMatch(/^sha256:[0-9a-f]{12}$/);
    const resume = /continue with: crosstalk runs resume (\S+) --budget-usd <larger>/.exec(stopped.stderr);
    expect(resume).not.toBeNull();
    const id = resume![1]!;
    const resumed = await runInProcess(['runs', 'resume', id, '--store', 's.db', '--budget-usd', '1'], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    // the report the resume wrote still heads with what made the figures, the original command line included
    const report = readFileSync(join(dir, 'e', 'report.md'), 'utf8')
      .split('\n')
      .slice(0, 10)
      .join('\n');
    expect(report).toMatch(/^- model: sim \(simulated\)$/m);
    expect(report).toMatch(/^- dataset: mc sha256:[0-9a-f]{12}, 5 of its 5 tasks, read from .*mc\.jsonl$/m);
    expect(report).toMatch(/^- seed: 0; samples per task: 1$/m);
    expect(report).toMatch(/^- method: net chain ×2$/m);
    expect(report).toContain(`- command: \`crosstalk ${args.join(' ')} ${common.join(' ')} --out e`);
    expect(report).toMatch(
      new RegExp(`^- status: completed; answers: 5 \\(\\d from an earlier session\\); run ${id}$`, 'm'),
    );
    const list = await runInProcess(['runs', 'list', '--store', 's.db', '--json'], { cwd: dir });
    const listed = JSON.parse(list.stdout) as { runs: { id: string; kind: string }[]; hiddenEvalTaskRuns?: number };
    expect(listed.runs.map((r) => `${r.kind} ${r.id}`)).toEqual([`eval ${id}`]);
    // every network run of the store answered (or began to answer, before the budget stopped it) one of its tasks
    const netRuns = readStore(join(dir, 's.db'), (s) => s.runs.filter((r) => r.kind === 'net').length);
    expect(netRuns).toBeGreaterThan(questions.length);
    expect(listed.hiddenEvalTaskRuns).toBe(netRuns);
    const all = await runInProcess(['runs', 'list', '--store', 's.db', '--all'], { cwd: dir });
    expect(all.stdout.split('\n').filter((line) => line.includes(`net (eval ${id})`))).toHaveLength(netRuns);
  });
});

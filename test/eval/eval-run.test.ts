import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { evaluate, parseJudgement, type EvalRow } from '../../src/eval/index.js';
import { startFakeOpenAIServer } from '../support/index.js';
import { cleanEnv, runInProcess, tempDir } from '../support/run-cli.js';
import { questions, writeQuestions } from './questions.js';

const data = new URL('../../../shared/data', import.meta.url).pathname;

const rowsOf = (dir: string): EvalRow[] =>
  readFileSync(join(dir, 'results.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as EvalRow);

describe('evaluate', () => {
  it('answers every question, scores accuracy with an interval and labels sim figures', async () => {
    const dir = tempDir();
    const summary = await evaluate({
      dataset: 'mc',
      datasetPath: writeQuestions(dir),
      method: { kind: 'net', topology: 'chain', agents: 2 },
      outDir: join(dir, 'eval'),
      run: { model: 'sim', store: join(dir, 'runs.db'), env: cleanEnv() },
    });
    expect(summary.status).toBe('completed');
    expect(summary.answered).toBe(5);
    expect(summary.simulated).toBe(true);
    expect(summary.label).toMatch(/system check, not quality/);
    const accuracy = summary.scores.accuracy as { successes: number; total: number; low: number; high: number };
    const rows = rowsOf(join(dir, 'eval'));
    expect(accuracy.total).toBe(5);
    expect(accuracy.successes).toBe(rows.filter((r) => r.score.correct === true).length);
    expect(accuracy.low).toBeLessThanOrEqual(accuracy.high);
    // every answer is one row naming the run that produced it
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(['q1', 'q2', 'q3', 'q4', 'q5']));
    const report = readFileSync(join(dir, 'eval', 'report.md'), 'utf8');
    expect(report).toMatch(/model: sim \(simulated\)/);
    expect(report).toMatch(/\| accuracy \|/);
  });

  it('continues an evaluation interrupted inside a task without paying any call twice', async () => {
    const dir = tempDir();
    const datasetPath = writeQuestions(dir);
    const method = { kind: 'net', topology: 'star', agents: 3 } as const;
    // the reference: the same evaluation in one go, in its own store; it also counts a task's finished steps
    let steps = 0;
    const whole = await evaluate({
      dataset: 'mc',
      datasetPath,
      method,
      outDir: join(dir, 'whole'),
      run: {
        model: 'sim',
        store: join(dir, 'whole.db'),
        env: cleanEnv(),
        onEvent: (e) => void (e.type === 'step-finished' && steps++),
      },
      concurrency: 1,
    });
    const perTask = steps / questions.length;
    expect(perTask).toBeGreaterThanOrEqual(2);
    // stop after the first step of the third task: two answers kept, the third task's first calls paid
    const controller = new AbortController();
    let seen = 0;
    const first = await evaluate({
      dataset: 'mc',
      datasetPath,
      method,
      outDir: join(dir, 'eval'),
      run: {
        model: 'sim',
        store: join(dir, 'runs.db'),
        env: cleanEnv(),
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'step-finished' && ++seen === 2 * perTask + 1) controller.abort();
        },
      },
      concurrency: 1,
    });
    expect(first.status).toBe('interrupted');
    expect(first.answered).toBe(2);
    const second = await evaluate({
      dataset: 'mc',
      datasetPath,
      method,
      outDir: join(dir, 'eval'),
      run: { model: 'sim', store: join(dir, 'runs.db'), env: cleanEnv() },
      concurrency: 1,
    });
    expect(second.status).toBe('completed');
    expect(second.resumed).toBe(2);
    expect(second.answered).toBe(5);
    const rows = rowsOf(join(dir, 'eval'));
    // the third task's calls made before the stop came back from the journal, free
    expect(rows.find((r) => r.id === 'q3')!.replayedCalls).toBeGreaterThan(0);
    // paid calls over both sessions, including the cut task's, equal the uninterrupted evaluation's
    const paidBeforeStop = rows.find((r) => r.id === 'q3')!.replayedCalls;
    expect(rows.reduce((sum, r) => sum + r.calls, 0) + paidBeforeStop).toBe(whole.totals.calls);
    expect(second.scores).toEqual(whole.scores);
  });

  it('refuses to continue into a folder that holds a different evaluation', async () => {
    const dir = tempDir();
    const datasetPath = writeQuestions(dir);
    const run = { model: 'sim', store: join(dir, 'runs.db'), env: cleanEnv() };
    await evaluate({ dataset: 'mc', datasetPath, method: { kind: 'single' }, outDir: join(dir, 'e'), run, limit: 1 });
    await expect(
      evaluate({ dataset: 'mc', datasetPath, method: { kind: 'single' }, outDir: join(dir, 'e'), run, limit: 2 }),
    ).rejects.toThrow(/holds a different evaluation/);
  });
});

describe('crosstalk eval', () => {
  it('scores HumanEval answers in the sandbox and writes the report with the command line', async () => {
    const dir = tempDir();
    const result = await runInProcess(
      ['eval', 'humaneval', '--dataset-path', data, '--limit', '2', '--model', 'sim', '--out', 'e', '--store', 's.db'],
      { cwd: dir, env: cleanEnv() },
    );
    expect(result.stderr).toMatch(/\[2\/2\] HumanEval\/\d: passed (true|false)/);
    expect(result.stdout).toMatch(/^pass@1: \d\.\d{3}$/m);
    const report = readFileSync(join(dir, 'e', 'report.md'), 'utf8');
    expect(report).toContain('- command: `crosstalk eval humaneval --dataset-path');
    expect(report).toMatch(/system check, not quality/);
  });

  it('takes the multiple-choice file as an argument after mc', async () => {
    const dir = tempDir();
    writeQuestions(dir);
    const result = await runInProcess(['eval', 'mc', 'mc.jsonl', '--model', 'sim', '--out', 'e', '--store', 's.db'], {
      cwd: dir,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^accuracy: \d\.\d{3} \(95 % CI/m);
    expect(JSON.parse(readFileSync(join(dir, 'e', 'eval.json'), 'utf8')).datasetFile).toBe(join(dir, 'mc.jsonl'));
  });

  it('gives one-line errors with exit code 2 for bad input', async () => {
    const dir = tempDir();
    const cases: Array<[string[], RegExp]> = [
      [['eval', 'imagenet'], /unknown dataset 'imagenet' \(one of humaneval, srdd, commongen, mc\)/],
      [['eval', 'mc', '--model', 'sim'], /eval mc needs the questions file/],
      [['eval', 'commongen', '--dataset-path', 'nowhere', '--model', 'sim'], /dataset commongen: no file at/],
      [['eval', 'mc', '--method', 'swarm'], /--method must be single, chain, net or teams/],
      [['eval', 'mc', '--method', 'net', '--topology', 'ring'], /unknown topology 'ring'/],
      [
        ['eval', 'sweep', '--dataset', 'mc', '--budget-usd', 'lots', '--model', 'sim'],
        /--budget-usd must be a number ≥ 0 \(got lots\)/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await runInProcess(args, { cwd: dir });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n').at(-1)).toMatch(message);
    }
    expect(existsSync(join(dir, 'crosstalk-out'))).toBe(false);
  });
});

describe('CommonGen with a judge model', () => {
  it('records the judge ratings per story and their means, naming the judge in the report', async () => {
    const dir = tempDir();
    const server = await startFakeOpenAIServer({
      reply: ({ messages }) =>
        messages.some((m) => String(m.content).includes('You are grading a short story'))
          ? 'Here you go: {"grammar": 8, "fluency": 7, "relevance": 9, "logic": 6}'
          : 'A toddler pulled a wrapped cupcake from the snow.',
    });
    onTestFinished(() => server.close());
    const judge = `compatible:${server.url}#judge`;
    const summary = await evaluate({
      dataset: 'commongen',
      datasetPath: data,
      method: { kind: 'single' },
      outDir: join(dir, 'cg'),
      limit: 2,
      judgeModel: judge,
      run: { model: `compatible:${server.url}#writer`, store: join(dir, 'runs.db'), env: cleanEnv() },
    });
    expect(summary.scores).toMatchObject({ grammar: 8, fluency: 7, relevance: 9, logic: 6, unjudged: 0 });
    expect(summary.scores.coverage).toBeGreaterThan(0);
    expect(rowsOf(join(dir, 'cg')).every((r) => r.score.judgeCalls === 1)).toBe(true);
    expect(readFileSync(join(dir, 'cg', 'report.md'), 'utf8')).toContain(
      `- judge (grammar, fluency, relevance, logic, 1–10): ${judge}`,
    );
  });

  it('counts a reply without ratings as unjudged, with the reason', () => {
    expect(parseJudgement('I liked it.')).toEqual({
      judgement: null,
      problem: 'no JSON object with grammar, fluency, relevance and logic in the reply',
    });
    expect(parseJudgement('{"grammar": 11, "fluency": 1, "relevance": 1, "logic": 1}').problem).toMatch(/out of range/);
  });
});

describe('SRDD', () => {
  it('scores each project with both rules of every metric, per category and overall, naming the fallback', async () => {
    const dir = tempDir();
    const summary = await evaluate({
      dataset: 'srdd',
      datasetPath: data,
      categories: ['Budgeting', 'Board_Game'],
      limit: 2,
      method: { kind: 'chain' },
      outDir: join(dir, 'srdd'),
      run: { model: 'sim', store: join(dir, 'runs.db'), env: cleanEnv() },
    });
    expect(summary.answered).toBe(2);
    const rows = rowsOf(join(dir, 'srdd'));
    for (const row of rows) {
      expect(row.score.category).toBe('Board_Game'); // the file lists Board_Game before Budgeting
      for (const key of ['completenessChatdev', 'completenessCrosstalk', 'qualityProduct', 'qualityMean'])
        expect(typeof row.score[key]).toBe('number');
      expect(row.score.consistencyMethod).toBe('tf-idf-fallback');
      // quality as ChatDev multiplies, as the cross-team paper averages
      expect(row.score.qualityMean).toBeGreaterThanOrEqual(row.score.qualityProduct as number);
    }
    const mean = rows.reduce((s, r) => s + (r.score.qualityMean as number), 0) / rows.length;
    expect(summary.scores.qualityMean).toBeCloseTo(mean, 12);
    expect(summary.scores['Board_Game/qualityMean']).toBeCloseTo(mean, 12);
    expect(summary.notes.join('\n')).toMatch(/TF-IDF fallback/);
    expect(readFileSync(join(dir, 'srdd', 'report.md'), 'utf8')).toMatch(/- consistency: the local TF-IDF fallback/);
    // each project was written to the evaluation's folder
    expect(existsSync(join(dir, 'srdd', 'tasks', '0000'))).toBe(true);
  });
});

import { describe, expect, it, onTestFinished } from 'vitest';
import { createEmbeddingModel } from '../model/index.js';
import type { TestOutcome } from '../software/chain.js';
import { startFakeOpenAIServer } from '../testing/index.js';
import { completeProject, serverProject, stubProject } from './hand-made-projects.js';
import {
  chatdevPlaceholderLines,
  combineQuality,
  describeMetrics,
  judgeExecutability,
  measureCode,
  measureCompleteness,
  sameCode,
  stripComments,
  tfidfSimilarity,
} from './index.js';

const outcome = (o: Partial<TestOutcome> & Pick<TestOutcome, 'outcome'>): TestOutcome => ({
  rule: 'exit-code, bwrap',
  exitCode: null,
  output: '',
  durationMs: 10,
  ...o,
});

describe('completeness', () => {
  it('ChatDev’s rule fails any line holding pass or todo; crosstalk’s finds real placeholders only', () => {
    const files = {
      'main.py': 'def run():\n    while True:\n        pass\n',
      'net.py': 'def connect(password):\n    return bypass(password)\n',
      'todo_app.py': 'items = []\n',
      'README.md': 'TODO: write the manual\n',
    };
    // `while True: pass` and `bypass` fail ChatDev's substring rule; the file name and the README are not read
    expect(chatdevPlaceholderLines(files)).toEqual(['main.py:3']);
    expect(measureCompleteness(files)).toEqual({
      chatdev: 0,
      crosstalk: 1,
      chatdevLines: ['main.py:3'],
      placeholders: [],
    });
    // a line with an exception word is ignored as the reference ignores it
    expect(measureCompleteness({ 'a.py': 'passed = check(password)\n' }).chatdev).toBe(1);
    expect(measureCompleteness({ 'b.py': 'x = compass()\n' }).chatdev).toBe(0);
  });

  it('a project without code is not complete under either rule', () => {
    expect(measureCompleteness({ 'README.md': '# nothing\n' })).toMatchObject({ chatdev: 0, crosstalk: 0 });
  });
});

describe('executability', () => {
  it('applies ChatDev’s trace rule and crosstalk’s exit-code rule to each kind of run', () => {
    const nodeCrash =
      '/workspace/main.js:1\nReferenceError: thing is not defined\n    at f (/workspace/main.js:1:15)\n    at Object.<anonymous> (/workspace/main.js:1:41)\n';
    const cases: Array<[TestOutcome, number | null, number | null]> = [
      [outcome({ outcome: 'exited-ok', exitCode: 0, output: 'done' }), 1, 1],
      [outcome({ outcome: 'timeout-running', rule: 'running-at-timeout-counts-as-executable' }), 1, 1],
      [outcome({ outcome: 'exited-error', exitCode: 1, output: 'Traceback (most recent call last):\n' }), 0, 0],
      [outcome({ outcome: 'exited-error', exitCode: 1, output: nodeCrash }), 0, 0],
      [outcome({ outcome: 'exited-error', exitCode: 2, output: 'usage: main.py FILE' }), 1, 0],
      [outcome({ outcome: 'exited-ok', exitCode: 0, output: 'meeting\n  at 12:30:45\n' }), 1, 1],
      [outcome({ outcome: 'exited-error', exitCode: 1, output: '    at node:internal/main/run_main:28:49' }), 0, 0],
      [outcome({ outcome: 'exited-error', rule: 'error-output-at-timeout', output: 'Traceback (most…' }), 0, 0],
      [outcome({ outcome: 'killed-limit', rule: 'limit (memory limit), bwrap' }), 1, 0],
      [outcome({ outcome: 'not-run', rule: 'no sandbox available' }), null, null],
      [outcome({ outcome: 'sandbox-error', rule: 'setup failed' }), null, null],
    ];
    for (const [test, chatdev, crosstalk] of cases)
      expect([
        test.outcome,
        judgeExecutability('main.py', test).chatdev,
        judgeExecutability('main.py', test).crosstalk,
      ]).toEqual([test.outcome, chatdev, crosstalk]);
    expect(judgeExecutability('main.py', undefined)).toEqual({
      chatdev: 0,
      crosstalk: 0,
      outcome: 'no-entry',
      entry: 'main.py',
      reason: 'no main.py to run',
    });
  });
});

describe('consistency (TF-IDF fallback)', () => {
  it('ignores comments, splits identifiers and scores on-task code above off-task code', () => {
    expect(stripComments('x = 1  # add item\n"""Docs about items."""\nconst y = 2; // note\n')).toBe(
      'x = 1  \n \nconst y = 2; \n',
    );
    // the temperature converter against its own task and against the web server's task
    expect(tfidfSimilarity(completeProject.task, completeProject.files)).toBe(0.342);
    expect(tfidfSimilarity(serverProject.task, completeProject.files)).toBe(0);
    // words only in comments do not count
    expect(tfidfSimilarity('celsius converter', { 'main.py': '# celsius converter\nx = 1\n' })).toBe(0);
    expect(tfidfSimilarity('celsius converter', { 'main.py': 'def celsiusConverter():\n    return 1\n' })).toBe(1);
  });
});

describe('quality', () => {
  it('is ChatDev’s product and the cross-team mean, without executability when nothing ran', () => {
    const completeness = { chatdev: 1 as const, crosstalk: 1 as const, chatdevLines: [], placeholders: [] };
    const consistency = { value: 0.6, method: 'tf-idf-fallback' } as const;
    expect(
      combineQuality(completeness, { chatdev: 1, crosstalk: 1, outcome: 'exited-ok', entry: 'main.py' }, consistency),
    ).toEqual({ product: 0.6, mean: 0.867, over: ['completeness', 'executability', 'consistency'] });
    expect(
      combineQuality(
        completeness,
        { chatdev: null, crosstalk: null, outcome: 'not-run', entry: 'main.py' },
        consistency,
      ),
    ).toEqual({ product: 0.6, mean: 0.8, over: ['completeness', 'consistency'] });
  });
});

describe('measureCode', () => {
  it('reuses a given run, names every rule in its one-line description and labels the fallback', async () => {
    const m = await measureCode({
      task: stubProject.task,
      files: stubProject.files,
      test: outcome({ outcome: 'exited-ok', exitCode: 0 }),
    });
    expect(m.consistency).toEqual({
      value: 0.44,
      method: 'tf-idf-fallback',
      note: 'no embedding model configured (--embedding-model)',
    });
    expect(describeMetrics(m)).toBe(
      'completeness chatdev 0 · crosstalk 0; executability chatdev 1 · crosstalk 1; consistency 0.44 (tf-idf fallback); quality product 0 · mean 0.48',
    );
  });

  it('without a sandbox leaves executability out and says why', async () => {
    const m = await measureCode({ task: 'x', files: { 'main.py': 'print(1)\n' }, noRunReason: 'no sandbox here' });
    expect(m.executability).toEqual({
      chatdev: null,
      crosstalk: null,
      outcome: 'not-run',
      entry: 'main.py',
      reason: 'no sandbox here',
    });
    expect(describeMetrics(m)).toContain('executability chatdev not run · crosstalk not run');
    expect(describeMetrics(m)).toContain('(without executability)');
  });

  it('compares code only when deciding whether a run still stands', () => {
    expect(sameCode({ 'main.py': 'a', 'README.md': 'x' }, { 'main.py': 'a', 'requirements.txt': '' })).toBe(true);
    expect(sameCode({ 'main.py': 'a' }, { 'main.py': 'b' })).toBe(false);
  });

  it('uses the configured embedding model through the AI SDK (fake OpenAI-compatible server)', async () => {
    const server = await startFakeOpenAIServer();
    onTestFinished(() => server.close());
    const name = `compatible:${server.url}#fake-embedder`;
    const m = await measureCode({
      task: completeProject.task,
      files: completeProject.files,
      test: outcome({ outcome: 'exited-ok', exitCode: 0 }),
      embedding: { model: createEmbeddingModel(name, {}), name },
    });
    expect(m.consistency.method).toBe('embedding');
    expect(m.consistency.model).toBe(name);
    expect(m.consistency.value).toBe(0.295);
    expect(m.consistency.tokens).toBeGreaterThan(0);
    expect(describeMetrics(m)).toContain(`consistency 0.295 (embedding ${name})`);
  });

  it('falls back to TF-IDF, saying why, when the embedding model fails', async () => {
    // vectors of different lengths: the similarity cannot be computed (an error no retry helps)
    const server = await startFakeOpenAIServer({
      embed: (text) => (text.startsWith('A command-line tool') ? [1] : [1, 0]),
    });
    onTestFinished(() => server.close());
    const name = `compatible:${server.url}#broken`;
    const m = await measureCode({
      task: completeProject.task,
      files: completeProject.files,
      test: outcome({ outcome: 'exited-ok', exitCode: 0 }),
      embedding: { model: createEmbeddingModel(name, {}), name },
    });
    expect(m.consistency).toMatchObject({ value: 0.342, method: 'tf-idf-fallback' });
    expect(m.consistency.note).toContain(`the embedding model ${name} failed: `);
  });

  it('refuses embedding models that do not exist, in one line', () => {
    expect(() => createEmbeddingModel('anthropic:claude', {})).toThrow(/Anthropic offers no embedding models/);
    expect(() => createEmbeddingModel('sim', {})).toThrow(/the simulated model has no embeddings/);
  });
});

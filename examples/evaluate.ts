/**
 * Evaluation from the library: a multiple-choice set answered by a 3-agent MacNet star, scored with a 95 % interval.
 * Run: npx tsx examples/evaluate.ts   (offline, on the simulated model: the figures check the pipeline, not quality)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluate } from 'crosstalk';

const dir = mkdtempSync(join(tmpdir(), 'crosstalk-eval-example-'));
try {
  const questions = [
    { question: 'What is 2 + 2?', choices: ['3', '4', '5'], answer: 'B' },
    { question: 'Which is a prime?', choices: ['4', '6', '7'], answer: 'C' },
    { question: 'H2O is?', choices: ['salt', 'water'], answer: 1 },
  ];
  const datasetPath = join(dir, 'questions.jsonl');
  writeFileSync(datasetPath, `${questions.map((q) => JSON.stringify(q)).join('\n')}\n`);
  const summary = await evaluate({
    dataset: 'mc',
    datasetPath,
    method: { kind: 'net', topology: 'star', agents: 3 },
    outDir: join(dir, 'out'),
    run: { model: process.env.CROSSTALK_MODEL ?? 'sim', store: join(dir, 'runs.db') },
  });
  const accuracy = summary.scores.accuracy;
  const shown =
    accuracy === null || accuracy === undefined ? 'n/a' : typeof accuracy === 'number' ? accuracy : accuracy.value;
  console.log(`${summary.status}: ${summary.answered} answered, accuracy ${shown}, ${summary.totals.calls} calls`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

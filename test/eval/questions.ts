import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Five multiple-choice questions, answers given as letters (either case) and as 0-based indexes. */
export const questions = [
  { question: 'What is 2 + 2?', choices: ['3', '4', '5'], answer: 'B' },
  { question: 'Which colour is the clear daytime sky?', choices: ['blue', 'red'], answer: 0 },
  { question: 'Which is a prime?', choices: ['4', '6', '7', '9'], answer: 'C' },
  { question: 'Largest planet?', choices: ['Mars', 'Jupiter'], answer: 1 },
  { question: 'H2O is?', choices: ['salt', 'water', 'sand'], answer: 'b' },
];

/** Writes {@link questions} as `mc.jsonl` in `dir` and returns its path. */
export function writeQuestions(dir: string): string {
  const file = join(dir, 'mc.jsonl');
  writeFileSync(file, `${questions.map((q) => JSON.stringify(q)).join('\n')}\n`);
  return file;
}

import type { ProgramSandbox } from '../runtime/index.js';
import { entryFile, type ChainLanguage, type TestOutcome } from './chain.js';
import { parseCodebase, type Files } from './codebase/index.js';

/** A code network's answer as a project: its files, refused file names, language and test run. */
export interface CodeAnswer {
  files: Files;
  refused: Array<{ path: string; reason: string }>;
  language: ChainLanguage;
  test: TestOutcome;
}

/** The language of a codebase: JavaScript when it has `main.js` and no `main.py`, else Python. */
export function guessLanguage(files: Files): ChainLanguage {
  return files['main.js'] !== undefined && files['main.py'] === undefined ? 'JavaScript' : 'Python';
}

/**
 * Turns a code network's final answer (files in fenced blocks) into a
 * project and runs its entry point in the sandbox. File names are checked on
 * parsing; nothing is written to disk here.
 */
export async function runCodeAnswer(
  answer: string,
  sandbox: ProgramSandbox,
  signal?: AbortSignal,
): Promise<CodeAnswer> {
  const parsed = parseCodebase(answer);
  const language = guessLanguage(parsed.files);
  const entry = entryFile(language);
  const notRun = (rule: string): TestOutcome => ({
    outcome: 'not-run',
    rule,
    exitCode: null,
    output: '',
    durationMs: 0,
  });
  const test = !parsed.files[entry]
    ? notRun(`no ${entry} in the answer`)
    : sandbox.run
      ? await sandbox.run(parsed.files, entry, language, signal)
      : notRun(sandbox.reason);
  return { files: parsed.files, refused: parsed.refused, language, test };
}

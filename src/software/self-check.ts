import type { LanguageModelV3 } from '@ai-sdk/provider';
import { parse } from 'acorn';
import {
  modelCritic,
  refinementPrompt,
  selfCorrect,
  type CheckResult,
  type RoundReport,
  type SafetyVerdict,
} from '../agents/self-correct.js';
import { complete } from '../model/index.js';
import type { ChainLanguage, ChainOptions, ProgramRunner } from './chain.js';
import { createHash } from 'node:crypto';
import { entryFile } from './chain.js';
import { formatCodebase, parseCodebase, type Files } from './codebase/index.js';

/** The file the Python syntax check runs in the sandbox (it compiles the other files; it runs none of them). */
export const pythonCheckFile = '_crosstalk_syntax_check.py';

function pythonCheckProgram(paths: string[]): string {
  return [
    'import py_compile',
    'import sys',
    '',
    'failed = 0',
    `for name in ${JSON.stringify(paths)}:`,
    '    try:',
    '        py_compile.compile(name, doraise=True)',
    '    except py_compile.PyCompileError as error:',
    '        print(error.msg.strip().splitlines()[-1] if error.msg.strip() else name)',
    '        failed += 1',
    'sys.exit(1 if failed else 0)',
    '',
  ].join('\n');
}

/** Parses JavaScript as a module, else as a script; returns the error, or undefined when it parses. */
function javascriptSyntaxError(source: string): string | undefined {
  try {
    parse(source, { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true });
    return undefined;
  } catch {
    try {
      parse(source, {
        ecmaVersion: 'latest',
        sourceType: 'script',
        allowHashBang: true,
        allowReturnOutsideFunction: true,
      });
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }
}

/**
 * The verifiable checks of a codebase, run first on every self-correction
 * attempt: a syntax check (Python: `py_compile` run in the sandbox, through
 * the guard like any program; JavaScript: parsed with acorn, which runs
 * nothing) and, with `runProgram`, a run of the entry file in the sandbox. A
 * program the guard refuses fails its check: the guard's veto is a verifiable
 * failure. Without a sandbox, the Python syntax check and the run are not made.
 */
export function codebaseChecks(options: {
  language: ChainLanguage;
  runProgram?: ProgramRunner;
  /** Also run the entry file (a crash fails the check). Default true. */
  run?: boolean;
}): (files: Files, signal?: AbortSignal) => Promise<CheckResult[]> {
  return async (files, signal) => {
    const checks: CheckResult[] = [];
    const entry = entryFile(options.language);
    if (options.language === 'JavaScript') {
      const errors = Object.entries(files)
        .filter(([path]) => /\.(?:m|c)?js$/.test(path))
        .flatMap(([path, source]) => {
          const error = javascriptSyntaxError(source);
          return error ? [`${path}: ${error}`] : [];
        });
      checks.push({ name: 'syntax (acorn)', passed: errors.length === 0, ...(errors[0] ? { detail: errors[0] } : {}) });
    } else if (options.runProgram) {
      const paths = Object.keys(files).filter((p) => p.endsWith('.py'));
      const outcome = await options.runProgram(
        { ...files, [pythonCheckFile]: pythonCheckProgram(paths) },
        pythonCheckFile,
        'Python',
        signal,
      );
      checks.push({
        name: 'py_compile',
        passed: outcome.outcome === 'exited-ok',
        ...(outcome.outcome === 'exited-ok'
          ? {}
          : { detail: (outcome.output.trim().split('\n').at(-1) || outcome.rule).slice(0, 300) }),
      });
    }
    if (options.run !== false && options.runProgram && checks.every((c) => c.passed) && files[entry] !== undefined) {
      const outcome = await options.runProgram(files, entry, options.language, signal);
      // a program still running at the time limit (a server, a game) started fine; a sandbox failure proves nothing
      if (outcome.outcome !== 'sandbox-error')
        checks.push({
          name: 'sandbox run',
          passed: outcome.outcome !== 'exited-error' && outcome.outcome !== 'not-run',
          ...(outcome.outcome === 'exited-ok' || outcome.outcome === 'timeout-running'
            ? {}
            : { detail: `${outcome.outcome} (${outcome.rule}): ${outcome.output.trim().slice(-300)}` }),
        });
    }
    return checks;
  };
}

/** The rubric the critic scores code by. */
export const codeRubric = [
  'Score the program from 0 (unusable) to 10 (nothing to improve) for the task:',
  '- it does what the task asks, completely: no placeholders, no missing features;',
  '- it runs without errors and handles bad input;',
  '- it is clear: sensible names, small functions, no dead code;',
  '- it does nothing the task did not ask for: no network use, no files outside its folder, no other programs.',
  'List concrete problems (file and function). Set "veto": true only for harmful or deceptive code.',
].join('\n');

/**
 * The chain's self-correction hook: after coding (and after review) the
 * codebase goes through {@link selfCorrect} with {@link codebaseChecks} and a
 * model critic; the programmer refines. The best-scored version not rejected
 * is kept; when every version was rejected the phase's own code stays.
 */
export function codeSelfCorrection(options: {
  task: string;
  author: LanguageModelV3;
  critic: LanguageModelV3;
  runProgram?: ProgramRunner;
  /** Attempts at most, the phase's own included. */
  rounds: number;
  threshold: number;
  /** The hooks to run at. Default both. */
  hooks?: ReadonlyArray<'after-coding' | 'after-review'>;
  /** Prefix of the critic's and the programmer's agent names (accounting), e.g. `team2/`. */
  agentPrefix?: string;
  seed?: number;
  signal?: AbortSignal;
  onRound?: (hook: string, scope: string, report: RoundReport) => void;
}): NonNullable<ChainOptions['selfCorrect']> {
  const prefix = options.agentPrefix ?? '';
  const hooks = options.hooks ?? ['after-coding', 'after-review'];
  return async (hook, state) => {
    if (!hooks.includes(hook)) return undefined;
    const scope = state.phase;
    const critic = modelCritic({
      model: options.critic,
      rubric: codeRubric,
      task: options.task,
      agent: `${prefix}critic`,
      scope: `${prefix}${scope}/self-correction`,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let call = 0;
    const result = await selfCorrect<Files>({
      initial: state.files,
      verify: codebaseChecks({
        language: state.language,
        ...(options.runProgram ? { runProgram: options.runProgram } : {}),
      }),
      critique: (files, context) => critic(formatCodebase(files), context),
      refine: async (context) => {
        const prompt = refinementPrompt(
          context,
          (files) => formatCodebase(files, { maxChars: 12_000 }),
          `Task: ${options.task}\nLanguage: ${state.language}\nFix every problem listed. Write every file you change as its file name on a line of its own followed by a fenced code block with the whole file.`,
        );
        const reply = await complete(options.author, {
          system: 'You are a programmer improving your own program from a review.',
          messages: [{ role: 'user', content: prompt }],
          agent: `${prefix}programmer`,
          scope: `${prefix}${scope}/self-correction`,
          ...(options.seed !== undefined ? { seed: options.seed + ++call } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        return { ...context.base.candidate, ...parseCodebase(reply.text).files };
      },
      threshold: options.threshold,
      maxRounds: options.rounds,
      ...(options.signal ? { signal: options.signal } : {}),
      onRound: (report) => options.onRound?.(hook, scope, report),
    });
    return result.best?.candidate;
  };
}

/**
 * A program runner behind a safety review (issue 17 item 5, before execution): before a program runs, `review`
 * judges its codebase; a failed review means it is not run (`not-run`, rule `vetoed by the safety review: …`).
 * Each codebase is reviewed once (by content); the syntax check, which runs none of the program, is not reviewed.
 */
export function safetyReviewedRunner(
  runner: ProgramRunner,
  review: (codebase: string, scope: string) => Promise<SafetyVerdict>,
): ProgramRunner {
  const reviews = new Map<string, Promise<SafetyVerdict>>();
  return async (files, entry, language, signal) => {
    if (entry !== pythonCheckFile) {
      const text = formatCodebase(files);
      const key = createHash('sha256').update(text).digest('hex');
      let verdict = reviews.get(key);
      if (!verdict) {
        verdict = review(text, `${language} ${entry}`);
        reviews.set(key, verdict);
      }
      const { passed, reason } = await verdict;
      if (!passed)
        return {
          outcome: 'not-run',
          rule: (reason ?? 'vetoed').replace(/^withheld by --safety-check/, 'vetoed by the safety review'),
          exitCode: null,
          output: '',
          durationMs: 0,
        };
    }
    return runner(files, entry, language, signal);
  };
}

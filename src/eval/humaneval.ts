import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, mapLimit } from '../common/index.js';
import type { Sandbox, SandboxOutcome } from '../sandbox/index.js';
import type { HumanEvalProblem } from './datasets.js';
import { meanPassAtK } from './pass-at-k.js';

/** How one completion fared against its problem's tests. */
export interface HumanEvalCheck {
  taskId: string;
  /** Index of the sample among the problem's completions. */
  sample: number;
  passed: boolean;
  outcome: SandboxOutcome;
  /** Last lines of the error output when it failed. */
  detail: string;
  durationMs: number;
}

/** Options of {@link checkHumanEval}. */
export interface HumanEvalCheckOptions {
  sandbox: Sandbox;
  /** Wall-clock limit per program, in ms. Default 10 000. */
  timeoutMs?: number;
  /** Programs run at once. Default 2. */
  concurrency?: number;
  signal?: AbortSignal;
  /** Folder the temporary workspaces go in. Default the system temp folder. */
  workspaceParent?: string;
}

/**
 * Pulls the Python code out of a model's answer: the first fenced block that
 * holds code (```python or plain ```), else the whole text.
 */
export function codeFromAnswer(answer: string): string {
  const fences = [...answer.matchAll(/```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n([\s\S]*?)```/g)];
  const python = fences.find((m) => /^(python|py|python3)?$/i.test(m[1] ?? ''));
  return (python ?? fences[0])?.[2] ?? answer;
}

/**
 * The program that tests a completion, as the HumanEval harness builds it:
 * prompt + completion + the problem's `check` function + `check(entry_point)`.
 * A completion that defines the entry point itself (what chat models usually
 * return) is appended after the whole prompt, whose docstring-only stub is
 * valid Python and is then redefined; a body-only completion continues the prompt.
 */
export function humanEvalProgram(problem: HumanEvalProblem, completion: string): string {
  const defines = new RegExp(`^\\s*def\\s+${problem.entry_point}\\s*\\(`, 'm').test(completion);
  const body = defines ? `${problem.prompt}\n    pass\n\n${completion}` : `${problem.prompt}${completion}`;
  return `${body}\n\n${problem.test}\n\ncheck(${problem.entry_point})\n`;
}

/**
 * Runs every completion against its problem's tests inside the sandbox (no
 * network, time-limited, each in a fresh workspace that is removed after).
 * A program passes when it exits with status 0 within the limit; a program
 * still running at the limit fails.
 */
export async function checkHumanEval(
  problems: readonly HumanEvalProblem[],
  completions: ReadonlyMap<string, readonly string[]>,
  options: HumanEvalCheckOptions,
): Promise<HumanEvalCheck[]> {
  const jobs = problems.flatMap((problem) =>
    (completions.get(problem.task_id) ?? []).map((completion, sample) => ({ problem, completion, sample })),
  );
  const results = await mapLimit(
    jobs,
    options.concurrency ?? 2,
    async ({ problem, completion, sample }) => {
      const temp = makeTempDir('crosstalk-eval-', options.workspaceParent);
      try {
        writeFileSync(join(temp.path, 'program.py'), humanEvalProgram(problem, completion));
        const run = await options.sandbox.run(
          { workspace: temp.path, command: ['python3', 'program.py'], timeoutMs: options.timeoutMs ?? 10_000 },
          options.signal,
        );
        const passed = run.outcome === 'exited-ok';
        const detail = passed ? '' : (run.stderr || run.stdout || run.notes.join('; ')).trim().split('\n').slice(-3);
        return {
          taskId: problem.task_id,
          sample,
          passed,
          outcome: run.outcome,
          detail: Array.isArray(detail) ? detail.join('\n') : detail,
          durationMs: Math.round(run.durationMs),
        } satisfies HumanEvalCheck;
      } finally {
        temp.remove();
      }
    },
    options.signal,
  );
  return results.filter((r): r is HumanEvalCheck => r !== undefined);
}

/** pass@k over checked completions, for each `k` the sample counts allow (`null` otherwise). */
export function humanEvalScores(
  checks: readonly HumanEvalCheck[],
  ks: readonly number[] = [1, 10],
): { problems: number; samples: number; passAtK: Record<string, number | null> } {
  const byTask = new Map<string, { n: number; c: number }>();
  for (const check of checks) {
    const entry = byTask.get(check.taskId) ?? { n: 0, c: 0 };
    entry.n++;
    if (check.passed) entry.c++;
    byTask.set(check.taskId, entry);
  }
  const counts = [...byTask.values()];
  return {
    problems: counts.length,
    samples: checks.length,
    passAtK: Object.fromEntries(ks.map((k) => [`pass@${k}`, meanPassAtK(counts, k)])),
  };
}

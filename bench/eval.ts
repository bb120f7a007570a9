import { checkHumanEval, harnessChecks, loadHumanEval } from '../src/eval/index.js';
import { detectSandbox } from '../src/sandbox/index.js';
import { printTable } from './table.js';

const dataFile = new URL('../../shared/data/humaneval/HumanEval.jsonl.gz', import.meta.url).pathname;

/**
 * Wall time of the HumanEval harness on the 164 canonical solutions in the
 * sandbox (target: under 60 s on 2 cores), and on the empty and wrong sets.
 * It measures the harness, not a model.
 */
export async function benchEval(): Promise<void> {
  const { sandbox, reason } = detectSandbox();
  if (!sandbox) {
    process.stdout.write(`\n## HumanEval harness\n\nskipped: no sandbox (${reason})\n`);
    return;
  }
  const problems = loadHumanEval(dataFile);
  const rows: Array<Array<string | number>> = [];
  for (const [name, concurrency] of [
    ['canonical', 2],
    ['canonical', 4],
    ['empty', 4],
    ['wrong', 4],
  ] as const) {
    const started = performance.now();
    const checks = await checkHumanEval(problems, new Map(problems.map((p) => [p.task_id, [harnessChecks[name](p)]])), {
      sandbox,
      concurrency,
    });
    const seconds = (performance.now() - started) / 1000;
    const passed = checks.filter((c) => c.passed).length;
    rows.push([
      name,
      concurrency,
      `${passed}/164`,
      seconds,
      seconds / 164,
      name === 'canonical' ? `${seconds < 60 ? 'met' : 'MISSED'} (< 60 s)` : '',
    ]);
  }
  printTable(
    `HumanEval harness, ${sandbox.kind} sandbox (164 programs each)`,
    ['solutions', 'programs at once', 'passed', 'wall s', 's / program', 'target'],
    rows,
  );
}

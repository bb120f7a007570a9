import type { HumanEvalProblem } from './datasets.js';

/**
 * Completion sets that validate the HumanEval harness itself: the canonical
 * solutions (all must pass), empty bodies (none may pass) and deliberately
 * wrong solutions (the canonical one with its result changed; none may pass).
 * A harness that scores these otherwise is broken, whatever a model does.
 */
export const harnessChecks = {
  canonical: (problem: HumanEvalProblem) => problem.canonical_solution,
  empty: () => '    pass\n',
  wrong: (problem: HumanEvalProblem) =>
    `${problem.canonical_solution}\n\n` +
    `_crosstalk_right = ${problem.entry_point}\n\n` +
    `def ${problem.entry_point}(*args, **kwargs):\n` +
    '    result = _crosstalk_right(*args, **kwargs)\n' +
    '    if isinstance(result, bool): return not result\n' +
    '    if isinstance(result, (int, float)): return result + 1\n' +
    "    if isinstance(result, str): return result + '#'\n" +
    '    if isinstance(result, list): return result + [None]\n' +
    '    if isinstance(result, tuple): return result + (None,)\n' +
    "    if isinstance(result, dict): return {**result, '#': None}\n" +
    '    return 0 if result is None else None\n',
} as const;

import { ConfigError } from '../errors/index.js';
import type { SafetyCheckConfig, SelfCorrectConfig, TextSelfCorrectConfig } from '../jobs/self-correction.js';
import { wholeNumber } from './parse-flags.js';

/** `--self-correct`, `--self-correct-threshold`, `--self-correct-at` and `--critic-model`, for `dev`. */
export const selfCorrectOptions: ReadonlyArray<readonly [string, string]> = [
  [
    '--self-correct <rounds>',
    'self-correction after coding: checks (syntax, sandbox run), then a critic scores 0-10 and the programmer ' +
      'refines, up to <rounds> versions in all; the best-scored one is kept (default off)',
  ],
  ['--self-correct-threshold <score>', 'self-correction stops at this critic score, 0-10 (default 8)'],
  ['--self-correct-at <hooks>', 'where self-correction runs: coding, review or coding,review (default coding)'],
  ['--critic-model <model>', "the self-correction and safety critic's model (default: the critic role's model)"],
];

/** The self-correction settings of a command's options; undefined when `--self-correct` is absent. */
export function parseSelfCorrect(options: Record<string, unknown>): SelfCorrectConfig | undefined {
  if (options.selfCorrect === undefined) {
    for (const flag of ['selfCorrectThreshold', 'selfCorrectAt'] as const)
      if (options[flag] !== undefined)
        throw new ConfigError({
          key: flag,
          message: `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --self-correct <rounds>`,
        });
    return undefined;
  }
  const rounds = wholeNumber('--self-correct', options.selfCorrect, 3, 1, 10);
  const threshold = wholeNumber('--self-correct-threshold', options.selfCorrectThreshold, 8, 0, 10);
  const at = typeof options.selfCorrectAt === 'string' ? options.selfCorrectAt.split(',').map((s) => s.trim()) : [];
  const hooks = at.length === 0 ? ['after-coding' as const] : at.map(hookOf);
  return {
    rounds,
    threshold,
    hooks: [...new Set(hooks)],
    ...(typeof options.criticModel === 'string' ? { criticModel: options.criticModel } : {}),
  };
}

/**
 * `--self-correct`, `--self-correct-threshold` and `--critic-model` for a text result (`story`'s final story,
 * `net`'s nodes): critic only, as prose has no verifiable check. `what` names the text.
 */
export function textSelfCorrectOptions(what: string): ReadonlyArray<readonly [string, string]> {
  return [
    [
      '--self-correct <rounds>',
      `self-correction of ${what}: a critic scores it 0-10 by a written rubric and the author rewrites, up to ` +
        '<rounds> versions in all; the best-scored one is kept (default off)',
    ],
    ['--self-correct-threshold <score>', 'self-correction stops at this critic score, 0-10 (default 8)'],
    ['--critic-model <model>', "the self-correction and safety critic's model (default: the critic role's model)"],
  ];
}

/** The self-correction settings of a text result; undefined when `--self-correct` is absent. */
export function parseTextSelfCorrect(options: Record<string, unknown>): TextSelfCorrectConfig | undefined {
  const parsed = parseSelfCorrect(options);
  if (!parsed) return undefined;
  const { hooks: _hooks, ...text } = parsed;
  return text;
}

function hookOf(name: string): 'after-coding' | 'after-review' {
  if (name === 'coding') return 'after-coding';
  if (name === 'review') return 'after-review';
  throw new ConfigError({
    key: 'selfCorrectAt',
    message: `--self-correct-at takes coding, review or coding,review (got '${name}')`,
  });
}

/**
 * `--safety-check`, `--safety-threshold` and `--critic-model`: `net` reviews its final answer, `dev` each program
 * before the sandbox runs it.
 */
export const safetyCheckOptions: ReadonlyArray<readonly [string, string]> = [
  [
    '--safety-check',
    'a critic reviews the final answer (net), the story (story) or each program before it runs (dev) for ' +
      'harmful content and ' +
      'jailbreaks, by a written rubric; a veto or a score below the threshold withholds it',
  ],
  ['--safety-threshold <score>', 'the safety check withholds answers scored below this, 0-10 (default 5)'],
  ['--critic-model <model>', "the safety critic's model (default: the critic role's model)"],
];

/** The safety-check settings of a command's options; undefined without `--safety-check`. */
export function parseSafetyCheck(options: Record<string, unknown>): SafetyCheckConfig | undefined {
  if (options.safetyCheck !== true) {
    if (options.safetyThreshold !== undefined)
      throw new ConfigError({ key: 'safetyThreshold', message: '--safety-threshold needs --safety-check' });
    return undefined;
  }
  return {
    threshold: wholeNumber('--safety-threshold', options.safetyThreshold, 5, 0, 10),
    ...(typeof options.criticModel === 'string' ? { criticModel: options.criticModel } : {}),
  };
}

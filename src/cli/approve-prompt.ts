import { createInterface } from 'node:readline/promises';
import type { ApprovalPrompt, GuardReport } from '../guard/index.js';
import type { CliContext } from './context.js';
import { printable } from './format.js';

/** The lines shown before asking about an askable action: what is asked about and each askable finding. */
export function describeAskable(report: GuardReport): string[] {
  const askable = report.findings.filter((f) => f.decision === 'ask');
  const lines = [`crosstalk: the guard needs your approval to run ${printable(report.scope)}:`];
  for (const f of askable.slice(0, 10))
    lines.push(
      `  ${f.rule} [${f.severity}] ${printable(f.file)}${f.line ? `:${f.line}` : ''}: ${printable(f.snippet)} (${f.because})`,
    );
  if (askable.length > 10) lines.push(`  … and ${askable.length - 10} more`);
  return lines;
}

/**
 * `--approve risky` on a terminal: shows the askable findings on stderr and
 * reads y/n from stdin (anything but y/yes refuses; the stream's end refuses).
 * @param clear called before the question, to clear the live status line.
 */
export function askApprovalOn(
  ctx: Pick<CliContext, 'stdin' | 'stderr' | 'signal'>,
  clear: () => void = () => {},
): ApprovalPrompt {
  return async (report) => {
    clear();
    for (const line of describeAskable(report)) ctx.stderr.write(`${line}\n`);
    const rl = createInterface({ input: ctx.stdin!, output: ctx.stderr, terminal: false });
    try {
      const closed = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
      const answer = await Promise.race([rl.question('Allow it for this run? [y/N] ', { signal: ctx.signal }), closed]);
      return /^y(es)?$/i.test(answer.trim());
    } catch {
      return false; // aborted (Ctrl-C): refused, and the run stops on its own
    } finally {
      rl.close();
    }
  };
}

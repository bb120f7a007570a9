import { makeTempDir } from '../common/index.js';
import { detectSandbox, hasVirtualDisplay, runtimeFor, wantsDisplay } from '../sandbox/index.js';
import type { ProgramRunner } from './chain.js';
import { writeCodebase } from './codebase/index.js';

/**
 * The chain's program runner over the sandbox: writes the files into a fresh
 * temporary workspace, runs the entry point with a time limit, and reports
 * the outcome with the rule applied. `run` is absent when no sandbox exists
 * (and unsafe execution was not allowed); `reason` says why.
 */
export function createProgramRunner(options: { allowUnsafe?: boolean; timeoutMs?: number } = {}): { run?: ProgramRunner; reason: string; kind?: string } {
  const choice = detectSandbox(options.allowUnsafe !== undefined ? { allowUnsafe: options.allowUnsafe } : {});
  const sandbox = choice.sandbox;
  if (!sandbox) return { reason: choice.reason };
  const run: ProgramRunner = async (files, entry, _language, signal) => {
    const command = runtimeFor(entry);
    if (!command) return { outcome: 'sandbox-error', rule: `no runtime for ${entry}`, exitCode: null, output: '', durationMs: 0 };
    const temp = makeTempDir('crosstalk-run-');
    const workspace = temp.path;
    try {
      writeCodebase(workspace, files);
      // GUI programs get a virtual display (Xvfb) when one is installed
      const display = hasVirtualDisplay() && Object.values(files).some((content) => wantsDisplay(content));
      const result = await sandbox.run({ workspace, command, timeoutMs: options.timeoutMs ?? 5000, display }, signal);
      const output = [result.stdout, result.stderr].filter(Boolean).join('\n');
      return {
        outcome: result.outcome,
        rule: `${result.rule}${result.limit ? ` (${result.limit} limit)` : ''}, ${result.sandbox}`,
        exitCode: result.exitCode,
        output: output.slice(-8000),
        durationMs: result.durationMs,
      };
    } finally {
      temp.remove();
    }
  };
  return { run, reason: choice.reason, kind: sandbox.kind };
}

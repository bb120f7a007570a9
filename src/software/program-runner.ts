import { makeTempDir } from '../common/index.js';
import {
  type DetectSandboxOptions,
  detectSandbox,
  describeContainment,
  hasVirtualDisplay,
  ownedPrefix,
  removeStaleSandboxDirs,
  runtimeFor,
  type SandboxKind,
  wantsDisplay,
} from '../sandbox/index.js';
import type { ProgramRunner, TestOutcome } from './chain.js';
import { writeCodebase } from './codebase/index.js';

/** Options of {@link createProgramRunner}. */
export interface ProgramRunnerOptions {
  allowUnsafe?: boolean;
  /** Time limit of one program run, in ms. Default 5000. */
  timeoutMs?: number;
  /** Folder the temporary workspaces are made in. Default the system's temporary folder. */
  workspaceParent?: string;
  /** Time limit for removing a workspace after the run, in ms. Default 60 000. */
  cleanupTimeoutMs?: number;
  /** Environment variables the program sees besides the sandbox's own (the guard policy's `env`). Default none. */
  env?: Record<string, string>;
  /** Use only this sandbox (default: `CROSSTALK_SANDBOX`, else the strongest that works). */
  sandbox?: SandboxKind;
}

/**
 * The chain's program runner over the sandbox: writes the files into a fresh
 * temporary workspace, runs the entry point with a time limit, and reports
 * the outcome with the rule applied. `run` is absent when no sandbox exists
 * (and unsafe execution was not allowed); `reason` says why. A workspace that
 * cannot be removed (a program may leave a tree deeper than any path) is
 * reported in the outcome's rule, never thrown.
 */
export function createProgramRunner(options: ProgramRunnerOptions = {}): {
  run?: ProgramRunner;
  reason: string;
  kind?: string;
} {
  const detect: DetectSandboxOptions = {};
  if (options.allowUnsafe !== undefined) detect.allowUnsafe = options.allowUnsafe;
  if (options.sandbox !== undefined) detect.prefer = options.sandbox;
  const choice = detectSandbox(detect);
  const sandbox = choice.sandbox;
  if (!sandbox) return { reason: choice.reason };
  // workspaces of runs whose crosstalk was killed before it could remove them
  removeStaleSandboxDirs(options.workspaceParent);
  const run: ProgramRunner = async (files, entry, _language, signal) => {
    const command = runtimeFor(entry);
    if (!command)
      return { outcome: 'sandbox-error', rule: `no runtime for ${entry}`, exitCode: null, output: '', durationMs: 0 };
    const temp = makeTempDir(ownedPrefix('crosstalk-run-'), options.workspaceParent);
    const workspace = temp.path;
    let outcome: TestOutcome | undefined;
    try {
      writeCodebase(workspace, files);
      // GUI programs get a virtual display (Xvfb) when one is installed
      const display = hasVirtualDisplay() && Object.values(files).some((content) => wantsDisplay(content));
      const result = await sandbox.run(
        {
          workspace,
          command,
          timeoutMs: options.timeoutMs ?? 5000,
          display,
          ...(options.env ? { env: options.env } : {}),
        },
        signal,
      );
      const output = [result.stdout, result.stderr].filter(Boolean).join('\n');
      const limit = result.limit ? ` (${result.limit} limit)` : '';
      outcome = {
        outcome: result.outcome,
        // the record names the sandbox and how it contained the run (memory mechanism, filter)
        rule: `${result.rule}${limit}, ${result.sandbox} (${describeContainment(result.containment)})`,
        exitCode: result.exitCode,
        output: output.slice(-8000),
        durationMs: result.durationMs,
      };
      return outcome;
    } finally {
      const removal = temp.remove(options.cleanupTimeoutMs ?? 60_000);
      if (!removal.ok && outcome) outcome.rule += `; workspace ${workspace} was not removed: ${removal.error}`;
    }
  };
  return { run, reason: choice.reason, kind: sandbox.kind };
}

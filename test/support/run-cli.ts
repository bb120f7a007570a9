import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/main.js';

/** Absolute path of the built CLI entry point (`npm test` builds before running tests). */
export const cliPath = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/crosstalk.js');

/** Output of one CLI invocation. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export { tempDir } from './temp-dir.js';

/**
 * Environment with no provider keys, so tests never reach a real service. TMPDIR is kept so the CLI's
 * own temporary files land where the test run's do.
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  return { ...env, ...extra };
}

/**
 * Runs the CLI in this process (fast), with captured streams. `onStderr` sees the standard error so far
 * after each write: a test acts on a line the CLI printed (a readiness signal) instead of a guessed delay.
 */
export async function runInProcess(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal; onStderr?: (soFar: string) => void },
): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += String(d)));
  stderr.on('data', (d) => {
    err += String(d);
    options.onStderr?.(err);
  });
  const code = await runCli(args, {
    cwd: options.cwd,
    env: options.env ?? cleanEnv(),
    stdout,
    stderr,
    signal: options.signal ?? new AbortController().signal,
  });
  return { code, stdout: out, stderr: err };
}

/** Runs the built CLI as a child process, as a user would. */
export function runProcess(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: options.cwd,
      env: options.env ?? cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** Runs a small `net` job on `sim` in `cwd` (stored in its default store, output in `n/`) and returns its run id. */
export async function storedNetRun(cwd: string, agents = 2): Promise<string> {
  const net = await runInProcess(
    [
      'net',
      'Write a haiku.',
      '--topology',
      'chain',
      '--agents',
      String(agents),
      '--model',
      'sim',
      '--out',
      'n',
      '--json',
    ],
    { cwd },
  );
  return (JSON.parse(net.stdout) as { runId: string }).runId;
}

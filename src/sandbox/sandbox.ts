import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { SandboxUnavailableError } from '../errors/index.js';

/** How a sandboxed program ended. */
export type SandboxOutcome = 'exited-ok' | 'exited-error' | 'timeout-running' | 'killed-limit' | 'sandbox-error';

/** Which rule turned the raw result into an outcome; recorded so reports say how executability was judged. */
export type ExecutabilityRule = 'exit-code' | 'running-at-timeout-counts-as-executable' | 'limit';

/** Result of one sandboxed run. */
export interface SandboxResult {
  outcome: SandboxOutcome;
  rule: ExecutabilityRule;
  /** Which limit was hit, for `killed-limit`. */
  limit?: 'memory' | 'processes' | 'output' | 'time';
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** The kind of sandbox that ran it. */
  sandbox: SandboxKind;
}

/** Kinds of sandbox, strongest first. */
export type SandboxKind = 'bwrap' | 'unshare' | 'none-unsafe';

/** Options of one run. */
export const sandboxRunOptionsSchema = z.object({
  /** Directory holding the program; the only writable place, mounted at /workspace. */
  workspace: z.string().min(1),
  /** Command and arguments, e.g. ['python3', 'main.py']. */
  command: z.array(z.string().min(1)).min(1),
  /** Wall-clock limit in ms. Default 10 000. */
  timeoutMs: z.number().int().positive().default(10_000),
  /** Address-space limit in bytes. Default 512 MiB. */
  memoryBytes: z.number().int().positive().default(512 * 1024 * 1024),
  /** Process limit. Default 64. */
  maxProcesses: z.number().int().positive().default(64),
  /** Bytes kept per output stream. Default 64 KiB. */
  maxOutputBytes: z.number().int().positive().default(64 * 1024),
  /** Standard input. */
  stdin: z.string().optional(),
  /** With a virtual display when Xvfb is installed (GUI programs). */
  display: z.boolean().default(false),
});

/** Options of {@link Sandbox.run}. */
export type SandboxRunOptions = z.input<typeof sandboxRunOptionsSchema>;

/** Runs generated programs under containment. */
export interface Sandbox {
  readonly kind: SandboxKind;
  run(options: SandboxRunOptions, signal?: AbortSignal): Promise<SandboxResult>;
}

const nobody = 65534;

function which(command: string): string | undefined {
  for (const dir of ['/usr/bin', '/bin', '/usr/local/bin', '/usr/sbin']) {
    const path = join(dir, command);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** Interpreter for an entry file: Python 3 or Node.js. */
export function runtimeFor(entry: string): string[] | undefined {
  if (entry.endsWith('.py')) return ['python3', entry];
  if (/\.(js|mjs|cjs)$/.test(entry)) return ['node', entry];
  return undefined;
}

function probe(args: string[]): boolean {
  const result = spawnSync(args[0]!, args.slice(1), { stdio: 'ignore', timeout: 5000 });
  return result.status === 0;
}

const systemBinds = ['/usr', '/etc'];

function bwrapArgs(workspace: string, display: string | undefined): string[] {
  const args = ['--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--die-with-parent', '--new-session'];
  for (const dir of systemBinds) args.push('--ro-bind', dir, dir);
  for (const [link, target] of [['/lib', 'usr/lib'], ['/lib64', 'usr/lib64'], ['/bin', 'usr/bin'], ['/sbin', 'usr/sbin']] as const) {
    if (existsSync(link)) args.push('--symlink', target, link);
  }
  args.push('--proc', '/proc', '--dev', '/dev', '--perms', '1777', '--tmpfs', '/tmp', '--bind', workspace, '/workspace', '--chdir', '/workspace');
  if (display) args.push('--ro-bind-try', '/tmp/.X11-unix', '/tmp/.X11-unix');
  args.push('--clearenv', '--setenv', 'PATH', '/usr/local/bin:/usr/bin:/bin', '--setenv', 'HOME', '/workspace', '--setenv', 'LANG', 'C.UTF-8', '--setenv', 'PYTHONDONTWRITEBYTECODE', '1');
  if (display) args.push('--setenv', 'DISPLAY', display);
  return args;
}

/** Drops to an unprivileged user and applies memory, process and file-size limits (RLIMIT_NPROC is not enforced for root). */
function limitArgs(o: z.output<typeof sandboxRunOptionsSchema>): string[] {
  // V8 reserves about 1 GiB of address space up front, so Node gets a larger address-space
  // limit and its heap is capped with --max-old-space-size instead (see programCommand)
  const addressSpace = o.command[0] === 'node' ? Math.max(o.memoryBytes, 2 * 1024 ** 3) : o.memoryBytes;
  return ['/usr/bin/setpriv', `--reuid=${nobody}`, `--regid=${nobody}`, '--clear-groups', '/usr/bin/prlimit', `--nproc=${o.maxProcesses}`, `--as=${addressSpace}`, `--fsize=${64 * 1024 * 1024}`, '--core=0', '--'];
}

/** The program's command, with Node's heap capped to the memory limit. */
function programCommand(o: z.output<typeof sandboxRunOptionsSchema>): string[] {
  if (o.command[0] === 'node') return ['node', `--max-old-space-size=${Math.max(32, Math.floor(o.memoryBytes / 1024 ** 2))}`, ...o.command.slice(1)];
  return o.command;
}

/** Makes the workspace writable for the unprivileged user the program runs as. */
function openWorkspace(dir: string): void {
  const walk = (path: string) => {
    const st = statSync(path);
    chmodSync(path, st.isDirectory() ? 0o777 : 0o666);
    if (st.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
  };
  walk(dir);
}

/** A running virtual X display (Xvfb) for GUI programs. */
interface VirtualDisplay {
  display: string;
  stop(): void;
}

/** Starts Xvfb on a free display number; undefined when Xvfb is not installed or does not come up. */
async function startVirtualDisplay(): Promise<VirtualDisplay | undefined> {
  const xvfb = which('Xvfb');
  if (!xvfb) return undefined;
  for (let n = 90 + Math.floor(Math.random() * 100); n < 400; n++) {
    if (existsSync(`/tmp/.X11-unix/X${n}`) || existsSync(`/tmp/.X${n}-lock`)) continue;
    const server = spawn(xvfb, [`:${n}`, '-nolisten', 'tcp', '-screen', '0', '1024x768x24'], { stdio: 'ignore', detached: true });
    const stop = () => {
      try {
        if (server.pid) process.kill(-server.pid, 'SIGKILL');
      } catch {
        server.kill('SIGKILL');
      }
    };
    for (let waited = 0; waited < 3000; waited += 50) {
      if (existsSync(`/tmp/.X11-unix/X${n}`)) return { display: `:${n}`, stop };
      if (server.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    stop();
  }
  return undefined;
}

/** Whether a virtual display can be offered to GUI programs here. */
export function hasVirtualDisplay(): boolean {
  return which('Xvfb') !== undefined;
}

function classify(code: number | null, signal: string | null, stderr: string, timedOut: boolean, outputOverflow: boolean): Pick<SandboxResult, 'outcome' | 'rule' | 'limit'> {
  if (outputOverflow) return { outcome: 'killed-limit', rule: 'limit', limit: 'output' };
  if (/MemoryError|Cannot allocate memory|JavaScript heap out of memory|std::bad_alloc|allocation failed/i.test(stderr)) return { outcome: 'killed-limit', rule: 'limit', limit: 'memory' };
  if (/Resource temporarily unavailable|BlockingIOError: \[Errno 11\]|EAGAIN.*(fork|spawn)|fork failed/i.test(stderr)) return { outcome: 'killed-limit', rule: 'limit', limit: 'processes' };
  if (timedOut) {
    // ChatDev's rule: a program still running at the timeout without an error (a game, a GUI, a server) counts as executable
    return /Traceback \(most recent call last\)|Error:|Exception/.test(stderr) ? { outcome: 'killed-limit', rule: 'limit', limit: 'time' } : { outcome: 'timeout-running', rule: 'running-at-timeout-counts-as-executable' };
  }
  if (signal === 'SIGSEGV' || signal === 'SIGKILL' || signal === 'SIGABRT') return { outcome: 'killed-limit', rule: 'limit', limit: 'memory' };
  return code === 0 ? { outcome: 'exited-ok', rule: 'exit-code' } : { outcome: 'exited-error', rule: 'exit-code' };
}

class ProcessSandbox implements Sandbox {
  constructor(
    readonly kind: SandboxKind,
    private readonly wrap: (o: z.output<typeof sandboxRunOptionsSchema>, workspace: string, display: string | undefined) => { command: string; args: string[]; cwd: string },
  ) {}

  async run(input: SandboxRunOptions, signal?: AbortSignal): Promise<SandboxResult> {
    const o = sandboxRunOptionsSchema.parse(input);
    const display = o.display ? await startVirtualDisplay() : undefined;
    try {
      return await this.runWith(o, display?.display, signal);
    } finally {
      display?.stop();
    }
  }

  private runWith(o: z.output<typeof sandboxRunOptionsSchema>, display: string | undefined, signal?: AbortSignal): Promise<SandboxResult> {
    const workspace = realpathSync(o.workspace);
    if (this.kind !== 'none-unsafe') openWorkspace(workspace);
    const { command, args, cwd } = this.wrap(o, workspace, display);
    const started = performance.now();
    return new Promise((resolve) => {
      const env: NodeJS.ProcessEnv = this.kind === 'none-unsafe' ? { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: workspace, LANG: 'C.UTF-8' } : { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' };
      if (display) env.DISPLAY = display;
      const child = spawn(command, args, { cwd, detached: true, stdio: ['pipe', 'pipe', 'pipe'], env });
      const out = { stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false };
      let overflow = false;
      let timedOut = false;
      const kill = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      };
      const seen = { stdout: 0, stderr: 0 };
      const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
        seen[stream] += chunk.length;
        const current = out[stream];
        if (current.length < o.maxOutputBytes) out[stream] = current + chunk.toString('utf8').slice(0, o.maxOutputBytes - current.length);
        if (seen[stream] > o.maxOutputBytes) out[`${stream}Truncated`] = true;
        // a program flooding its output far past the bound is stopped
        if (seen[stream] > o.maxOutputBytes * 16 && !overflow) {
          overflow = true;
          kill();
        }
      };
      child.stdout.on('data', collect('stdout'));
      child.stderr.on('data', collect('stderr'));
      child.stdin.on('error', () => {});
      child.stdin.end(o.stdin ?? '');
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, o.timeoutMs);
      const onAbort = () => kill();
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('error', (error) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve({ outcome: 'sandbox-error', rule: 'exit-code', exitCode: null, signal: null, durationMs: performance.now() - started, stdout: '', stderr: error.message, stdoutTruncated: false, stderrTruncated: false, sandbox: this.kind });
      });
      child.on('close', (code, sig) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        kill(); // anything the program left behind in its process group
        resolve({
          ...classify(code, sig, out.stderr, timedOut, overflow),
          exitCode: code,
          signal: sig,
          durationMs: Math.round(performance.now() - started),
          stdout: out.stdout,
          stderr: out.stderr,
          stdoutTruncated: out.stdoutTruncated,
          stderrTruncated: out.stderrTruncated,
          sandbox: this.kind,
        });
      });
    });
  }
}

/** What {@link detectSandbox} found. */
export interface SandboxChoice {
  sandbox: Sandbox | undefined;
  /** Why there is no sandbox (or which fallback was taken). */
  reason: string;
}

/**
 * Picks the strongest sandbox this machine supports: bubblewrap (new pid,
 * network, ipc and uts namespaces; read-only system; only the workspace
 * writable; private /tmp), else `unshare --net --pid` with the same limits,
 * else none. Without a sandbox, generated code runs only when `allowUnsafe`
 * (`--unsafe-no-sandbox`) is set.
 */
export function detectSandbox(options: { allowUnsafe?: boolean } = {}): SandboxChoice {
  const hasLimits = existsSync('/usr/bin/setpriv') && existsSync('/usr/bin/prlimit');
  const bwrap = which('bwrap');
  if (bwrap && hasLimits && probe([bwrap, '--unshare-net', '--unshare-pid', '--die-with-parent', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', ...(existsSync('/lib64') ? ['--symlink', 'usr/lib64', '/lib64'] : []), '--proc', '/proc', '/usr/bin/true'])) {
    return {
      sandbox: new ProcessSandbox('bwrap', (o, workspace, display) => ({ command: bwrap, args: [...bwrapArgs(workspace, display), ...limitArgs(o), ...programCommand(o)], cwd: workspace })),
      reason: 'bubblewrap',
    };
  }
  const unshare = which('unshare');
  if (unshare && hasLimits && probe([unshare, '--net', '--pid', '--fork', '--kill-child', '/usr/bin/true'])) {
    return {
      sandbox: new ProcessSandbox('unshare', (o, workspace) => ({ command: unshare, args: ['--net', '--pid', '--fork', '--kill-child', '--mount-proc', ...limitArgs(o), ...programCommand(o)], cwd: workspace })),
      reason: 'bubblewrap is not available; using unshare (no network, own pid namespace, limits) without a read-only filesystem',
    };
  }
  if (options.allowUnsafe) {
    return {
      sandbox: new ProcessSandbox('none-unsafe', (o, workspace) => ({ command: o.command[0]!, args: o.command.slice(1), cwd: workspace })),
      reason: 'no sandbox available; running generated code on the host because --unsafe-no-sandbox was given',
    };
  }
  return { sandbox: undefined, reason: 'no sandbox available (install bubblewrap: apt-get install bubblewrap); generated code was not run — pass --unsafe-no-sandbox to run it on the host at your own risk' };
}

/** Like {@link detectSandbox} but throws when there is no sandbox. */
export function requireSandbox(options: { allowUnsafe?: boolean } = {}): Sandbox {
  const choice = detectSandbox(options);
  if (!choice.sandbox) throw new SandboxUnavailableError({ message: choice.reason });
  return choice.sandbox;
}

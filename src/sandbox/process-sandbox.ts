import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, realpathSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { makeTempDir, type TempDir } from '../common/index.js';
import { AbortedError, SandboxError } from '../errors/index.js';
import { BoundedOutput } from './bounded-output.js';
import { classifyRun, effectiveSignal } from './classify.js';
import { discoverHostRuntimes, runtimeFor } from './host-runtimes.js';
import {
  bwrapPlan,
  unsafePlan,
  unsharePlan,
  type LaunchContext,
  type LaunchPlan,
  type RunIdentity,
  type SandboxTools,
} from './launch.js';
import { allocateRunUid, handOverWorkspace } from './run-identity.js';
import {
  sandboxRunOptionsSchema,
  type ResolvedRunOptions,
  type Sandbox,
  type SandboxKind,
  type SandboxResult,
  type SandboxRunOptions,
} from './types.js';

/** How often the watchdog looks at processes and disk space, in ms. */
const watchdogIntervalMs = 100;
/** A stream may pass its kept bound by this factor before the program is stopped as a flood. */
const floodFactor = 16;
/** How long to wait for output pipes to close after the launcher exited, in ms. */
const drainMs = 500;

/** Validates run options and resolves the command (from `entry` when no command is given). */
export function resolveRunOptions(input: SandboxRunOptions): ResolvedRunOptions {
  const parsed = sandboxRunOptionsSchema.safeParse(input);
  if (!parsed.success)
    throw new SandboxError({
      code: 'SANDBOX_OPTIONS',
      message: `invalid sandbox options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ')}`,
      cause: parsed.error,
    });
  const o = parsed.data;
  const command = o.command ?? (o.entry !== undefined ? runtimeFor(o.entry) : undefined);
  if (!command)
    throw new SandboxError({
      code: 'SANDBOX_RUNTIME',
      message: `no runtime for ${JSON.stringify(o.entry)}: supported entry files are .py (python3) and .js/.mjs/.cjs (node)`,
    });
  return { ...o, command };
}

function readPid1Namespace(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/** Tasks (processes and threads) of every process in a pid namespace. */
function tasksInNamespace(namespace: string): number {
  let tasks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (readPid1Namespace(Number(entry)) !== namespace) continue;
    try {
      // /proc/N/stat: the command name is in parentheses and may hold spaces; num_threads is the 18th field after it
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      tasks += Number(fields[17]) || 1;
    } catch {
      // exited meanwhile
    }
  }
  return tasks;
}

/** Processes on the host owned by a uid (the run's own uid: nothing else uses it). */
function processesOfUid(uid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (statSync(`/proc/${entry}`).uid === uid) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/**
 * Waits for the run's processes to disappear (the pid namespace is torn down
 * asynchronously after its init dies), then kills any that linger, by pid.
 * Returns how many had to be killed.
 */
async function sweepUid(uid: number): Promise<number> {
  for (let waited = 0; waited < 300 && processesOfUid(uid).length > 0; waited += 25)
    await new Promise((r) => setTimeout(r, 25));
  let killed = 0;
  for (let round = 0; round < 20; round++) {
    const pids = processesOfUid(uid);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        // gone
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return killed;
}

function freeBytes(path: string): number | undefined {
  try {
    const s = statfsSync(path);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

/** How a backend builds its launch. */
export type PlanBuilder = (ctx: LaunchContext) => LaunchPlan | { error: string };

/** Runs programs through one launcher (bubblewrap, unshare, or directly for the unsafe mode). */
export class ProcessSandbox implements Sandbox {
  readonly #plan: PlanBuilder;
  readonly #tools: SandboxTools;

  constructor(
    readonly kind: SandboxKind,
    readonly description: string,
    tools: SandboxTools,
  ) {
    this.#tools = tools;
    this.#plan = kind === 'bwrap' ? bwrapPlan : kind === 'unshare' ? unsharePlan : unsafePlan;
  }

  /**
   * Builds the launch context: the run's identity, the minimal /etc files,
   * the display. `dispose` removes the temporary /etc files.
   */
  #prepare(o: ResolvedRunOptions, workspace: string, notes: string[]): { ctx: LaunchContext; dispose: () => void } {
    const isolated = this.kind !== 'none-unsafe';
    const identity: RunIdentity =
      isolated && process.getuid?.() === 0 ? { mode: 'uid', uid: 0, gid: 0 } : { mode: 'userns' };
    if (identity.mode === 'uid') identity.uid = identity.gid = allocateRunUid();
    let display: number | undefined;
    if (o.display) {
      if (this.#tools.xvfb) display = isolated ? 99 : 100 + ((process.pid * 7 + Date.now()) % 5000);
      else notes.push('a display was asked for but Xvfb is not installed: GUI programs will fail to open windows');
    }
    let etcDir: TempDir | undefined;
    let etc: LaunchContext['etc'];
    if (isolated) {
      etcDir = makeTempDir('crosstalk-sandbox-etc-');
      const uid = identity.mode === 'uid' ? identity.uid : (process.getuid?.() ?? 1000);
      const gid = identity.mode === 'uid' ? identity.gid : (process.getgid?.() ?? 1000);
      writeFileSync(
        join(etcDir.path, 'passwd'),
        `root:x:0:0:root:/root:/usr/sbin/nologin\nsandbox:x:${uid}:${gid}:sandbox:/workspace:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
        { mode: 0o644 },
      );
      writeFileSync(join(etcDir.path, 'group'), `root:x:0:\nsandbox:x:${gid}:\nnogroup:x:65534:\n`, { mode: 0o644 });
      etc = { passwd: join(etcDir.path, 'passwd'), group: join(etcDir.path, 'group') };
    }
    const ctx: LaunchContext = {
      options: o,
      workspace,
      identity,
      runtimes: discoverHostRuntimes(),
      tools: this.#tools,
      ...(etc ? { etc } : {}),
      ...(display !== undefined ? { display } : {}),
    };
    return { ctx, dispose: () => etcDir?.remove() };
  }

  /**
   * Runs a trivial program through the full launch (namespaces, mounts,
   * identity, limits) and says whether it worked; used by `detectSandbox`.
   */
  probe(): { ok: true } | { ok: false; detail: string } {
    const temp = makeTempDir('crosstalk-sandbox-probe-');
    const dir = temp.path;
    const notes: string[] = [];
    const o = resolveRunOptions({
      workspace: dir,
      command: ['sh', '-c', 'test -w /workspace && echo crosstalk-probe-ok'],
      timeoutMs: 10_000,
    });
    const { ctx, dispose } = this.#prepare(o, realpathSync(dir), notes);
    try {
      const plan = this.#plan(ctx);
      if ('error' in plan) return { ok: false, detail: plan.error };
      if (ctx.identity.mode === 'uid') handOverWorkspace(ctx.workspace, ctx.identity.uid, ctx.identity.gid);
      const result = spawnSync(plan.command, plan.args, {
        cwd: plan.cwd,
        env: plan.env,
        timeout: 10_000,
        stdio: ['ignore', 'pipe', 'pipe', plan.status === 'none' ? 'ignore' : 'pipe'],
        encoding: 'utf8',
      });
      if (result.error) return { ok: false, detail: result.error.message };
      if (result.status !== 0 || !String(result.stdout).includes('crosstalk-probe-ok'))
        return { ok: false, detail: (String(result.stderr).trim() || `exit status ${result.status}`).slice(0, 500) };
      return { ok: true };
    } finally {
      dispose();
      temp.remove();
    }
  }

  async run(input: SandboxRunOptions, signal?: AbortSignal): Promise<SandboxResult> {
    const o = resolveRunOptions(input);
    if (signal?.aborted) throw new AbortedError();
    let workspace: string;
    try {
      workspace = realpathSync(o.workspace);
      if (!statSync(workspace).isDirectory()) throw new Error('not a directory');
    } catch (error) {
      throw new SandboxError({
        code: 'SANDBOX_WORKSPACE',
        message: `workspace ${o.workspace} is not a directory`,
        cause: error,
      });
    }
    const notes: string[] = [];
    const owner = statSync(workspace);
    const { ctx, dispose } = this.#prepare(o, workspace, notes);
    const display = ctx.display !== undefined;
    try {
      const plan = this.#plan(ctx);
      if ('error' in plan) return this.#failed(o, plan.error, notes, display);
      const identity = ctx.identity;
      if (identity.mode === 'uid') handOverWorkspace(workspace, identity.uid, identity.gid);
      try {
        return await this.#execute(o, plan, workspace, notes, display, signal);
      } finally {
        if (identity.mode === 'uid') {
          // nothing should survive the pid namespace; make sure, by the run's own uid
          const stragglers = await sweepUid(identity.uid);
          if (stragglers > 0) notes.push(`killed ${stragglers} leftover process(es) of the run`);
          try {
            handOverWorkspace(workspace, owner.uid, owner.gid);
          } catch (error) {
            notes.push(`could not give the workspace back to its owner: ${(error as Error).message}`);
          }
        }
      }
    } finally {
      dispose();
    }
  }

  #failed(o: ResolvedRunOptions, message: string, notes: string[], display: boolean): SandboxResult {
    return {
      outcome: 'sandbox-error',
      rule: 'sandbox',
      exitCode: null,
      signal: null,
      durationMs: 0,
      stdout: '',
      stderr: message,
      stdoutTruncated: false,
      stderrTruncated: false,
      sandbox: this.kind,
      display,
      notes: [...notes, `${this.kind} could not run ${o.command.join(' ')}: ${message}`],
    };
  }

  #execute(
    o: ResolvedRunOptions,
    plan: LaunchPlan,
    workspace: string,
    notes: string[],
    display: boolean,
    signal?: AbortSignal,
  ): Promise<SandboxResult> {
    const started = performance.now();
    return new Promise<SandboxResult>((resolve, reject) => {
      const child = spawn(plan.command, plan.args, {
        cwd: plan.cwd,
        env: plan.env,
        detached: true, // own process group: a timeout kills the launcher and everything it started
        stdio: ['pipe', 'pipe', 'pipe', plan.status === 'none' ? 'ignore' : 'pipe'],
      });
      const stdout = new BoundedOutput(o.maxOutputBytes);
      const stderr = new BoundedOutput(o.maxOutputBytes);
      let status = '';
      let timedOut = false;
      let aborted = false;
      let watchdogKill: 'output' | 'disk' | undefined;
      let spawnError: Error | undefined;
      let namespace: string | undefined;
      let peakTasks: number | undefined;
      let exit: { code: number | null; signal: string | null } | undefined;
      let finished = false;

      const kill = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      };
      const onData = (out: BoundedOutput) => (chunk: Buffer) => {
        out.push(chunk);
        // a program flooding its output far past the bound is stopped
        if (out.seenBytes > o.maxOutputBytes * floodFactor && !watchdogKill) {
          watchdogKill = 'output';
          kill();
        }
      };
      child.stdout!.on('data', onData(stdout));
      child.stderr!.on('data', onData(stderr));
      const statusStream = child.stdio[3] as Readable | null | undefined;
      statusStream?.on('data', (chunk: Buffer) => {
        status += chunk.toString('utf8');
        const ns = /"pid-namespace"\s*:\s*(\d+)/.exec(status);
        if (ns) namespace = `pid:[${ns[1]}]`;
      });
      statusStream?.on('error', () => {});
      child.stdin!.on('error', () => {});
      child.stdin!.end(o.stdin ?? '');

      const startFree = freeBytes(workspace);
      const watchdog = setInterval(() => {
        if (exit) return;
        if (startFree !== undefined && !watchdogKill) {
          const free = freeBytes(workspace);
          if (free !== undefined && startFree - free > o.maxDiskBytes) {
            watchdogKill = 'disk';
            notes.push(`stopped: the workspace's file system lost more than ${o.maxDiskBytes} bytes of free space`);
            kill();
          }
        }
        if (plan.status === 'none' || !child.pid) return;
        if (!namespace && plan.status === 'ready-line') {
          // unshare's child is pid 1 of the new namespace
          try {
            const first = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0];
            if (first) namespace = readPid1Namespace(Number(first));
          } catch {
            // not there yet
          }
        }
        if (namespace) {
          const tasks = tasksInNamespace(namespace);
          if (peakTasks === undefined || tasks > peakTasks) peakTasks = tasks;
        }
      }, watchdogIntervalMs);
      watchdog.unref();
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, o.timeoutMs);
      const onAbort = () => {
        aborted = true;
        kill();
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        clearInterval(watchdog);
        signal?.removeEventListener('abort', onAbort);
        kill(); // anything left in the process group
        for (const stream of [child.stdout, child.stderr, statusStream]) stream?.destroy();
        if (aborted) {
          reject(new AbortedError({ message: 'sandboxed run cancelled' }));
          return;
        }
        const code = exit?.code ?? null;
        const sig = exit?.signal ?? null;
        const err = stderr.text();
        let setupFailure: string | undefined;
        if (spawnError) setupFailure = `could not start ${plan.command}: ${spawnError.message}`;
        else if (plan.status === 'bwrap-json' && !/"child-pid"/.test(status) && !timedOut)
          setupFailure = `bubblewrap could not set up the sandbox: ${err.trim() || `exit ${code}`}`;
        else if (plan.status === 'ready-line' && !/ready/.test(status) && !timedOut)
          setupFailure = `the unshare sandbox could not be set up: ${err.trim() || `exit ${code}`}`;
        else if (code !== 0 && /^(setpriv|prlimit|chroot|env): /m.test(err) && !/Traceback|Error:/.test(err))
          setupFailure = `the sandbox could not start the program: ${err.trim()}`;
        if (setupFailure) notes.push(setupFailure);
        const classification = classifyRun({
          exitCode: code,
          signal: sig,
          stderr: err,
          timedOut,
          ...(watchdogKill ? { watchdog: watchdogKill } : {}),
          ...(setupFailure !== undefined ? { setupFailure } : {}),
          ...(peakTasks !== undefined ? { peakTasks } : {}),
          maxProcesses: o.maxProcesses,
        });
        if (timedOut) notes.push(`stopped at the ${o.timeoutMs} ms timeout`);
        resolve({
          ...classification,
          exitCode: timedOut || watchdogKill ? null : code,
          signal: timedOut || watchdogKill ? 'SIGKILL' : effectiveSignal(code, sig),
          durationMs: Math.round(performance.now() - started),
          stdout: stdout.text(),
          stderr: err,
          stdoutTruncated: stdout.truncated,
          stderrTruncated: stderr.truncated,
          sandbox: this.kind,
          ...(peakTasks !== undefined ? { peakTasks } : {}),
          display,
          notes,
        });
      };
      child.on('error', (error) => {
        spawnError = error;
        exit ??= { code: null, signal: null };
        finish();
      });
      child.on('exit', (code, sig) => {
        exit = { code, signal: sig };
        // the pipes may stay open if something escaped the process group (unsafe mode): do not wait forever
        setTimeout(finish, drainMs).unref();
      });
      child.on('close', () => {
        exit ??= { code: child.exitCode, signal: child.signalCode };
        finish();
      });
    });
  }
}

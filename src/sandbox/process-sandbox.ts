import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import {
  closeSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statfsSync,
  statSync,
  writeFileSync,
} from 'node:fs';
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
import { cgroupHost, createRunCgroup, memoryPageSize, type RunCgroup, rlimitShare } from './memory-bound.js';
import { allocateRunUid, handOverWorkspace } from './run-identity.js';
import { seccompFilter } from './seccomp.js';
import { ownedPrefix, removeStaleSandboxDirs } from './stale-workspaces.js';
import {
  type Containment,
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
/** The `timeout` inside the sandbox fires this long after crosstalk's own timer (which normally wins), in ms. */
const innerTimeoutGraceMs = 1500;

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

/** Tasks (processes and threads) and resident memory (bytes) of every process in a pid namespace. */
function usageInNamespace(namespace: string): { tasks: number; residentBytes: number } {
  let tasks = 0;
  let pages = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (readPid1Namespace(Number(entry)) !== namespace) continue;
    try {
      // /proc/N/stat: the command name is in parentheses and may hold spaces; num_threads is the 18th field
      // after it, rss (pages) the 22nd
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      tasks += Number(fields[17]) || 1;
      pages += Number(fields[21]) || 0;
    } catch {
      // exited meanwhile
    }
  }
  return { tasks, residentBytes: pages * memoryPageSize() };
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

/** How one run's memory is bounded: its cgroup, or per-process limits sized to the total. */
interface MemoryPlan {
  mechanism: Containment['memory'];
  limits: LaunchContext['limits'];
  cgroup?: RunCgroup;
  notes: string[];
}

/** stdio of a launch: stdin, stdout, stderr, the status channel (fd 3) and, when the plan wants one, fd 4. */
function launchStdio(plan: LaunchPlan, seccompFd: number | undefined): StdioOptions {
  const stdio: StdioOptions = ['pipe', 'pipe', 'pipe', plan.status === 'none' ? 'ignore' : 'pipe'];
  if (plan.fd4 === 'seccomp' && seccompFd !== undefined) stdio.push(seccompFd);
  else if (plan.fd4 === 'lifeline') stdio.push('pipe');
  return stdio;
}

/** The launch, through a shell that first moves itself into the run's cgroup (so everything it starts is in it). */
function inCgroup(plan: LaunchPlan, cgroup: RunCgroup | undefined, sh: string): { command: string; args: string[] } {
  if (!cgroup) return { command: plan.command, args: plan.args };
  return { command: sh, args: ['-c', 'echo $$ > "$0" && exec "$@"', cgroup.procs, plan.command, ...plan.args] };
}

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
  #prepare(
    o: ResolvedRunOptions,
    workspace: string,
    notes: string[],
    limits: LaunchContext['limits'],
  ): { ctx: LaunchContext; dispose: () => void; seccompFile?: string } {
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
      etcDir = makeTempDir(ownedPrefix('crosstalk-sandbox-etc-'));
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
    const seccomp = isolated ? seccompFilter() : undefined;
    let seccompFile: string | undefined;
    if (seccomp && etcDir) {
      seccompFile = join(etcDir.path, 'seccomp.bpf');
      writeFileSync(seccompFile, seccomp, { mode: 0o600 });
    }
    const ctx: LaunchContext = {
      options: o,
      workspace,
      identity,
      runtimes: discoverHostRuntimes(),
      tools: this.#tools,
      ...(etc ? { etc } : {}),
      ...(display !== undefined ? { display } : {}),
      limits,
      ...(seccomp ? { seccomp } : {}),
      innerTimeoutMs: o.timeoutMs + innerTimeoutGraceMs,
    };
    return { ctx, dispose: () => etcDir?.remove(), ...(seccompFile ? { seccompFile } : {}) };
  }

  /**
   * Chooses how the run's total memory is bounded: its own memory cgroup when
   * this machine allows one (and `memoryMechanism` is `auto`), else per-process
   * limits lowered so that limit × processes stays under the total.
   */
  #memory(o: ResolvedRunOptions): MemoryPlan {
    const notes: string[] = [];
    if (o.memoryMechanism === 'auto') {
      const host = cgroupHost();
      if ('dir' in host) {
        try {
          return {
            mechanism: host.version === 2 ? 'cgroup-v2' : 'cgroup-v1',
            limits: { processBytes: Math.min(o.memoryBytes, o.totalMemoryBytes), processes: o.maxProcesses },
            cgroup: createRunCgroup(host, o.totalMemoryBytes),
            notes,
          };
        } catch (error) {
          notes.push(`no memory cgroup for this run: ${(error as Error).message}`);
        }
      } else notes.push(`no memory cgroup: ${host.reason}`);
    } else notes.push('per-process memory limits asked for');
    const share = rlimitShare(o.totalMemoryBytes, o.memoryBytes, o.maxProcesses);
    return { mechanism: 'rlimit', limits: share, notes };
  }

  /**
   * Runs a trivial program through the full launch (namespaces, mounts,
   * identity, limits) and says whether it worked; used by `detectSandbox`.
   */
  probe(): { ok: true } | { ok: false; detail: string } {
    removeStaleSandboxDirs();
    const temp = makeTempDir(ownedPrefix('crosstalk-sandbox-probe-'));
    const dir = temp.path;
    const notes: string[] = [];
    const o = resolveRunOptions({
      workspace: dir,
      command: ['sh', '-c', 'test -w /workspace && echo crosstalk-probe-ok'],
      timeoutMs: 10_000,
    });
    const limits = { processBytes: o.memoryBytes, processes: o.maxProcesses };
    const { ctx, dispose, seccompFile } = this.#prepare(o, realpathSync(dir), notes, limits);
    let seccompFd: number | undefined;
    try {
      // no lifeline for the probe: spawnSync cannot hold one open, and its own timeout bounds it
      const plan = this.kind === 'unshare' ? unsharePlan(ctx, false) : this.#plan(ctx);
      if ('error' in plan) return { ok: false, detail: plan.error };
      if (ctx.identity.mode === 'uid') handOverWorkspace(ctx.workspace, ctx.identity.uid, ctx.identity.gid);
      if (plan.fd4 === 'seccomp' && seccompFile) seccompFd = openSync(seccompFile, 'r');
      const stdio = launchStdio(plan, seccompFd) as Array<unknown>;
      stdio[0] = 'ignore';
      const result = spawnSync(plan.command, plan.args, {
        cwd: plan.cwd,
        env: plan.env,
        timeout: 10_000,
        stdio: stdio as StdioOptions,
        encoding: 'utf8',
      });
      if (result.error) return { ok: false, detail: result.error.message };
      if (result.status !== 0 || !String(result.stdout).includes('crosstalk-probe-ok'))
        return { ok: false, detail: (String(result.stderr).trim() || `exit status ${result.status}`).slice(0, 500) };
      return { ok: true };
    } finally {
      if (seccompFd !== undefined) closeSync(seccompFd);
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
    removeStaleSandboxDirs();
    const notes: string[] = [];
    const owner = statSync(workspace);
    const memory = this.#memory(o);
    try {
      return await this.#contain(o, workspace, owner, notes, memory, signal);
    } finally {
      const failure = await memory.cgroup?.remove();
      if (failure) notes.push(failure);
    }
  }

  /** One run with its memory plan chosen: launch context, plan, identity hand-over, the run, and clean-up. */
  async #contain(
    o: ResolvedRunOptions,
    workspace: string,
    owner: { uid: number; gid: number },
    notes: string[],
    memory: MemoryPlan,
    signal: AbortSignal | undefined,
  ): Promise<SandboxResult> {
    const { ctx, dispose, seccompFile } = this.#prepare(o, workspace, notes, memory.limits);
    const display = ctx.display !== undefined;
    let seccompFd: number | undefined;
    try {
      const plan = this.#plan(ctx);
      const containment: Containment = {
        memory: memory.mechanism,
        totalMemoryBytes: o.totalMemoryBytes,
        processMemoryBytes: memory.limits.processBytes,
        maxProcesses: memory.limits.processes,
        seccomp: 'error' in plan ? false : plan.seccomp,
        ...(ctx.tools.timeout ? { innerTimeoutMs: ctx.innerTimeoutMs } : {}),
        notes: [...memory.notes],
      };
      if (!containment.seccomp && this.kind !== 'none-unsafe')
        containment.notes.push(
          ctx.seccomp
            ? 'no seccomp filter: the unshare fallback loads it with python3, which this host lacks'
            : `no seccomp filter for this machine (${process.arch})`,
        );
      if ('error' in plan) return this.#failed(o, plan.error, notes, display, containment);
      const identity = ctx.identity;
      if (identity.mode === 'uid') handOverWorkspace(workspace, identity.uid, identity.gid);
      if (plan.fd4 === 'seccomp' && seccompFile) seccompFd = openSync(seccompFile, 'r');
      try {
        return await this.#execute(o, plan, workspace, notes, display, containment, memory.cgroup, seccompFd, signal);
      } finally {
        if (seccompFd !== undefined) closeSync(seccompFd);
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

  #failed(
    o: ResolvedRunOptions,
    message: string,
    notes: string[],
    display: boolean,
    containment: Containment,
  ): SandboxResult {
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
      containment,
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
    containment: Containment,
    cgroup: RunCgroup | undefined,
    seccompFd: number | undefined,
    signal?: AbortSignal,
  ): Promise<SandboxResult> {
    const started = performance.now();
    return new Promise<SandboxResult>((resolve, reject) => {
      const launch = inCgroup(plan, cgroup, this.#tools.sh);
      const child = spawn(launch.command, launch.args, {
        cwd: plan.cwd,
        env: plan.env,
        detached: true, // own process group: a timeout kills the launcher and everything it started
        stdio: launchStdio(plan, seccompFd),
      });
      // the lifeline's other end stays open in crosstalk until the run ends (or crosstalk dies)
      const lifeline = plan.fd4 === 'lifeline' ? (child.stdio[4] as Readable | null | undefined) : undefined;
      lifeline?.on('error', () => {});
      const stdout = new BoundedOutput(o.maxOutputBytes);
      const stderr = new BoundedOutput(o.maxOutputBytes);
      let status = '';
      let timedOut = false;
      let aborted = false;
      let watchdogKill: 'output' | 'disk' | 'memory' | undefined;
      let peakResident: number | undefined;
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
          const usage = usageInNamespace(namespace);
          if (peakTasks === undefined || usage.tasks > peakTasks) peakTasks = usage.tasks;
          if (peakResident === undefined || usage.residentBytes > peakResident) peakResident = usage.residentBytes;
          // without a cgroup, the summed resident memory is checked too (Node's reservations escape limit × count)
          if (!cgroup && usage.residentBytes > o.totalMemoryBytes && !watchdogKill) {
            watchdogKill = 'memory';
            notes.push(`stopped: the run's processes held more than ${o.totalMemoryBytes} bytes together`);
            kill();
          }
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
        for (const stream of [child.stdout, child.stderr, statusStream, lifeline]) stream?.destroy();
        if (aborted) {
          reject(new AbortedError({ message: 'sandboxed run cancelled' }));
          return;
        }
        const code = exit?.code ?? null;
        const sig = exit?.signal ?? null;
        const err = stderr.text();
        // the timeout inside the sandbox fired (crosstalk's own timer was late): the same as a timeout
        if (
          !timedOut &&
          !watchdogKill &&
          (code === 137 || sig === 'SIGKILL') &&
          performance.now() - started >= o.timeoutMs
        )
          timedOut = true;
        const oomKills = cgroup?.oomKills() ?? 0;
        if (oomKills > 0)
          notes.push(
            `the kernel stopped ${oomKills} process(es) at the run's memory bound (${o.totalMemoryBytes} bytes)`,
          );
        const peakMemoryBytes = cgroup ? (cgroup.peakBytes() ?? peakResident) : peakResident;
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
          ...(watchdogKill
            ? { watchdog: watchdogKill }
            : oomKills > 0 && code !== 0
              ? { watchdog: 'memory' as const }
              : {}),
          ...(setupFailure !== undefined ? { setupFailure } : {}),
          ...(peakTasks !== undefined ? { peakTasks } : {}),
          maxProcesses: containment.maxProcesses,
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
          ...(peakMemoryBytes !== undefined ? { peakMemoryBytes } : {}),
          containment,
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

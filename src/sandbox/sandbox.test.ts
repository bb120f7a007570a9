import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/wait-for.js';
import { AbortedError } from '../errors/index.js';
import { detectSandbox, sandboxFromEnv } from './detect-sandbox.js';
import { createProgramRunner } from '../software/program-runner.js';
import { hasVirtualDisplay } from './host-runtimes.js';
import { cgroupHost } from './memory-bound.js';
import { sandboxUidBase } from './run-identity.js';
import type { Sandbox, SandboxKind, SandboxRunOptions } from './types.js';

// every sandbox this machine has, or only the one CROSSTALK_SANDBOX names (CROSSTALK_SANDBOX=unshare runs the suite
// as on a machine without bubblewrap)
const chosen = sandboxFromEnv();
const kinds = (['bwrap', 'unshare'] as const).filter((k) => chosen === undefined || chosen === k);
const probed = kinds.map((kind) => ({ kind, choice: detectSandbox({ prefer: kind }) }));
const available = probed
  .filter((k) => k.choice.sandbox !== undefined)
  .map((k) => [k.kind, k.choice.sandbox!] as [SandboxKind, Sandbox]);
const unavailable = probed.filter((k) => k.choice.sandbox === undefined);
const unavailableReason = detectSandbox({ env: {} }).reason;
const hasTk = spawnSync('python3', ['-c', 'import tkinter'], { stdio: 'ignore' }).status === 0;

const workspaces: string[] = [];
function workspaceWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-sbx-'));
  workspaces.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}
afterAll(() => {
  for (const dir of workspaces) rmSync(dir, { recursive: true, force: true });
});

/** Processes on the host owned by `uid`. */
function processesOf(uid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return statSync(`/proc/${e}`).uid === uid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Processes on the host in the pid namespace `namespace` (e.g. `pid:[4026532183]`). */
function processesInNamespace(namespace: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readlinkSync(`/proc/${e}/ns/pid`) === namespace;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * The processes of a run, from what its program wrote to `ready`: as root, every process of the run's own uid
 * (checked by uid); otherwise the program runs in a user namespace as the caller's uid, so by its pid namespace.
 */
function runProcesses(ready: string): () => number[] {
  const { uid, ns } = JSON.parse(readFileSync(ready, 'utf8')) as { uid: number; ns: string };
  if (process.getuid?.() === 0) {
    expect(uid).toBeGreaterThanOrEqual(sandboxUidBase);
    return () => processesOf(uid);
  }
  return () => processesInNamespace(ns);
}

const programRunnerModule = fileURLToPath(new URL('../software/program-runner.ts', import.meta.url));

/** A program that says it runs (its uid and pid namespace in `ready`) and then writes forever. */
const endless = [
  'import json, os, time',
  'open("ready.tmp", "w").write(json.dumps({"uid": os.getuid(), "ns": os.readlink("/proc/self/ns/pid")}))',
  'os.rename("ready.tmp", "ready")',
  'while True:',
  '    open("ticks", "a").write("x")',
  '    time.sleep(0.05)',
].join('\n');

/**
 * 40 processes that each try to hold 512 MiB (in 8 MiB pieces, keeping what they got when refused). The parent
 * waits until each has died or holds its share, then prints the sum held by the living ones.
 */
const fortyAllocators = `import os, time
MiB = 1 << 20
kids, failed = {}, 0
for i in range(40):
    try:
        pid = os.fork()
    except OSError:
        failed += 1
        continue
    if pid == 0:
        held = []
        try:
            while len(held) < 64:
                held.append(b"\\x01" * (8 * MiB))
        except MemoryError:
            pass
        open(f"held-{i}", "w").write(str(len(held) * 8 * MiB))
        time.sleep(600)
        os._exit(0)
    kids[i] = pid
def reap():
    for i, pid in list(kids.items()):
        if os.waitpid(pid, os.WNOHANG)[0] != 0:
            del kids[i]
while True:
    reap()
    if all(os.path.exists(f"held-{i}") for i in kids):
        break
    time.sleep(0.05)
time.sleep(0.2)
reap()
print("held", sum(int(open(f"held-{i}").read()) for i in kids), "holders", len(kids), "forks-failed", failed)
`;

/** Processes on the host running as one of this test process's sandbox uids (there must be none after a run). */
function sandboxProcesses(): number[] {
  const low = sandboxUidBase + (process.pid % 100_000) * 10_000;
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const uid = statSync(`/proc/${e}`).uid;
        return uid >= low && uid < low + 10_000;
      } catch {
        return false;
      }
    })
    .map(Number);
}

if (available.length === 0) {
  describe.skip(`sandbox tests skipped: no sandbox can run on this machine (${unavailableReason})`, () => {
    it('contains hostile programs', () => {});
  });
}
for (const { kind, choice } of unavailable) {
  describe.skip(`${kind} sandbox skipped: unavailable on this machine (${choice.reason})`, () => {
    it('contains hostile programs', () => {});
  });
}

describe.each(available)('%s sandbox', (kind, sandbox) => {
  const run = (code: string, options: Partial<SandboxRunOptions> & { file?: string } = {}) => {
    const { file = 'main.py', ...rest } = options;
    return sandbox.run({ workspace: workspaceWith({ [file]: code }), entry: file, timeoutMs: 4000, ...rest });
  };

  let connections = 0;
  let port = 0;
  const server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('runs a normal program as an unprivileged user and captures its output', async () => {
    const ws = workspaceWith({
      'main.py':
        'import os\nprint("hello from the sandbox", os.getuid() != 0, os.getcwd())\nopen("out.txt", "w").write("x")\n',
    });
    const owner = statSync(ws).uid;
    const result = await sandbox.run({ workspace: ws, command: ['python3', 'main.py'], timeoutMs: 4000 });
    expect(result).toMatchObject({ outcome: 'exited-ok', rule: 'exit-code', exitCode: 0, signal: null, sandbox: kind });
    expect(result.stdout).toBe('hello from the sandbox True /workspace\n');
    // files the program made are handed back to the workspace's owner
    expect(statSync(join(ws, 'out.txt')).uid).toBe(owner);
    expect(statSync(join(ws, 'main.py')).uid).toBe(owner);
  });

  it('runs Node.js programs', async () => {
    const result = await run('console.log(6 * 7)\n', { file: 'main.js' });
    expect(result.outcome).toBe('exited-ok');
    expect(result.stdout.trim()).toBe('42');
  });

  it('reports an exception as exited-error with the traceback', async () => {
    const result = await run('def f():\n    raise ValueError("boom")\nf()\n');
    expect(result).toMatchObject({ outcome: 'exited-error', rule: 'exit-code', exitCode: 1 });
    expect(result.stderr).toMatch(/Traceback \(most recent call last\)[\s\S]*ValueError: boom/);
  });

  it('has no network: connections to the host and the internet fail at once, the host listener sees nothing', async () => {
    const code = [
      'import socket, time',
      `for host, port in [("127.0.0.1", ${port}), ("1.1.1.1", 80), ("localhost", ${port})]:`,
      '    t = time.time()',
      '    try:',
      '        socket.create_connection((host, port), timeout=3)',
      '        print("CONNECTED", host)',
      '    except OSError as e:',
      '        print("failed", host, round(time.time() - t, 2))',
    ].join('\n');
    const result = await run(code);
    expect(result.outcome).toBe('exited-ok');
    expect(result.stdout).not.toContain('CONNECTED');
    const lines = result.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(' ')[1])).toEqual(['127.0.0.1', '1.1.1.1', 'localhost']);
    // refused, not timed out: far below the 3 s connect timeout, however loaded the machine
    for (const line of lines) expect(Number(line.split(' ')[2])).toBeLessThan(2.5);
    expect(connections).toBe(0);
  });

  it('cannot write outside the workspace', async () => {
    const marker = `crosstalk-outside-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const targets = [
      `/tmp/${marker}`,
      `/root/${marker}`,
      `../${marker}`,
      `/workspace/../${marker}`,
      `/etc/${marker}`,
      `/usr/${marker}`,
      `/var/tmp/${marker}`,
      `/dev/shm/${marker}`,
      `/home/${marker}`,
    ];
    const code = `for path in ${JSON.stringify(targets)}:\n    try:\n        open(path, "w").write("x")\n    except OSError:\n        pass\nopen("inside.txt", "w").write("ok")\n`;
    const ws = workspaceWith({ 'main.py': code });
    const parentBefore = readdirSync(join(ws, '..')).filter((n) => n.includes(marker));
    const result = await sandbox.run({ workspace: ws, entry: 'main.py', timeoutMs: 4000 });
    expect(result.outcome).toBe('exited-ok');
    for (const path of [
      `/tmp/${marker}`,
      `/root/${marker}`,
      join(ws, '..', marker),
      `/etc/${marker}`,
      `/usr/${marker}`,
      `/var/tmp/${marker}`,
      `/dev/shm/${marker}`,
      `/home/${marker}`,
    ])
      expect(existsSync(path), path).toBe(false);
    expect(readdirSync(join(ws, '..')).filter((n) => n.includes(marker))).toEqual(parentBefore);
    expect(existsSync(join(ws, 'inside.txt'))).toBe(true);
  });

  it('does not let links or set-user-ID files planted in the workspace touch host files', async () => {
    const ws = workspaceWith({
      'main.py':
        'import os\nos.symlink("/etc/passwd", "planted")\nopen("suid", "w").write("x")\nos.chmod("suid", 0o6755)\n',
    });
    symlinkSync('/etc/shadow', join(ws, 'shadow-link'));
    const passwd = lstatSync('/etc/passwd');
    const shadow = existsSync('/etc/shadow') ? lstatSync('/etc/shadow') : undefined;
    const result = await sandbox.run({ workspace: ws, entry: 'main.py', timeoutMs: 4000 });
    expect(result.outcome).toBe('exited-ok');
    expect(lstatSync('/etc/passwd')).toMatchObject({ uid: passwd.uid, gid: passwd.gid, mode: passwd.mode });
    if (shadow) expect(lstatSync('/etc/shadow')).toMatchObject({ uid: shadow.uid, gid: shadow.gid, mode: shadow.mode });
    expect(lstatSync(join(ws, 'planted')).isSymbolicLink()).toBe(true);
    expect(statSync(join(ws, 'suid')).mode & 0o6000).toBe(0);
  });

  it('contains a fork bomb, leaves nothing behind, and the host stays responsive', async () => {
    const code = 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n';
    const result = await run(code, { timeoutMs: 30_000 });
    // stopped by the process limit, not by the timeout (which would say timeout-*)
    expect(result).toMatchObject({ outcome: 'killed-limit', limit: 'processes' });
    // the process limit in force: 64, or fewer when memory has no cgroup and limit × processes must fit the total
    const limit = result.containment.maxProcesses;
    expect(result.peakTasks).toBeGreaterThanOrEqual(Math.floor(limit * 0.8));
    expect(result.peakTasks).toBeLessThanOrEqual(limit + 6);
    expect(sandboxProcesses()).toEqual([]);
    const after = await run('print("still fine")\n');
    expect(after.stdout).toBe('still fine\n');
  });

  it('reports a fork bomb that gives up as killed by the process limit', async () => {
    const result = await run('import os, time\nwhile True:\n    os.fork()\n', { timeoutMs: 3000 });
    expect(result).toMatchObject({ outcome: 'killed-limit', limit: 'processes' });
  });

  it('stops a program that allocates without bound', async () => {
    const result = await run('chunks = []\nwhile True:\n    chunks.append(bytearray(50_000_000))\n', {
      timeoutMs: 60_000,
    });
    expect(result).toMatchObject({ outcome: 'killed-limit', rule: 'limit', limit: 'memory' });
    // V8's collector slows as the heap fills: a generous timeout, so the heap limit (not the clock) ends it
    const node = await run('const a = [];\nwhile (true) a.push(new Array(1e6).fill(1));\n', {
      file: 'main.js',
      timeoutMs: 60_000,
    });
    expect(node).toMatchObject({ outcome: 'killed-limit', limit: 'memory' });
  });

  it('reports a program that never exits as still running at the timeout, counted as executable', async () => {
    const result = await run('import time\nprint("game loop", flush=True)\nwhile True:\n    time.sleep(0.1)\n', {
      timeoutMs: 2500,
    });
    expect(result).toMatchObject({
      outcome: 'timeout-running',
      rule: 'running-at-timeout-counts-as-executable',
      exitCode: null,
      signal: 'SIGKILL',
    });
    expect(result.stdout).toContain('game loop');
    expect(result.stderr).toBe('');
    expect(result.durationMs).toBeGreaterThanOrEqual(2400);
    expect(result.durationMs).toBeLessThan(15_000); // killed at the timeout, not left running
  });

  it('sends a program that printed a traceback and kept running to the fixer', async () => {
    const code =
      'import threading, time\ndef worker():\n    raise RuntimeError("in a thread")\nthreading.Thread(target=worker).start()\nwhile True:\n    time.sleep(0.1)\n';
    const result = await run(code, { timeoutMs: 2500 });
    expect(result).toMatchObject({ outcome: 'exited-error', rule: 'error-output-at-timeout' });
    expect(result.stderr).toContain('RuntimeError: in a thread');
  });

  it('truncates floods of output and stops the program', async () => {
    const result = await run('while True:\n    print("x" * 1000)\n');
    expect(result).toMatchObject({ outcome: 'killed-limit', limit: 'output', stdoutTruncated: true });
    expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(64 * 1024);
    expect(result.stdout).toMatch(/bytes dropped/);
  });

  it.skipIf(!hasVirtualDisplay() || !hasTk)(
    'runs a GUI program on a virtual display; without one it fails',
    async () => {
      const gui =
        'import tkinter\nroot = tkinter.Tk()\ntkinter.Label(root, text="hello").pack()\nprint("window up", flush=True)\nroot.mainloop()\n';
      // Xvfb and Tk take seconds to start on a busy machine
      const withDisplay = await run(gui, { timeoutMs: 8000, display: true });
      expect(withDisplay).toMatchObject({
        outcome: 'timeout-running',
        rule: 'running-at-timeout-counts-as-executable',
        display: true,
      });
      expect(withDisplay.stdout).toContain('window up');
      const without = await run(gui, { timeoutMs: 8000 });
      expect(without).toMatchObject({ outcome: 'exited-error', display: false });
      expect(without.stderr).toMatch(/display/i);
    },
  );

  it('stops at once and throws AbortedError when cancelled', async () => {
    const controller = new AbortController();
    const ws = workspaceWith({
      'main.py': 'import time\nopen("started", "w").write("yes")\nwhile True: time.sleep(1)\n',
    });
    const pending = sandbox.run({ workspace: ws, entry: 'main.py', timeoutMs: 60_000 }, controller.signal);
    const settled = pending.then(
      () => 'resolved',
      () => 'rejected',
    );
    // cancel once the program is surely running (it wrote its marker), however slow the machine
    const startedOrSettled = async () =>
      existsSync(join(ws, 'started')) || (await Promise.race([settled, 'pending'])) !== 'pending';
    await waitFor(startedOrSettled, 'the program to start');
    const aborted = Date.now();
    controller.abort();
    await expect(pending).rejects.toSatisfy((e: unknown) => AbortedError.isInstance(e));
    expect(Date.now() - aborted).toBeLessThan(15_000); // well before the 60 s timeout
    expect(sandboxProcesses()).toEqual([]);
  });

  it('reports a missing runtime as a sandbox error', async () => {
    const ws = workspaceWith({});
    mkdirSync(join(ws, 'sub'));
    const result = await sandbox.run({
      workspace: ws,
      command: ['no-such-interpreter-xyz', 'main.x'],
      timeoutMs: 3000,
    });
    expect(result.outcome).toBe('sandbox-error');
    expect(result.notes.join(' ')).toMatch(/no-such-interpreter-xyz/);
  });
  it('dies with its supervisor: a SIGKILLed crosstalk leaves no process, the next start removes its workspace', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'crosstalk-sbx-parent-'));
    workspaces.push(parent);
    // a crosstalk of its own (the program runner, as `crosstalk dev` uses it), running a program that never ends
    const script = join(parent, 'supervisor.mts');
    writeFileSync(
      script,
      `import { createProgramRunner } from ${JSON.stringify(programRunnerModule)};
const options = ${JSON.stringify({ sandbox: kind, workspaceParent: parent, timeoutMs: 120_000 })};
const runner = createProgramRunner(options);
await runner.run({ 'main.py': ${JSON.stringify(endless)} }, 'main.py', 'Python');
`,
    );
    const supervisor = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'ignore' });
    const exited = new Promise((r) => supervisor.once('exit', r));
    let workspace = '';
    // ready: the program wrote who it is into its workspace
    await waitFor(
      () => {
        workspace = readdirSync(parent).find((n) => n.startsWith('crosstalk-run-')) ?? '';
        return workspace !== '' && existsSync(join(parent, workspace, 'ready'));
      },
      'the program to start',
      { timeoutMs: 60_000 },
    );
    const left = runProcesses(join(parent, workspace, 'ready'));
    expect(left().length).toBeGreaterThan(0);
    supervisor.kill('SIGKILL');
    await exited;
    // the sandbox ends with its supervisor: no process of the run is left (bound generous for a busy machine)
    await waitFor(() => left().length === 0, 'no process of the run', { timeoutMs: 10_000 });
    const ticks = readFileSync(join(parent, workspace, 'ticks'), 'utf8').length;
    expect(existsSync(join(parent, workspace))).toBe(true); // nothing could remove it
    // the next start removes the killed run's workspace (owned by the run's uid: it never got it back)
    createProgramRunner({ sandbox: kind, workspaceParent: parent });
    expect(readdirSync(parent).filter((n) => n.startsWith('crosstalk-'))).toEqual([]);
    expect(ticks).toBeGreaterThan(0);
  });

  it('ends the program by the timeout inside the sandbox even when crosstalk cannot act', async () => {
    const ws = workspaceWith({ 'main.py': endless });
    // run() starts the sandbox synchronously; from then on crosstalk's event loop is blocked, so its own timer
    // (1 s) cannot fire: only the timeout inside the sandbox (1 s + grace) can end the program
    const pending = sandbox.run({ workspace: ws, entry: 'main.py', timeoutMs: 1000 });
    const blocked = new Int32Array(new SharedArrayBuffer(4));
    const until = (done: () => boolean, ms: number) => {
      for (const deadline = Date.now() + ms; !done() && Date.now() < deadline; ) Atomics.wait(blocked, 0, 0, 50);
      return done();
    };
    expect(until(() => existsSync(join(ws, 'ready')), 60_000)).toBe(true);
    const left = runProcesses(join(ws, 'ready'));
    expect(until(() => left().length === 0, 30_000)).toBe(true);
    const result = await pending;
    expect(result).toMatchObject({ outcome: 'timeout-running', signal: 'SIGKILL' });
    expect(result.containment.innerTimeoutMs).toBeGreaterThan(1000);
  });

  it('cannot make namespaces, mount, trace or use the key ring', async () => {
    const code = [
      'import ctypes, os, subprocess',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'def errno(r):',
      '    return "ok" if r == 0 else os.strerror(ctypes.get_errno())',
      'print("user-namespace", errno(libc.unshare(0x10000000)))',
      'print("mount-namespace", errno(libc.unshare(0x00020000)))',
      'print("mount", errno(libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)))',
      'print("ptrace", errno(libc.ptrace(16, 1, 0, 0)))',
      `print("keyctl", errno(libc.syscall(${process.arch === 'arm64' ? 219 : 250}, 0, 0, 0, 0)))`,
      'r = subprocess.run(["unshare", "--user", "--map-root-user", "true"], capture_output=True)',
      'print("unshare-command", "ok" if r.returncode == 0 else "refused")',
      'pid = os.fork()',
      'if pid == 0: os._exit(7)',
      'print("fork", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))',
    ].join('\n');
    const result = await run(code);
    expect(result.outcome, result.stderr).toBe('exited-ok');
    expect(result.containment.seccomp).toBe(true);
    expect(result.stdout).toBe(
      [
        'user-namespace Operation not permitted',
        'mount-namespace Operation not permitted',
        'mount Operation not permitted',
        'ptrace Operation not permitted',
        'keyctl Operation not permitted',
        'unshare-command refused',
        'fork 7',
        '',
      ].join('\n'),
    );
  });

  const mechanisms = [
    ['a memory cgroup where the machine allows one', 'auto'],
    ['per-process limits', 'rlimit'],
  ] as const;
  it.each(mechanisms)(
    'keeps 40 processes each allocating 512 MiB under the total bound (%s)',
    { timeout: 180_000 },
    async (_label, memoryMechanism) => {
      const total = 1024 ** 3;
      const result = await run(fortyAllocators, { timeoutMs: 120_000, totalMemoryBytes: total, memoryMechanism });
      expect(result.outcome, result.stderr).toBe('exited-ok');
      const host = cgroupHost();
      const expected = memoryMechanism === 'rlimit' || !('dir' in host) ? 'rlimit' : `cgroup-v${host.version}`;
      expect(result.containment).toMatchObject({ memory: expected, totalMemoryBytes: total });
      if (expected === 'rlimit')
        expect(result.containment.processMemoryBytes * result.containment.maxProcesses).toBeLessThanOrEqual(total);
      // what the processes held at once, as they counted it, and the peak the sandbox measured
      const held = Number(/^held (\d+)/.exec(result.stdout)?.[1]);
      expect(held).toBeGreaterThan(0);
      expect(held).toBeLessThanOrEqual(total);
      expect(result.peakMemoryBytes).toBeGreaterThan(0);
      expect(result.peakMemoryBytes).toBeLessThanOrEqual(total);
      expect(sandboxProcesses()).toEqual([]);
    },
  );
});

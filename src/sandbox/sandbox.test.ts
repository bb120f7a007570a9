import { spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/support/wait-for.js';
import { AbortedError } from '../errors/index.js';
import { detectSandbox } from './detect-sandbox.js';
import { hasVirtualDisplay } from './host-runtimes.js';
import { sandboxUidBase } from './run-identity.js';
import type { Sandbox, SandboxKind, SandboxRunOptions } from './types.js';

const available = (['bwrap', 'unshare'] as const)
  .map((kind) => ({ kind, choice: detectSandbox({ prefer: kind }) }))
  .filter((k) => k.choice.sandbox !== undefined)
  .map((k) => [k.kind, k.choice.sandbox!] as [SandboxKind, Sandbox]);
const unavailableReason = detectSandbox().reason;
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
    expect(result.peakTasks).toBeGreaterThanOrEqual(50);
    expect(result.peakTasks).toBeLessThanOrEqual(70);
    expect(sandboxProcesses()).toEqual([]);
    const after = await run('print("still fine")\n');
    expect(after.stdout).toBe('still fine\n');
  });

  it('reports a fork bomb that gives up as killed by the process limit', async () => {
    const result = await run('import os, time\nwhile True:\n    os.fork()\n', { timeoutMs: 3000 });
    expect(result).toMatchObject({ outcome: 'killed-limit', limit: 'processes' });
  });

  it('stops a program that allocates without bound', async () => {
    const result = await run('chunks = []\nwhile True:\n    chunks.append(bytearray(50_000_000))\n');
    expect(result).toMatchObject({ outcome: 'killed-limit', rule: 'limit', limit: 'memory' });
    const node = await run('const a = [];\nwhile (true) a.push(new Array(1e6).fill(1));\n', { file: 'main.js' });
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
      const withDisplay = await run(gui, { timeoutMs: 2500, display: true });
      expect(withDisplay).toMatchObject({
        outcome: 'timeout-running',
        rule: 'running-at-timeout-counts-as-executable',
        display: true,
      });
      expect(withDisplay.stdout).toContain('window up');
      const without = await run(gui, { timeoutMs: 2500 });
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
});

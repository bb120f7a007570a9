import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { detectSandbox, hasVirtualDisplay, type Sandbox } from './sandbox.js';

const choice = detectSandbox();
const sandbox = choice.sandbox as Sandbox;

function workspaceWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-sbx-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const run = (code: string, options: { timeoutMs?: number; file?: string } = {}) => {
  const file = options.file ?? 'main.py';
  return sandbox.run({ workspace: workspaceWith({ [file]: code }), command: file.endsWith('.py') ? ['python3', file] : ['node', file], timeoutMs: options.timeoutMs ?? 5000 });
};

describe.skipIf(!choice.sandbox)(`sandbox (${choice.reason})`, () => {
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

  it('runs a normal program and captures its output', async () => {
    const result = await run('print("hello from the sandbox")\n');
    expect(result).toMatchObject({ outcome: 'exited-ok', rule: 'exit-code', exitCode: 0 });
    expect(result.stdout).toBe('hello from the sandbox\n');
    expect(result.sandbox).toBe('bwrap');
  });

  it('runs Node.js programs too', async () => {
    const result = await run('console.log(6 * 7)\n', { file: 'main.js' });
    expect(result.outcome).toBe('exited-ok');
    expect(result.stdout.trim()).toBe('42');
  });

  it('reports an exception as exited-error with the traceback', async () => {
    const result = await run('def f():\n    raise ValueError("boom")\nf()\n');
    expect(result.outcome).toBe('exited-error');
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/Traceback[\s\S]*ValueError: boom/);
  });

  it('has no network: a connection to the host or the internet fails, and the host listener sees nothing', async () => {
    const code = `import socket\nfor host in ["127.0.0.1", "1.1.1.1"]:\n    try:\n        socket.create_connection((host, ${port} if host == "127.0.0.1" else 80), timeout=2)\n        print("CONNECTED", host)\n    except OSError as e:\n        print("refused", host, e.errno)\n`;
    const result = await run(code);
    expect(result.stdout).not.toContain('CONNECTED');
    expect(result.stdout).toMatch(/refused 127\.0\.0\.1[\s\S]*refused 1\.1\.1\.1/);
    expect(connections).toBe(0);
  });

  it('cannot write outside the workspace', async () => {
    const marker = `crosstalk-escape-${process.pid}-${Date.now()}`;
    const code = `import os\nfor path in ["/tmp/${marker}", "/root/${marker}", "../${marker}", "/etc/${marker}", "/usr/${marker}"]:\n    try:\n        open(path, "w").write("x")\n        print("wrote", path)\n    except OSError as e:\n        print("denied", path)\nopen("inside.txt", "w").write("ok")\n`;
    const ws = workspaceWith({ 'main.py': code });
    const result = await sandbox.run({ workspace: ws, command: ['python3', 'main.py'], timeoutMs: 5000 });
    expect(result.outcome).toBe('exited-ok');
    for (const path of [`/tmp/${marker}`, `/root/${marker}`, join(ws, '..', marker), `/etc/${marker}`, `/usr/${marker}`]) expect(existsSync(path)).toBe(false);
    expect(existsSync(join(ws, 'inside.txt'))).toBe(true);
  });

  it('contains a fork bomb and leaves the host responsive', async () => {
    const code = 'import os, time\nwhile True:\n    try:\n        os.fork()\n    except OSError as e:\n        print("fork failed", e, flush=True)\n        time.sleep(0.2)\n        raise\n';
    const started = Date.now();
    const result = await run(code, { timeoutMs: 4000 });
    expect(['killed-limit', 'timeout-running']).toContain(result.outcome);
    if (result.outcome === 'killed-limit') expect(result.limit).toBe('processes');
    expect(Date.now() - started).toBeLessThan(15_000);
    // the host can still start processes
    const after = await run('print("still fine")\n');
    expect(after.stdout).toBe('still fine\n');
  });

  it('stops a program that allocates without bound', async () => {
    const result = await run('chunks = []\nwhile True:\n    chunks.append(bytearray(50_000_000))\n');
    expect(result.outcome).toBe('killed-limit');
    expect(result.limit).toBe('memory');
  });

  it('reports a program that never exits as still running at the timeout, counted as executable', async () => {
    const result = await run('import time\nprint("game loop", flush=True)\nwhile True:\n    time.sleep(0.1)\n', { timeoutMs: 1000 });
    expect(result).toMatchObject({ outcome: 'timeout-running', rule: 'running-at-timeout-counts-as-executable' });
    expect(result.stdout).toContain('game loop');
    expect(result.durationMs).toBeLessThan(4000);
  });

  it('truncates floods of output and stops the program', async () => {
    const result = await run('while True:\n    print("x" * 1000)\n', { timeoutMs: 5000 });
    expect(result.stdoutTruncated).toBe(true);
    expect(result.stdout.length).toBeLessThanOrEqual(64 * 1024);
    expect(result).toMatchObject({ outcome: 'killed-limit', limit: 'output' });
  });
});

const hasTk = spawnSync('/usr/bin/python3', ['-c', 'import tkinter'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!choice.sandbox || !hasVirtualDisplay() || !hasTk)('sandbox with a virtual display (Xvfb)', () => {
  const gui = 'import tkinter\nroot = tkinter.Tk()\ntkinter.Label(root, text="hello").pack()\nprint("window up", flush=True)\nroot.mainloop()\n';

  it('runs a GUI program on a virtual display: still running at the timeout counts as executable', async () => {
    const result = await sandbox.run({ workspace: workspaceWith({ 'main.py': gui }), command: ['python3', 'main.py'], timeoutMs: 2500, display: true });
    expect(result).toMatchObject({ outcome: 'timeout-running', rule: 'running-at-timeout-counts-as-executable' });
    expect(result.stdout).toContain('window up');
  });

  it('without a display the same program fails', async () => {
    const result = await sandbox.run({ workspace: workspaceWith({ 'main.py': gui }), command: ['python3', 'main.py'], timeoutMs: 2500 });
    expect(result.outcome).toBe('exited-error');
    expect(result.stderr).toMatch(/display/i);
  });
});

describe('detectSandbox', () => {
  it('says why, and refuses unsafe execution unless asked', () => {
    expect(choice.reason.length).toBeGreaterThan(0);
    if (!choice.sandbox) expect(choice.reason).toMatch(/--unsafe-no-sandbox/);
  });
});

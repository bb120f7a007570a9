import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SandboxError, SandboxUnavailableError } from '../errors/index.js';
import { BoundedOutput } from './bounded-output.js';
import { classifyRun, effectiveSignal, type RawRun } from './classify.js';
import { detectSandbox, requireSandbox } from './detect-sandbox.js';
import { runtimeFor, wantsDisplay } from './host-runtimes.js';
import { bwrapPlan, innerCommand, unshareRootMount, type LaunchContext } from './launch.js';
import { resolveRunOptions } from './process-sandbox.js';

const base: RawRun = { exitCode: 0, signal: null, stderr: '', timedOut: false, maxProcesses: 64 };

describe('classifyRun', () => {
  const table: Array<[string, Partial<RawRun>, object]> = [
    ['exit 0', {}, { outcome: 'exited-ok', rule: 'exit-code' }],
    [
      'exit 1 with a traceback',
      { exitCode: 1, stderr: 'Traceback (most recent call last):\nValueError: x' },
      { outcome: 'exited-error', rule: 'exit-code' },
    ],
    [
      'running at the timeout, quiet',
      { exitCode: null, timedOut: true },
      { outcome: 'timeout-running', rule: 'running-at-timeout-counts-as-executable' },
    ],
    [
      'running at the timeout after a traceback',
      { exitCode: null, timedOut: true, stderr: 'Traceback (most recent call last):\n  x\nKeyError: 1' },
      { outcome: 'exited-error', rule: 'error-output-at-timeout' },
    ],
    [
      'running at the timeout after a Node error',
      { exitCode: null, timedOut: true, stderr: 'Error: boom\n    at f (/workspace/main.js:1:7)' },
      { outcome: 'exited-error', rule: 'error-output-at-timeout' },
    ],
    [
      'fontconfig chatter is not an error',
      { exitCode: null, timedOut: true, stderr: 'Fontconfig error: No writable cache directories' },
      { outcome: 'timeout-running' },
    ],
    [
      'process budget spent at the timeout',
      { exitCode: null, timedOut: true, peakTasks: 64 },
      { outcome: 'killed-limit', limit: 'processes' },
    ],
    ['MemoryError', { exitCode: 1, stderr: 'MemoryError' }, { outcome: 'killed-limit', limit: 'memory' }],
    [
      'V8 heap',
      { exitCode: 134, stderr: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory' },
      { outcome: 'killed-limit', limit: 'memory' },
    ],
    [
      'fork failure',
      { exitCode: 1, stderr: 'BlockingIOError: [Errno 11] Resource temporarily unavailable' },
      { outcome: 'killed-limit', limit: 'processes' },
    ],
    ['SIGXFSZ as 128+25', { exitCode: 153 }, { outcome: 'killed-limit', limit: 'file-size' }],
    ['SIGXCPU', { exitCode: null, signal: 'SIGXCPU' }, { outcome: 'killed-limit', limit: 'cpu' }],
    ['output watchdog', { exitCode: null, watchdog: 'output' }, { outcome: 'killed-limit', limit: 'output' }],
    ['disk watchdog', { exitCode: null, watchdog: 'disk' }, { outcome: 'killed-limit', limit: 'disk' }],
    [
      'setup failure wins',
      { exitCode: 1, setupFailure: 'bwrap: no permission' },
      { outcome: 'sandbox-error', rule: 'sandbox' },
    ],
    ['exit 0 that mentions memory is still fine', { stderr: 'warning: out of memory cache' }, { outcome: 'exited-ok' }],
  ];
  it.each(table)('%s', (_label, raw, expected) => {
    expect(classifyRun({ ...base, ...raw })).toEqual(expect.objectContaining(expected));
  });

  it('decodes 128+n statuses', () => {
    expect(effectiveSignal(137, null)).toBe('SIGKILL');
    expect(effectiveSignal(1, null)).toBeNull();
    expect(effectiveSignal(null, 'SIGTERM')).toBe('SIGTERM');
  });
});

describe('BoundedOutput', () => {
  it('keeps everything under the bound', () => {
    const out = new BoundedOutput(1024);
    out.push(Buffer.from('hello '));
    out.push(Buffer.from('world'));
    expect(out.text()).toBe('hello world');
    expect(out.truncated).toBe(false);
  });

  it('keeps head and tail within the bound when over it', () => {
    const out = new BoundedOutput(1024);
    for (let i = 0; i < 100; i++) out.push(Buffer.from(`line ${i.toString().padStart(3, '0')} ${'x'.repeat(40)}\n`));
    const text = out.text();
    expect(out.truncated).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1024);
    expect(text.startsWith('line 000')).toBe(true);
    expect(text.trimEnd().endsWith(`line 099 ${'x'.repeat(40)}`)).toBe(true);
    expect(text).toMatch(/\[\d+ bytes dropped\]/);
    expect(out.seenBytes).toBe(100 * 50);
  });
});

describe('run options', () => {
  it('resolves the command from the entry file', () => {
    expect(resolveRunOptions({ workspace: '/w', entry: 'main.py' }).command).toEqual(['python3', 'main.py']);
    expect(resolveRunOptions({ workspace: '/w', entry: 'app.mjs' })).toMatchObject({
      command: ['node', 'app.mjs'],
      timeoutMs: 10_000,
      memoryBytes: 512 * 1024 ** 2,
      maxProcesses: 64,
      maxOutputBytes: 64 * 1024,
    });
  });

  it('rejects bad options with a typed error', () => {
    expect(() => resolveRunOptions({ workspace: '/w' })).toThrow(SandboxError);
    expect(() => resolveRunOptions({ workspace: '/w', entry: 'main.rb' })).toThrow(/no runtime/);
    expect(() => resolveRunOptions({ workspace: '/w', entry: 'a.py', timeoutMs: -1 })).toThrow(/timeoutMs/);
    expect(() => resolveRunOptions({ workspace: '/w', entry: 'a.py', env: { 'BAD NAME': 'x' } })).toThrow(SandboxError);
  });

  it('maps entry files to runtimes and spots GUI programs', () => {
    expect(runtimeFor('main.py')).toEqual(['python3', 'main.py']);
    expect(runtimeFor('main.js')).toEqual(['node', 'main.js']);
    expect(runtimeFor('main.go')).toBeUndefined();
    expect(wantsDisplay('import os\nimport tkinter as tk\n')).toBe(true);
    expect(wantsDisplay('from pygame import display\n')).toBe(true);
    expect(wantsDisplay('print("tkinter")\n')).toBe(false);
  });
});

describe('launch plans', () => {
  const ctx: LaunchContext = {
    options: resolveRunOptions({
      workspace: '/tmp/ws',
      entry: 'main.js',
      memoryBytes: 256 * 1024 ** 2,
      env: { APP_MODE: 'test' },
    }),
    workspace: '/tmp/ws',
    identity: { mode: 'uid', uid: 1_000_000_001, gid: 1_000_000_001 },
    runtimes: { path: ['/opt/py/bin'], binds: ['/root/.pyenv/versions/3.11.7'], notes: [] },
    tools: {
      bwrap: '/usr/bin/bwrap',
      setpriv: '/usr/bin/setpriv',
      prlimit: '/usr/bin/prlimit',
      timeout: '/usr/bin/timeout',
      sh: '/bin/sh',
    },
    limits: { processBytes: 256 * 1024 ** 2, processes: 64 },
    innerTimeoutMs: 11_500,
  };

  it('bubblewrap: no network, read-only system, only the workspace writable, clean environment', () => {
    const plan = bwrapPlan(ctx);
    const args = plan.args.join(' ');
    for (const flag of [
      '--unshare-pid',
      '--unshare-net',
      '--unshare-ipc',
      '--unshare-uts',
      '--die-with-parent',
      '--new-session',
      '--clearenv',
    ])
      expect(plan.args).toContain(flag);
    expect(args).toContain('--ro-bind /usr /usr');
    expect(args).toContain(
      '--perms 0755 --dir /root --perms 0755 --dir /root/.pyenv --perms 0755 --dir /root/.pyenv/versions --ro-bind /root/.pyenv/versions/3.11.7 /root/.pyenv/versions/3.11.7',
    );
    expect(args).toContain('--bind /tmp/ws /workspace --chdir /workspace');
    expect(args).not.toMatch(/--ro-bind \/etc \/etc|--bind \/ |--dev-bind/);
    expect(args).toMatch(/--tmpfs \/tmp/);
    // the only writable bind is the workspace
    expect(plan.args.filter((a) => a === '--bind')).toHaveLength(1);
    expect(args).toContain('--setenv NODE_OPTIONS --max-old-space-size=256');
    expect(args).toContain('--setenv APP_MODE test');
    expect(args).toContain('--setenv PATH /opt/py/bin:/usr/local/bin:/usr/bin:/bin');
    expect(args).not.toContain('OPENAI_API_KEY');
  });

  it('starts with a timeout inside the sandbox, drops to the run uid with no capabilities, then sets the limits', () => {
    const inner = innerCommand(ctx, 'bwrap');
    expect(inner.slice(0, 4)).toEqual(['/usr/bin/timeout', '-s', 'KILL', '11.5s']);
    expect(inner.slice(4, 11)).toEqual([
      '/usr/bin/setpriv',
      '--reuid=1000000001',
      '--regid=1000000001',
      '--clear-groups',
      '--no-new-privs',
      '--inh-caps=-all',
      '--bounding-set=-all',
    ]);
    expect(inner).toContain('--nproc=64');
    expect(inner).toContain(`--as=${256 * 1024 ** 2 + 1024 ** 3}`);
    expect(inner.slice(-2)).toEqual(['node', 'main.js']);
  });

  it('the unshare root is never the workspace or a runtime directory', () => {
    const root = unshareRootMount('/srv/ws', []);
    expect(root).not.toBe('/srv');
    expect(unshareRootMount('/tmp/ws', ['/srv/python'])).not.toBe('/srv');
  });
});

describe('detectSandbox', () => {
  it('refuses to run on the host unless asked, and says how to fix it', () => {
    const refused = detectSandbox({ prefer: 'none-unsafe' });
    expect(refused.sandbox).toBeUndefined();
    expect(refused.reason).toMatch(/--unsafe-no-sandbox/);
    expect(refused.reason).toMatch(/apt-get install bubblewrap/);
    expect(() => requireSandbox({ prefer: 'none-unsafe' })).toThrow(SandboxUnavailableError);
  });

  it('runs on the host with --unsafe-no-sandbox, still with a clean environment and the limits', async () => {
    const choice = detectSandbox({ prefer: 'none-unsafe', allowUnsafe: true });
    expect(choice.sandbox?.kind).toBe('none-unsafe');
    expect(choice.reason).toMatch(/on the host/);
    const ws = mkdtempSync(join(tmpdir(), 'crosstalk-unsafe-'));
    const savedKey = process.env.OPENAI_API_KEY;
    try {
      writeFileSync(
        join(ws, 'main.py'),
        'import os\nprint(os.environ.get("OPENAI_API_KEY", "no key"), os.environ["HOME"] == os.getcwd())\n',
      );
      process.env.OPENAI_API_KEY ??= 'sk-test-not-leaked';
      const result = await choice.sandbox!.run({ workspace: ws, entry: 'main.py', timeoutMs: 4000 });
      expect(result).toMatchObject({ outcome: 'exited-ok', sandbox: 'none-unsafe' });
      expect(result.stdout).toBe('no key True\n');
    } finally {
      if (savedKey === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = savedKey;
      rmSync(ws, { recursive: true, force: true });
    }
  });

  it('reports what it tried', () => {
    const choice = detectSandbox();
    expect(choice.reason.length).toBeGreaterThan(0);
    expect(choice.checks.length).toBeGreaterThan(0);
    if (!choice.sandbox) expect(choice.reason).toMatch(/--unsafe-no-sandbox/);
  });
});

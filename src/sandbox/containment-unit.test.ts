import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SandboxError } from '../errors/index.js';
import { describeContainment } from './containment.js';
import { detectSandbox, sandboxFromEnv } from './detect-sandbox.js';
import { ownCgroupDirs, rlimitShare } from './memory-bound.js';
import { ownerAlive, ownerTag, parseOwnerTag } from './owner-tag.js';
import { sandboxUidBase } from './run-identity.js';
import { cloneNamespaceFlags, seccompFilter } from './seccomp.js';
import { removeStaleSandboxDirs } from './stale-workspaces.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/** Runs a classic BPF seccomp program over one system call, as the kernel would; returns the action. */
function evaluate(filter: Buffer, call: { arch: number; nr: number; arg0?: number }): number {
  const word = (offset: number) =>
    offset === 0 ? call.nr : offset === 4 ? call.arch : offset === 16 ? (call.arg0 ?? 0) >>> 0 : 0;
  let acc = 0;
  for (let pc = 0, steps = 0; steps < 10_000; steps++) {
    expect(pc * 8).toBeLessThan(filter.length); // every jump lands inside the program
    const code = filter.readUInt16LE(pc * 8);
    const jt = filter.readUInt8(pc * 8 + 2);
    const jf = filter.readUInt8(pc * 8 + 3);
    const k = filter.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) {
      acc = word(k);
      pc++;
    } else if (code === 0x15) pc += 1 + (acc === k ? jt : jf);
    else if (code === 0x35) pc += 1 + (acc >= k ? jt : jf);
    else if (code === 0x45) pc += 1 + ((acc & k) !== 0 ? jt : jf);
    else if (code === 0x06) return k;
    else throw new Error(`unexpected opcode ${code}`);
  }
  throw new Error('no return');
}

const ALLOW = 0x7fff0000;
const EPERM = 0x00050001;
const ENOSYS = 0x00050026;
const KILL = 0x80000000;
const SIGCHLD = 17;
// what glibc's fork and pthread_create pass to clone
const forkFlags = 0x01200000 | SIGCHLD;
const threadFlags = 0x003d0f00;

describe('seccomp filter', () => {
  const machines = [
    ['x64', 0xc000003e, { read: 0, unshare: 272, setns: 308, mount: 165, ptrace: 101, keyctl: 250, bpf: 321 }, 56],
    ['arm64', 0xc00000b7, { read: 63, unshare: 97, setns: 268, mount: 40, ptrace: 117, keyctl: 219, bpf: 280 }, 220],
  ] as const;

  it.each(machines)(
    'on %s refuses namespaces, mounts, ptrace, keyctl and bpf and allows the rest',
    (arch, audit, nr, clone) => {
      const filter = seccompFilter(arch)!;
      expect(filter.length % 8).toBe(0);
      expect(filter.length / 8).toBeLessThan(256);
      const verdict = (n: number, arg0?: number) =>
        evaluate(filter, { arch: audit, nr: n, ...(arg0 !== undefined ? { arg0 } : {}) });
      expect(verdict(nr.read)).toBe(ALLOW);
      for (const name of ['unshare', 'setns', 'mount', 'ptrace', 'keyctl', 'bpf'] as const)
        expect(verdict(nr[name]), name).toBe(EPERM);
      expect(verdict(clone, forkFlags)).toBe(ALLOW);
      expect(verdict(clone, threadFlags)).toBe(ALLOW);
      expect(verdict(clone, forkFlags | 0x10000000)).toBe(EPERM); // CLONE_NEWUSER
      expect(verdict(clone, forkFlags | 0x00020000)).toBe(EPERM); // CLONE_NEWNS
      expect(verdict(clone, cloneNamespaceFlags)).toBe(EPERM);
      expect(verdict(435)).toBe(ENOSYS); // clone3: its flags cannot be inspected, so libc falls back to clone
      expect(evaluate(filter, { arch: 0x40000003, nr: nr.read })).toBe(KILL); // 32-bit x86 calls
    },
  );

  it('kills x32 calls on x86_64 and is not built for other machines', () => {
    expect(evaluate(seccompFilter('x64')!, { arch: 0xc000003e, nr: 0x40000000 | 272 })).toBe(KILL);
    expect(seccompFilter('riscv64')).toBeUndefined();
  });
});

describe('total memory', () => {
  it.each([
    [2 * GiB, 512 * MiB, 64],
    [GiB, 512 * MiB, 64],
    [128 * MiB, 512 * MiB, 64],
    [8 * GiB, 512 * MiB, 16],
  ])('per-process limit × processes stays under a total of %d bytes', (total, perProcess, processes) => {
    const share = rlimitShare(total, perProcess, processes);
    expect(share.processBytes * share.processes).toBeLessThanOrEqual(total);
    expect(share.processes).toBeGreaterThanOrEqual(4);
    expect(share.processBytes).toBeLessThanOrEqual(perProcess);
  });

  it('keeps the options when they already fit the total', () => {
    expect(rlimitShare(8 * GiB, 512 * MiB, 16)).toEqual({ processBytes: 512 * MiB, processes: 16 });
  });

  it("finds the process's own cgroups, in a container's view too", () => {
    const mountinfo = [
      '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
      '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
      '41 31 0:38 /docker/abc /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
    ].join('\n');
    const cgroup = '4:memory:/process_api/x\n0::/docker/abc/inner\n';
    expect(ownCgroupDirs(cgroup, mountinfo)).toEqual({
      v1: '/sys/fs/cgroup/memory/process_api/x',
      v2: '/sys/fs/cgroup/unified/inner',
    });
    expect(ownCgroupDirs('0::/\n', '30 1 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n')).toEqual({
      v2: '/sys/fs/cgroup',
    });
    expect(ownCgroupDirs('', '')).toEqual({});
  });

  it('says in one line how a run was contained', () => {
    const base = { totalMemoryBytes: 2 * GiB, processMemoryBytes: 128 * MiB, maxProcesses: 16, notes: [] };
    expect(describeContainment({ ...base, memory: 'rlimit', seccomp: true })).toBe(
      'memory: rlimit, 128 MiB × 16 processes ≤ 2048 MiB total; seccomp',
    );
    expect(describeContainment({ ...base, memory: 'cgroup-v2', maxProcesses: 64, seccomp: false })).toBe(
      'memory: cgroup-v2, 2048 MiB total; 64 processes; no seccomp',
    );
  });
});

describe('choosing the sandbox', () => {
  it('reads CROSSTALK_SANDBOX and refuses bad values with a typed error', () => {
    expect(sandboxFromEnv({})).toBeUndefined();
    expect(sandboxFromEnv({ CROSSTALK_SANDBOX: 'unshare' })).toBe('unshare');
    expect(sandboxFromEnv({ CROSSTALK_SANDBOX: 'none' })).toBe('none-unsafe');
    expect(() => sandboxFromEnv({ CROSSTALK_SANDBOX: 'docker' })).toThrow(SandboxError);
    expect(() => sandboxFromEnv({ CROSSTALK_SANDBOX: 'docker' })).toThrow(/bwrap, unshare, none/);
  });

  it('CROSSTALK_SANDBOX=none runs on the host only with --unsafe-no-sandbox', () => {
    const refused = detectSandbox({ env: { CROSSTALK_SANDBOX: 'none' } });
    expect(refused.sandbox).toBeUndefined();
    expect(refused.reason).toMatch(/^CROSSTALK_SANDBOX=none: .*--unsafe-no-sandbox/);
    expect(detectSandbox({ env: { CROSSTALK_SANDBOX: 'none' }, allowUnsafe: true }).sandbox?.kind).toBe('none-unsafe');
  });

  it('CROSSTALK_SANDBOX=unshare uses the fallback even where bubblewrap works, and never another kind', () => {
    const choice = detectSandbox({ env: { CROSSTALK_SANDBOX: 'unshare' } });
    expect(choice.checks.map((c) => c.kind)).toEqual(['unshare']);
    if (choice.sandbox) expect(choice.sandbox.kind).toBe('unshare');
    else expect(choice.reason).toMatch(/^CROSSTALK_SANDBOX=unshare: no sandbox available/);
  });
});

describe('workspaces of killed runs', () => {
  it('are removed at the next start; those of live processes and unknown names are kept', () => {
    const parent = mkdtempSync(join(tmpdir(), 'crosstalk-stale-test-'));
    onTestFinished(() => rmSync(parent, { recursive: true, force: true }));
    const gone = spawnSync('true').pid!; // a process that has exited
    const dead = join(parent, `crosstalk-run-${gone}.12345-abcdef`);
    mkdirSync(join(dead, 'deep', 'er'), { recursive: true });
    const deadEtc = join(parent, `crosstalk-sandbox-etc-${gone}.12345-ghijkl`);
    mkdirSync(deadEtc);
    // as root the killed run still owned its workspace under its own uid
    if (process.getuid?.() === 0) chownSync(dead, sandboxUidBase + 42, sandboxUidBase + 42);
    const live = join(parent, `crosstalk-run-${ownerTag()}-mnopqr`);
    mkdirSync(live);
    const untagged = join(parent, 'crosstalk-run-XyZ123');
    mkdirSync(untagged);
    const result = removeStaleSandboxDirs(parent);
    expect(result.failed).toEqual([]);
    expect(result.removed.sort()).toEqual([dead, deadEtc].sort());
    expect(readdirSync(parent).sort()).toEqual(['crosstalk-run-XyZ123', `crosstalk-run-${ownerTag()}-mnopqr`].sort());
    expect(existsSync(live)).toBe(true);
  });

  it('tell a live owner from a reused pid', () => {
    const own = parseOwnerTag(`crosstalk-run-${ownerTag()}-x`, 'crosstalk-run-')!;
    expect(own.pid).toBe(process.pid);
    expect(ownerAlive(own)).toBe(true);
    expect(ownerAlive({ pid: process.pid, ticks: own.ticks + 1 })).toBe(false);
    expect(parseOwnerTag('crosstalk-run-abc', 'crosstalk-run-')).toBeUndefined();
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownerAlive, ownerTag, parseOwnerTag } from './owner-tag.js';

/**
 * How a run's total memory is bounded:
 * - `cgroup-v2` / `cgroup-v1`: the run gets its own memory cgroup whose limit is the total; the
 *   kernel counts every process of the run together and stops (OOM-kills) inside the run only;
 * - `rlimit`: no usable memory cgroup; per-process address space × process count is kept under
 *   the total (fewer processes and a smaller per-process limit), and a watchdog sums the run's
 *   resident memory as a backstop.
 */
export type MemoryMechanism = 'cgroup-v2' | 'cgroup-v1' | 'rlimit';

/** Where run cgroups can be made. */
export interface CgroupHost {
  version: 1 | 2;
  /** The cgroup directory the run cgroups are made in. */
  dir: string;
}

/** Files that tell where this process's cgroups are (replaceable in tests). */
export interface CgroupSources {
  cgroup: string;
  mountinfo: string;
}

const defaultSources: CgroupSources = { cgroup: '/proc/self/cgroup', mountinfo: '/proc/self/mountinfo' };
const prefix = 'crosstalk-';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function tryWrite(path: string, value: string): boolean {
  try {
    writeFileSync(path, value);
    return true;
  } catch {
    return false;
  }
}

interface Mount {
  root: string;
  point: string;
  type: string;
  superOptions: string[];
}

function mounts(mountinfo: string): Mount[] {
  return mountinfo
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [left = '', right = ''] = line.split(' - ');
      const f = left.split(' ');
      const r = right.split(' ');
      const octal = (s: string) =>
        s.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
      return {
        root: octal(f[3] ?? ''),
        point: octal(f[4] ?? ''),
        type: r[0] ?? '',
        superOptions: (r[2] ?? '').split(','),
      };
    });
}

function within(mount: Mount, path: string): string | undefined {
  const inside =
    mount.root === '/'
      ? path
      : path === mount.root || path.startsWith(`${mount.root}/`)
        ? path.slice(mount.root.length)
        : undefined;
  if (inside === undefined) return undefined;
  const dir = join(mount.point, inside);
  return dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
}

/** Whether a child cgroup can be made in `dir` and given a memory limit (made and removed again). */
function canLimit(dir: string, version: 1 | 2): boolean {
  const probe = join(dir, `${prefix}${ownerTag()}-probe`);
  try {
    mkdirSync(probe);
  } catch {
    return false;
  }
  try {
    return version === 2
      ? tryWrite(join(probe, 'memory.max'), String(1024 ** 3))
      : tryWrite(join(probe, 'memory.limit_in_bytes'), String(1024 ** 3));
  } finally {
    try {
      rmdirSync(probe);
    } catch {
      // left for the next start's clean-up
    }
  }
}

/**
 * cgroup v2: the process's own cgroup, when the memory controller is (or can be) enabled for its
 * children. A cgroup holding processes cannot enable controllers for children, so when crosstalk
 * is alone in its cgroup (e.g. started by `systemd-run --user --scope -p Delegate=yes`), it moves
 * itself into a child `crosstalk-supervisor-<pid>` first.
 */
function cgroupV2(dir: string | undefined): CgroupHost | string {
  if (!dir) return 'no cgroup v2 hierarchy holding this process';
  if (!(read(join(dir, 'cgroup.controllers')) ?? '').split(/\s+/).includes('memory'))
    return 'cgroup v2 without the memory controller';
  const enabled = () => (read(join(dir, 'cgroup.subtree_control')) ?? '').split(/\s+/).includes('memory');
  if (!enabled() && !tryWrite(join(dir, 'cgroup.subtree_control'), '+memory')) {
    const procs = (read(join(dir, 'cgroup.procs')) ?? '').trim().split('\n').filter(Boolean);
    if (procs.length === 1 && procs[0] === String(process.pid)) {
      const leaf = join(dir, `${prefix}supervisor-${process.pid}`);
      try {
        mkdirSync(leaf, { recursive: true });
        writeFileSync(join(leaf, 'cgroup.procs'), String(process.pid));
      } catch {
        // stays where it is
      }
      tryWrite(join(dir, 'cgroup.subtree_control'), '+memory');
    }
  }
  if (!enabled()) return 'cgroup v2 memory controller not delegated to this process';
  return canLimit(dir, 2) ? { version: 2, dir } : 'cannot create a cgroup v2 child with a memory limit';
}

function cgroupV1(dir: string | undefined): CgroupHost | string {
  if (!dir) return 'no cgroup v1 memory hierarchy holding this process';
  return canLimit(dir, 1) ? { version: 1, dir } : 'cannot create a cgroup v1 child with a memory limit';
}

/**
 * The directories of this process's own cgroups, from `/proc/self/cgroup` and `/proc/self/mountinfo`
 * texts: the unified (v2) one, and the one of the v1 memory controller. A mount whose root is not `/`
 * (a container's view) is accounted for.
 */
export function ownCgroupDirs(cgroupText: string, mountinfoText: string): { v2?: string; v1?: string } {
  const all = mounts(mountinfoText);
  const lines = cgroupText.split('\n').map((l) => l.split(':'));
  const v2Line = lines.find((f) => f[0] === '0' && f[1] === '');
  const v2Mount = all.find((m) => m.type === 'cgroup2');
  const v1Line = lines.find((f) => (f[1] ?? '').split(',').includes('memory'));
  const v1Mount = all.find((m) => m.type === 'cgroup' && m.superOptions.includes('memory'));
  const v2 = v2Line && v2Mount ? within(v2Mount, v2Line.slice(2).join(':')) : undefined;
  const v1 = v1Line && v1Mount ? within(v1Mount, v1Line.slice(2).join(':')) : undefined;
  return { ...(v2 ? { v2 } : {}), ...(v1 ? { v1 } : {}) };
}

/**
 * Finds where this process can make memory-limited cgroups: cgroup v2 first, else the v1 memory
 * controller; otherwise says why not (the reasons of both). Removes cgroups left by crosstalk
 * processes that died.
 */
export function findCgroupHost(sources: CgroupSources = defaultSources): CgroupHost | { reason: string } {
  const dirs = ownCgroupDirs(read(sources.cgroup) ?? '', read(sources.mountinfo) ?? '');
  const v2 = cgroupV2(dirs.v2);
  const host = typeof v2 === 'string' ? cgroupV1(dirs.v1) : v2;
  if (typeof host === 'string') return { reason: `${typeof v2 === 'string' ? `${v2}; ` : ''}${host}` };
  removeStaleCgroups(host);
  return host;
}

let cachedHost: CgroupHost | { reason: string } | undefined;

/** {@link findCgroupHost} for this process, cached. */
export function cgroupHost(): CgroupHost | { reason: string } {
  cachedHost ??= findCgroupHost();
  return cachedHost;
}

/** Removes run cgroups whose crosstalk process is gone (they are empty: their processes died with it). */
export function removeStaleCgroups(host: CgroupHost): number {
  let removed = 0;
  let names: string[] = [];
  try {
    names = readdirSync(host.dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const owner = parseOwnerTag(name, prefix);
    if (!owner || ownerAlive(owner)) continue;
    try {
      rmdirSync(join(host.dir, name));
      removed++;
    } catch {
      // still busy, or not ours to remove
    }
  }
  return removed;
}

let runs = 0;

/** One run's memory cgroup. */
export interface RunCgroup {
  version: 1 | 2;
  path: string;
  /** The file a process writes its pid to, to join the cgroup. */
  procs: string;
  /** Highest memory use the kernel recorded, when it records one. */
  peakBytes(): number | undefined;
  /** How many processes the kernel killed for running out of the cgroup's memory (undefined when unknown). */
  oomKills(): number | undefined;
  /** Kills whatever is left in the cgroup and removes it; says why when it could not. */
  remove(): Promise<string | undefined>;
}

/** Makes a memory cgroup for one run with `totalBytes` as its limit (no swap beyond it). */
export function createRunCgroup(host: CgroupHost, totalBytes: number): RunCgroup {
  const path = join(host.dir, `${prefix}${ownerTag()}-${++runs}`);
  mkdirSync(path);
  const file = (name: string) => join(path, name);
  if (host.version === 2) {
    writeFileSync(file('memory.max'), String(totalBytes));
    tryWrite(file('memory.swap.max'), '0');
  } else {
    writeFileSync(file('memory.limit_in_bytes'), String(totalBytes));
    tryWrite(file('memory.memsw.limit_in_bytes'), String(totalBytes));
  }
  const number = (name: string, key?: string) => {
    const text = read(file(name));
    if (text === undefined) return undefined;
    const value = key ? new RegExp(`^${key} (\\d+)$`, 'm').exec(text)?.[1] : text.trim();
    return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
  };
  return {
    version: host.version,
    path,
    procs: file('cgroup.procs'),
    peakBytes: () => (host.version === 2 ? number('memory.peak') : number('memory.max_usage_in_bytes')),
    oomKills: () =>
      host.version === 2 ? number('memory.events', 'oom_kill') : number('memory.oom_control', 'oom_kill'),
    async remove() {
      if (host.version === 2) tryWrite(file('cgroup.kill'), '1');
      // the pid namespace is torn down asynchronously: give its processes a few seconds to leave the cgroup
      for (let attempt = 0; attempt < 120; attempt++) {
        const pids = (read(file('cgroup.procs')) ?? '').split('\n').filter(Boolean).map(Number);
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
        try {
          rmdirSync(path);
          return undefined;
        } catch (error) {
          if (!existsSync(path)) return undefined;
          if (attempt === 119) return `could not remove the run's cgroup ${path}: ${(error as Error).message}`;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      return undefined;
    },
  };
}

/** Per-process limits that keep address space × processes under the total, for the `rlimit` mechanism. */
export function rlimitShare(
  totalBytes: number,
  processBytes: number,
  processes: number,
): { processBytes: number; processes: number } {
  const perProcess = Math.min(processBytes, totalBytes);
  if (perProcess * processes <= totalBytes) return { processBytes: perProcess, processes };
  // a per-process limit an interpreter can live with, then as many processes as fit
  const floor = Math.min(perProcess, 128 * 1024 ** 2);
  const share = Math.max(floor, Math.floor(totalBytes / processes));
  const count = Math.max(4, Math.min(processes, Math.floor(totalBytes / share)));
  return { processBytes: Math.min(share, Math.floor(totalBytes / count)), processes: count };
}

let pageSize: number | undefined;

/** The machine's memory page size in bytes (for /proc's page counts). */
export function memoryPageSize(): number {
  if (pageSize === undefined) {
    const out = spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8', timeout: 5000 });
    const n = Number(String(out.stdout ?? '').trim());
    pageSize = Number.isInteger(n) && n > 0 ? n : 4096;
  }
  return pageSize;
}

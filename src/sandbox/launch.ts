import { existsSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HostRuntimes } from './host-runtimes.js';
import { seccompLoaderPython } from './seccomp.js';
import type { ResolvedRunOptions, SandboxKind } from './types.js';

/** Absolute paths of the host tools the sandboxes use. */
export interface SandboxTools {
  bwrap?: string;
  unshare?: string;
  setpriv?: string;
  prlimit?: string;
  timeout?: string;
  xvfb?: string;
  sh: string;
}

const searchPath = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin'];

/** Absolute path of a system tool, searched in the system directories only (never the user's PATH). */
export function findTool(name: string): string | undefined {
  for (const dir of searchPath) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** The tools present on this host. */
export function findTools(): SandboxTools {
  const tools: SandboxTools = { sh: findTool('sh') ?? '/bin/sh' };
  for (const [key, name] of [
    ['bwrap', 'bwrap'],
    ['unshare', 'unshare'],
    ['setpriv', 'setpriv'],
    ['prlimit', 'prlimit'],
    ['timeout', 'timeout'],
    ['xvfb', 'Xvfb'],
  ] as const) {
    const path = findTool(name);
    if (path) tools[key] = path;
  }
  return tools;
}

/**
 * Who the program runs as:
 * - `uid`: crosstalk is root; the program runs as a fresh unprivileged uid (see `allocateRunUid`),
 *   all capabilities dropped, no_new_privs set. RLIMIT_NPROC is not enforced for root, so this
 *   is what makes the process limit real.
 * - `userns`: crosstalk is an ordinary user; the sandbox gets its own user namespace, whose
 *   per-namespace process count makes RLIMIT_NPROC apply to the sandbox alone.
 */
export type RunIdentity = { mode: 'uid'; uid: number; gid: number } | { mode: 'userns' };

/** Everything a launch needs besides the options. */
export interface LaunchContext {
  options: ResolvedRunOptions;
  /** Real path of the workspace on the host. */
  workspace: string;
  identity: RunIdentity;
  runtimes: HostRuntimes;
  tools: SandboxTools;
  /** Host files to mount as /etc/passwd and /etc/group (a minimal identity for the program). */
  etc?: { passwd: string; group: string };
  /** X display number when a virtual display is provided. */
  display?: number;
  /** Per-process limits in force (lower than the options' when they must fit a total without a cgroup). */
  limits: { processBytes: number; processes: number };
  /** The seccomp filter to apply, as bytes; absent when this machine has none. */
  seccomp?: Buffer;
  /** Wall-clock limit enforced inside the sandbox by `timeout`, in ms (a little after crosstalk's own). */
  innerTimeoutMs: number;
}

/** How to start one sandboxed run. */
export interface LaunchPlan {
  command: string;
  args: string[];
  /** Environment of the launcher itself (the program's environment is set inside). */
  env: Record<string, string>;
  cwd: string;
  /** The launcher reports on fd 3: bubblewrap's JSON status, or `ready` from the unshare script. */
  status: 'bwrap-json' | 'ready-line' | 'none';
  /**
   * What fd 4 carries: the seccomp filter for bubblewrap to read, or a lifeline the unshare sandbox
   * watches (crosstalk holds the other end; when crosstalk dies, it closes and the sandbox kills its
   * processes).
   */
  fd4?: 'seccomp' | 'lifeline';
  /** Whether the plan applies the seccomp filter. */
  seccomp: boolean;
}

/** Files under /etc the program may need (loader cache, time zone, certificates, fonts, Python's site config); everything else in /etc stays hidden. */
export function etcEntries(): string[] {
  const fixed = [
    'alternatives',
    'ld.so.cache',
    'ld.so.conf',
    'ld.so.conf.d',
    'nsswitch.conf',
    'localtime',
    'timezone',
    'hosts',
    'mime.types',
    'fonts',
    'ssl',
    'ca-certificates',
    'matplotlibrc',
    'os-release',
    'papersize',
  ];
  let python: string[] = [];
  try {
    python = readdirSync('/etc').filter((e) => /^python3(\.\d+)?$/.test(e));
  } catch {
    // no /etc: nothing to add
  }
  return [...fixed, ...python].filter((e) => existsSync(join('/etc', e)));
}

/** The program's environment: nothing inherited from crosstalk. */
export function programEnvironment(ctx: LaunchContext, inside: boolean): Record<string, string> {
  const o = ctx.options;
  const home = inside ? '/workspace' : ctx.workspace;
  const path = [...ctx.runtimes.path, '/usr/local/bin', '/usr/bin', '/bin'];
  const env: Record<string, string> = {
    PATH: [...new Set(path)].join(':'),
    HOME: home,
    USER: 'sandbox',
    LOGNAME: 'sandbox',
    LANG: 'C.UTF-8',
    TMPDIR: inside ? '/tmp' : (process.env.TMPDIR ?? '/tmp'),
    TERM: 'dumb',
    // output as it happens, so a program killed at the timeout still shows what it printed
    PYTHONUNBUFFERED: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    SDL_AUDIODRIVER: 'dummy',
    XDG_CACHE_HOME: inside ? '/tmp/.cache' : join(home, '.cache'),
  };
  if (ctx.display === undefined) env.MPLBACKEND = 'Agg';
  if (isNode(o.command))
    env.NODE_OPTIONS = `--max-old-space-size=${Math.max(16, Math.floor(ctx.limits.processBytes / 1024 ** 2))}`;
  return { ...env, ...o.env };
}

function isNode(command: string[]): boolean {
  return /^(node|nodejs)$/.test(command[0]?.split('/').pop() ?? '');
}

/** Address-space limit: V8 reserves about 1 GiB of address space up front, so Node gets that much more and its heap is capped with `--max-old-space-size` instead. */
export function addressSpaceLimit(o: ResolvedRunOptions, processBytes: number): number {
  return isNode(o.command) ? processBytes + 1024 ** 3 : processBytes;
}

/** The filter loader the unshare fallback runs (it has no `--seccomp`): Python, when the host has it. */
function seccompLoader(ctx: LaunchContext, kind: SandboxKind): string[] {
  if (kind !== 'unshare' || !ctx.seccomp || !ctx.runtimes.python) return [];
  return [ctx.runtimes.python, '-I', '-S', '-c', seccompLoaderPython, ctx.seccomp.toString('hex')];
}

/** Whether a plan of this kind applies the seccomp filter in this context. */
export function appliesSeccomp(ctx: LaunchContext, kind: SandboxKind): boolean {
  if (!ctx.seccomp) return false;
  if (kind === 'bwrap') return true;
  return kind === 'unshare' && ctx.runtimes.python !== undefined;
}

/** The shell snippet that starts Xvfb on display `n` and then execs the program. */
export function displayScript(n: number): string {
  return [
    'mkdir -p /tmp/.X11-unix 2>/dev/null || true',
    `Xvfb :${n} -nolisten tcp -screen 0 1280x1024x24 >/dev/null 2>&1 &`,
    `i=0; while [ ! -S /tmp/.X11-unix/X${n} ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i+1)); done`,
    `export DISPLAY=:${n}`,
    'exec "$@"',
  ].join('\n');
}

/**
 * The command run inside the sandbox: `timeout` (the wall-clock limit, kept
 * inside so it holds even when crosstalk is gone; it runs before the drop of
 * privileges, so the program cannot signal it, and when it ends the whole
 * sandbox ends), the seccomp loader for the unshare fallback, the drop to
 * the run's identity, the limits set with prlimit (processes, address space,
 * file size, open files, CPU seconds as a backstop, no core dumps), Xvfb if
 * asked, then the program.
 */
export function innerCommand(ctx: LaunchContext, kind: SandboxKind): string[] {
  const o = ctx.options;
  const out: string[] = [];
  if (ctx.tools.timeout) out.push(ctx.tools.timeout, '-s', 'KILL', `${ctx.innerTimeoutMs / 1000}s`);
  out.push(...seccompLoader(ctx, kind));
  if (ctx.tools.setpriv) {
    if (ctx.identity.mode === 'uid') {
      out.push(
        ctx.tools.setpriv,
        `--reuid=${ctx.identity.uid}`,
        `--regid=${ctx.identity.gid}`,
        '--clear-groups',
        '--no-new-privs',
        '--inh-caps=-all',
        '--bounding-set=-all',
      );
    } else if (kind === 'unshare') {
      out.push(ctx.tools.setpriv, '--no-new-privs', '--inh-caps=-all', '--bounding-set=-all');
    }
  }
  if (ctx.tools.prlimit) {
    const cpuSeconds = 2 * Math.ceil(o.timeoutMs / 1000) + 5;
    out.push(
      ctx.tools.prlimit,
      `--nproc=${ctx.limits.processes}`,
      `--as=${addressSpaceLimit(o, ctx.limits.processBytes)}`,
      `--fsize=${o.maxFileBytes}`,
      '--core=0',
      '--nofile=256',
      `--cpu=${cpuSeconds}`,
      '--',
    );
  }
  if (ctx.display !== undefined) out.push(ctx.tools.sh, '-c', displayScript(ctx.display), 'crosstalk-display');
  out.push(...o.command);
  return out;
}

function ancestors(path: string): string[] {
  const list: string[] = [];
  for (let p = dirname(path); p !== '/' && p !== '.'; p = dirname(p)) list.unshift(p);
  return list;
}

const topLevelLinks = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * bubblewrap: new pid, network, ipc, uts (and cgroup) namespaces — the
 * network namespace has only a loopback that is down, so nothing can
 * connect anywhere —; /usr and the top-level links read-only, a minimal
 * /etc, the interpreters' prefixes read-only, a fresh /proc and minimal
 * /dev, private size-limited /tmp and /dev/shm, the workspace the only
 * writable host directory (at /workspace, the working directory), a
 * cleared environment; `--die-with-parent` and `--new-session` (no
 * terminal injection).
 */
export function bwrapPlan(ctx: LaunchContext): LaunchPlan {
  const o = ctx.options;
  const a: string[] = [
    '--unshare-pid',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--hostname',
    'sandbox',
    '--die-with-parent',
    '--new-session',
  ];
  if (ctx.identity.mode === 'userns') a.push('--unshare-user', '--disable-userns');
  a.push('--ro-bind', '/usr', '/usr');
  for (const link of topLevelLinks) {
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(link);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) a.push('--symlink', readlinkSync(link), link);
    else if (stat.isDirectory()) a.push('--ro-bind', link, link);
  }
  const made = new Set<string>();
  const dir = (path: string) => {
    for (const p of [...ancestors(path), path]) {
      if (made.has(p)) continue;
      made.add(p);
      a.push('--perms', '0755', '--dir', p);
    }
  };
  dir('/etc');
  for (const entry of etcEntries()) a.push('--ro-bind-try', `/etc/${entry}`, `/etc/${entry}`);
  if (ctx.etc) a.push('--ro-bind', ctx.etc.passwd, '/etc/passwd', '--ro-bind', ctx.etc.group, '/etc/group');
  for (const bind of ctx.runtimes.binds) {
    for (const p of ancestors(bind)) dir(p);
    a.push('--ro-bind', bind, bind);
  }
  a.push('--proc', '/proc', '--dev', '/dev');
  a.push('--perms', '1777', '--size', String(o.tmpBytes), '--tmpfs', '/tmp');
  a.push('--perms', '1777', '--size', String(o.tmpBytes), '--tmpfs', '/dev/shm');
  a.push('--bind', ctx.workspace, '/workspace', '--chdir', '/workspace');
  // the sandbox's own root is a tmpfs: read-only, so nothing piles up in memory outside /tmp's bound
  a.push('--remount-ro', '/');
  a.push('--clearenv');
  for (const [k, v] of Object.entries(programEnvironment(ctx, true))) a.push('--setenv', k, v);
  if (ctx.seccomp) a.push('--seccomp', '4');
  a.push('--json-status-fd', '3', '--', ...innerCommand(ctx, 'bwrap'));
  return {
    command: ctx.tools.bwrap!,
    args: a,
    env: {},
    cwd: ctx.workspace,
    status: 'bwrap-json',
    ...(ctx.seccomp ? { fd4: 'seccomp' as const } : {}),
    seccomp: appliesSeccomp(ctx, 'bwrap'),
  };
}

/** Host directories that can hold the new root's tmpfs mount (inside the private mount namespace only). */
const rootMountCandidates = ['/srv', '/media', '/mnt', '/opt', '/boot', '/var/empty', '/home', '/var/tmp'];

/** Chooses where the unshare script mounts its new root: an existing directory that holds neither the workspace nor a runtime. */
export function unshareRootMount(workspace: string, binds: string[]): string | undefined {
  const inside = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);
  return rootMountCandidates.find((c) => {
    try {
      if (!lstatSync(c).isDirectory()) return false;
    } catch {
      return false;
    }
    return !inside(workspace, c) && !binds.some((b) => inside(b, c) || inside(c, b));
  });
}

/**
 * Shell script for the `unshare` fallback, run as pid 1 of new mount, pid,
 * network, ipc and uts namespaces. It builds the same view bubblewrap gives
 * on a tmpfs (read-only /usr and links, minimal /etc, runtimes, minimal
 * /dev, private /tmp and /dev/shm, the workspace at /workspace, a fresh
 * /proc), makes that root read-only, says `ready` on fd 3 and runs the
 * program chrooted with an empty environment. Paths come in CT_* variables.
 */
export const unshareScript = `set -eu
R="$CT_ROOT"
mount -t tmpfs -o mode=0755,size=16m,nosuid,nodev crosstalk-root "$R"
mkdir "$R/usr" "$R/etc" "$R/proc" "$R/dev" "$R/tmp" "$R/workspace"
ro_bind() {
  if [ -d "$1" ]; then mkdir -p "$R$2"; else mkdir -p "$(dirname "$R$2")"; : > "$R$2"; fi
  mount --rbind "$1" "$R$2"
  mount -o remount,bind,ro,nosuid,nodev "$R$2"
}
ro_bind /usr /usr
for l in bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$l" ]; then ln -s "$(readlink "/$l")" "$R/$l"
  elif [ -d "/$l" ]; then ro_bind "/$l" "/$l"
  fi
done
IFS='
'
for e in $CT_ETC; do
  if [ -e "/etc/$e" ]; then ro_bind "/etc/$e" "/etc/$e"; fi
done
if [ -n "$CT_PASSWD" ]; then ro_bind "$CT_PASSWD" /etc/passwd; ro_bind "$CT_GROUP" /etc/group; fi
for b in $CT_BINDS; do ro_bind "$b" "$b"; done
for d in null zero full random urandom tty; do
  : > "$R/dev/$d"
  mount --bind "/dev/$d" "$R/dev/$d"
done
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
mkdir "$R/dev/shm"
mount -t tmpfs -o "mode=1777,size=$CT_TMP_BYTES,nosuid,nodev" crosstalk-shm "$R/dev/shm"
mount -t tmpfs -o "mode=1777,size=$CT_TMP_BYTES,nosuid,nodev" crosstalk-tmp "$R/tmp"
mount --bind "$CT_WORKSPACE" "$R/workspace"
mount -o remount,bind,nosuid,nodev "$R/workspace"
mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
mount -o remount,bind,ro,nosuid,nodev "$R"
# no nested user namespaces (in a user namespace of its own, the sandbox may lower its own limit)
if [ "$CT_USERNS" = 1 ]; then echo 0 > /proc/sys/user/max_user_namespaces 2>/dev/null || true; fi
# the lifeline: crosstalk holds its other end; when crosstalk dies it reads end-of-file and kills the sandbox
if [ "$CT_LIFELINE" = 1 ]; then { cat <&4; kill -KILL -1; } >/dev/null 2>&1 3>&- & fi
echo ready >&3
exec 3>&-
unset IFS
chroot "$R" /usr/bin/env -i -C /workspace "$@" 4<&-
`;

/**
 * The `unshare` fallback: the same isolation as {@link bwrapPlan}, built by {@link unshareScript}.
 * `--kill-child` ends the sandbox with `unshare`, the lifeline on fd 4 ends it with crosstalk.
 */
export function unsharePlan(ctx: LaunchContext, lifeline = true): LaunchPlan | { error: string } {
  const root = unshareRootMount(ctx.workspace, ctx.runtimes.binds);
  if (!root) return { error: 'no directory to mount the sandbox root on (tried /srv, /media, /mnt, /opt, …)' };
  const flags = ['--mount', '--net', '--pid', '--ipc', '--uts', '--fork', '--kill-child', '--propagation', 'private'];
  if (ctx.identity.mode === 'userns') flags.unshift('--user', '--map-root-user');
  const env = Object.entries(programEnvironment(ctx, true)).map(([k, v]) => `${k}=${v}`);
  return {
    command: ctx.tools.unshare!,
    args: [
      ...flags,
      '--',
      ctx.tools.sh,
      '-c',
      unshareScript,
      'crosstalk-sandbox',
      ...env,
      ...innerCommand(ctx, 'unshare'),
    ],
    env: {
      PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
      CT_ROOT: root,
      CT_WORKSPACE: ctx.workspace,
      CT_ETC: etcEntries().join('\n'),
      CT_BINDS: ctx.runtimes.binds.join('\n'),
      CT_PASSWD: ctx.etc?.passwd ?? '',
      CT_GROUP: ctx.etc?.group ?? '',
      CT_TMP_BYTES: String(ctx.options.tmpBytes),
      CT_USERNS: ctx.identity.mode === 'userns' ? '1' : '0',
      CT_LIFELINE: lifeline ? '1' : '0',
    },
    cwd: '/',
    status: 'ready-line',
    ...(lifeline ? { fd4: 'lifeline' as const } : {}),
    seccomp: appliesSeccomp(ctx, 'unshare'),
  };
}

/** No isolation: the program runs on the host, in the workspace, with the limits prlimit can set and a clean environment. */
export function unsafePlan(ctx: LaunchContext): LaunchPlan {
  const inner = innerCommand({ ...ctx, identity: { mode: 'userns' } }, 'none-unsafe');
  return {
    command: inner[0]!,
    args: inner.slice(1),
    env: programEnvironment(
      {
        ...ctx,
        runtimes: {
          ...ctx.runtimes,
          path: [...ctx.runtimes.path, ...(process.env.PATH ?? '').split(':').filter(Boolean)],
        },
      },
      false,
    ),
    cwd: ctx.workspace,
    status: 'none',
    seccomp: false,
  };
}

import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute } from 'node:path';

/** Where the interpreters the sandbox exposes live on the host. */
export interface HostRuntimes {
  /** Directories to put first on the sandbox's PATH (the real interpreters' `bin`). */
  path: string[];
  /** Host directories to mount read-only at the same place (interpreter prefixes outside /usr). */
  binds: string[];
  /** What was found or not, for reports. */
  notes: string[];
  /** The real Python 3 executable, when the host has one (it also loads the unshare fallback's seccomp filter). */
  python?: string;
}

/** Host directories the sandboxes always expose read-only; runtimes under them need no extra bind. */
export const systemDirectories = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

function under(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

let cached: HostRuntimes | undefined;

/**
 * Finds the real Python 3 and Node.js the host uses. `python3` may be a
 * version-manager shim (pyenv here: /root/.pyenv/shims/python3), which would
 * not work inside a sandbox, so Python itself is asked for
 * `sys.executable`, `sys.prefix` and `sys.base_prefix`; Node is the one
 * running crosstalk (`process.execPath`). Prefixes outside the system
 * directories are returned as read-only binds, their `bin` directories go
 * first on PATH. Cached for the life of the process.
 */
export function discoverHostRuntimes(): HostRuntimes {
  if (cached) return cached;
  const path: string[] = [];
  const binds = new Set<string>();
  const notes: string[] = [];
  const addPrefix = (prefix: string) => {
    if (!isAbsolute(prefix) || !isDirectory(prefix)) return;
    const real = realpathSync(prefix);
    if (systemDirectories.some((d) => under(real, d)) || real === '/') return;
    binds.add(real);
  };
  const python = spawnSync(
    'python3',
    ['-c', 'import sys; print(sys.executable); print(sys.prefix); print(sys.base_prefix)'],
    {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const [executable, prefix, basePrefix] = (python.status === 0 ? python.stdout : '').trim().split('\n');
  if (executable && isAbsolute(executable) && existsSync(executable)) {
    path.push(dirname(executable));
    for (const p of [prefix, basePrefix]) if (p) addPrefix(p);
    addPrefix(dirname(dirname(realpathSync(executable))));
    notes.push(`python3: ${executable}`);
  } else {
    notes.push('python3 was not found on the host');
  }
  const node = realpathSync(process.execPath);
  const nodeBin = dirname(node);
  path.push(nodeBin);
  addPrefix(basename(nodeBin) === 'bin' ? dirname(nodeBin) : nodeBin);
  notes.push(`node: ${node}`);
  // a bind under another bind is redundant
  const sorted = [...binds].sort();
  const outer = sorted.filter((b) => !sorted.some((o) => o !== b && under(b, o)));
  const python3 = executable && isAbsolute(executable) && existsSync(executable) ? executable : undefined;
  cached = { path: [...new Set(path)], binds: outer, notes, ...(python3 ? { python: python3 } : {}) };
  return cached;
}

/**
 * Command for an entry file: `python3 main.py` for `.py`, `node main.js` for
 * `.js`, `.mjs`, `.cjs`; `undefined` for anything else.
 */
export function runtimeFor(entry: string): string[] | undefined {
  if (/\.pyw?$/i.test(entry)) return ['python3', entry];
  if (/\.(js|mjs|cjs)$/i.test(entry)) return ['node', entry];
  return undefined;
}

/** Whether source code looks like a GUI program that needs a display (tkinter, turtle, pygame, Qt, wx, kivy, pyglet, arcade). */
export function wantsDisplay(source: string): boolean {
  return /^\s*(?:from|import)\s+(?:tkinter|Tkinter|turtle|pygame|PyQt[56]|PySide[26]|wx|kivy|pyglet|arcade)\b/m.test(
    source,
  );
}

/** Whether a virtual display (Xvfb) can be offered to GUI programs here. */
export function hasVirtualDisplay(): boolean {
  return ['/usr/bin/Xvfb', '/bin/Xvfb', '/usr/local/bin/Xvfb'].some((p) => existsSync(p));
}

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { cleanEnv, cliPath } from './run-cli.js';
import { waitFor } from './wait-for.js';

/** Whether Debian's redis-server is on this machine (`.ci/run` installs it). */
export function redisServerPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A port nobody listens on now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A child process with its output so far. */
export interface Proc {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

/** Starts a child process whose output is collected. */
export function startProc(command: string, args: string[], cwd: string): Proc {
  const child = spawn(command, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: Proc = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
  child.stdout!.on('data', (d) => (proc.stdout += String(d)));
  child.stderr!.on('data', (d) => (proc.stderr += String(d)));
  return proc;
}

/** Lines of `text` that start with `what`. */
export const countLines = (text: string, what: string) => text.split('\n').filter((l) => l.startsWith(what)).length;

/** The sum of `<n> paid` over a worker's `step done` lines. */
export const workerPaid = (stdout: string) =>
  [...stdout.matchAll(/^step done: .*; (\d+) paid, \d+ replayed\)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);

/** A redis-server on 127.0.0.1 that keeps nothing on disk. */
export interface RedisServer {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a redis-server on a free 127.0.0.1 port in `dir` and waits until it accepts connections. */
export async function startRedisServer(dir: string, path = redisServerPath()): Promise<RedisServer> {
  if (!path) throw new Error('redis-server is not installed');
  const port = await freePort();
  const server = startProc(
    path,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    dir,
  );
  await waitFor(() => server.stdout.includes('Ready to accept connections'), 'redis-server to be ready');
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    child: server.child,
    stop: async () => {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGTERM');
      await server.exited;
    },
  };
}

/** The processes a test file started: stopped (and awaited) by {@link Processes.stopAll}. */
export class Processes {
  readonly all: Proc[] = [];

  /** A redis-server on 127.0.0.1 that keeps nothing on disk; resolves once it accepts connections. */
  async redis(redisServer: string, port: number, dir: string): Promise<Proc> {
    const server = startProc(
      redisServer,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      dir,
    );
    this.all.push(server);
    await waitFor(() => server.stdout.includes('Ready to accept connections'), 'redis-server to be ready');
    return server;
  }

  /**
   * A `crosstalk worker`, by default with a short lock (a killed worker's steps go back within about a second; a
   * step whose worker is busy for longer than that may be run twice: give long steps a longer lock).
   */
  worker(cwd: string, queue: string, lockMs = 1000): Proc {
    const w = startProc(
      process.execPath,
      [cliPath, 'worker', '--queue', queue, '--concurrency', '4', '--lock-ms', String(lockMs), '--store', 'none'],
      cwd,
    );
    this.all.push(w);
    return w;
  }

  /** The built CLI as a child process (to be signalled). */
  cli(cwd: string, args: string[]): Proc {
    const p = startProc(process.execPath, [cliPath, ...args], cwd);
    this.all.push(p);
    return p;
  }

  async stopAll(): Promise<void> {
    for (const p of this.all) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(this.all.map((p) => p.exited));
  }
}

import { z } from 'zod';

/** Kinds of sandbox, strongest first. `none-unsafe` runs on the host and exists only behind `--unsafe-no-sandbox`. */
export type SandboxKind = 'bwrap' | 'unshare' | 'none-unsafe';

/**
 * How a sandboxed program ended:
 * - `exited-ok`: exit status 0;
 * - `exited-error`: non-zero exit (stderr holds the traceback for a fixer), or still running at
 *   the timeout after printing a traceback (rule `error-output-at-timeout`);
 * - `timeout-running`: still running at the timeout with no error output (a game, a GUI, a
 *   server); ChatDev counts it as executable (rule `running-at-timeout-counts-as-executable`);
 * - `killed-limit`: stopped by a memory, process, output, disk, file-size or CPU limit;
 * - `sandbox-error`: the sandbox could not start the program (setup failed, runtime missing).
 */
export type SandboxOutcome = 'exited-ok' | 'exited-error' | 'timeout-running' | 'killed-limit' | 'sandbox-error';

/** Which rule turned the raw result into an outcome; recorded so reports say how executability was judged. */
export type ExecutabilityRule =
  | 'exit-code'
  | 'running-at-timeout-counts-as-executable'
  | 'error-output-at-timeout'
  | 'limit'
  | 'sandbox';

/** The limit behind a `killed-limit` outcome. */
export type SandboxLimit = 'memory' | 'processes' | 'output' | 'disk' | 'file-size' | 'cpu';

/**
 * What contained one run, for its record: how total memory was bounded (a cgroup, or per-process
 * limits sized so that limit × processes stays under the total), the limits in force, and whether
 * the system-call filter was applied.
 */
export interface Containment {
  /** `cgroup-v2` / `cgroup-v1`: the kernel bounds the total; `rlimit`: per-process limit × processes ≤ total. */
  memory: 'cgroup-v2' | 'cgroup-v1' | 'rlimit';
  /** The bound on all the run's processes together, in bytes. */
  totalMemoryBytes: number;
  /** Address-space limit of each process, in bytes. */
  processMemoryBytes: number;
  /** Processes and threads allowed at once. */
  maxProcesses: number;
  /** Whether the seccomp filter (namespaces, mount, ptrace, keyctl, bpf, … refused) was applied. */
  seccomp: boolean;
  /** Wall-clock limit enforced inside the sandbox (a `timeout` process that dies with the sandbox), in ms. */
  innerTimeoutMs?: number;
  /** Why a cgroup or the filter was not used, when it was not. */
  notes: string[];
}

/** Result of one sandboxed run. */
export interface SandboxResult {
  outcome: SandboxOutcome;
  rule: ExecutabilityRule;
  /** Which limit was hit, for `killed-limit`. */
  limit?: SandboxLimit;
  /** Exit status as the sandbox reported it (`null` when it was killed or never started). */
  exitCode: number | null;
  /** Signal that ended the program, e.g. `SIGKILL` at the timeout; derived from a 128+n status when the sandbox reports signals that way. */
  signal: string | null;
  /** Wall-clock time from start to end, in ms. */
  durationMs: number;
  /** Standard output, at most `maxOutputBytes` (head and tail kept when truncated). */
  stdout: string;
  /** Standard error, bounded like `stdout`. */
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** The kind of sandbox that ran it. */
  sandbox: SandboxKind;
  /** Most tasks (processes and threads) seen at once inside the sandbox, when it was measured. */
  peakTasks?: number;
  /** Highest memory use of the whole run: the cgroup's peak, or the most resident memory summed over its processes. */
  peakMemoryBytes?: number;
  /** How the run was contained (memory mechanism, limits, filter). */
  containment: Containment;
  /** Whether a virtual display (Xvfb) was provided. */
  display: boolean;
  /** Explanations: why there was no display, why setup failed, what the watchdog did. */
  notes: string[];
}

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are letters, digits and _');

/** Options of one run (validated with zod at the boundary). */
export const sandboxRunOptionsSchema = z
  .object({
    /** Directory holding the program: the only writable place, mounted at /workspace (also the working directory). */
    workspace: z.string().min(1),
    /** Command and arguments, e.g. `['python3', 'main.py']`. Either this or `entry`. */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** Entry file relative to the workspace; the command comes from {@link runtimeFor}. */
    entry: z.string().min(1).optional(),
    /** Wall-clock limit in ms. Default 10 000. */
    timeoutMs: z.number().int().positive().max(3_600_000).default(10_000),
    /** Address-space limit per process in bytes (Node gets 1 GiB more for V8's reservations, its heap capped at this). Default 512 MiB. */
    memoryBytes: z
      .number()
      .int()
      .min(32 * 1024 * 1024)
      .default(512 * 1024 * 1024),
    /** Processes and threads at once. Default 64 (fewer when memory has no cgroup, see `totalMemoryBytes`). */
    maxProcesses: z.number().int().min(4).max(4096).default(64),
    /**
     * Memory of all the run's processes together, in bytes. Default 2 GiB. Enforced by a memory
     * cgroup (v2, else v1) when this machine lets crosstalk make one; otherwise the per-process
     * limit and the process count are lowered so that their product stays under it.
     */
    totalMemoryBytes: z
      .number()
      .int()
      .min(128 * 1024 * 1024)
      .default(2 * 1024 * 1024 * 1024),
    /** `auto` (default): a memory cgroup when possible, else per-process limits; `rlimit`: per-process limits only. */
    memoryMechanism: z.enum(['auto', 'rlimit']).default('auto'),
    /** Bytes kept per output stream. Default 64 KiB. The program is stopped once a stream passes 16 times this. */
    maxOutputBytes: z
      .number()
      .int()
      .min(1024)
      .default(64 * 1024),
    /** Largest file the program may write, in bytes (RLIMIT_FSIZE). Default 64 MiB. */
    maxFileBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024),
    /** The program is stopped when the workspace's file system loses more free space than this, in bytes. Default 256 MiB. */
    maxDiskBytes: z
      .number()
      .int()
      .positive()
      .default(256 * 1024 * 1024),
    /** Size of the private /tmp, in bytes. Default 64 MiB. */
    tmpBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024),
    /** Standard input. Default: empty. */
    stdin: z.string().optional(),
    /** Extra environment variables (the sandbox starts from an empty environment). */
    env: z.record(envName, z.string()).default({}),
    /** Provide a virtual display (Xvfb) for GUI programs when Xvfb is installed. Default false. */
    display: z.boolean().default(false),
  })
  .refine((o) => o.command !== undefined || o.entry !== undefined, { message: 'give a command or an entry file' });

/** Options of {@link Sandbox.run} (defaults applied by the sandbox). */
export type SandboxRunOptions = z.input<typeof sandboxRunOptionsSchema>;
/** Options after validation and defaults. */
export type ResolvedRunOptions = z.output<typeof sandboxRunOptionsSchema> & { command: string[] };

/**
 * Runs generated programs under containment: the port features use. Adapters:
 * bubblewrap, `unshare`, and the unsafe host runner. `run` never throws for
 * anything the program does; it throws a `SandboxError` only for invalid
 * options, and reports everything else in the {@link SandboxResult}.
 */
export interface Sandbox {
  readonly kind: SandboxKind;
  /** One line saying what isolation this sandbox gives. */
  readonly description: string;
  run(options: SandboxRunOptions, signal?: AbortSignal): Promise<SandboxResult>;
}

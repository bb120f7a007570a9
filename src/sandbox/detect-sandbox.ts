import { z } from 'zod';
import { SandboxError, SandboxUnavailableError } from '../errors/index.js';
import { findTools, type SandboxTools } from './launch.js';
import { ProcessSandbox } from './process-sandbox.js';
import type { Sandbox, SandboxKind } from './types.js';

/** Options of {@link detectSandbox}. */
export const detectSandboxOptionsSchema = z.object({
  /** Run generated code on the host when no sandbox works (`--unsafe-no-sandbox`). Default false. */
  allowUnsafe: z.boolean().default(false),
  /**
   * Use only this kind (e.g. to test the `unshare` fallback on a machine that has bubblewrap). Without it,
   * the environment variable `CROSSTALK_SANDBOX` (`bwrap`, `unshare` or `none`) chooses, else the strongest
   * that works.
   */
  prefer: z.enum(['bwrap', 'unshare', 'none-unsafe']).optional(),
  /** Where `CROSSTALK_SANDBOX` is read. Default `process.env`. */
  env: z.record(z.string(), z.string().optional()).optional(),
});
/** Options of {@link detectSandbox}. */
export type DetectSandboxOptions = z.input<typeof detectSandboxOptionsSchema>;

/** One kind tried by {@link detectSandbox}. */
export interface SandboxCheck {
  kind: SandboxKind;
  ok: boolean;
  /** What was found: the failing probe's message, or the missing tool. */
  detail: string;
}

/** What {@link detectSandbox} found. */
export interface SandboxChoice {
  /** The sandbox to use; `undefined` when none works and unsafe execution was not allowed. */
  sandbox: Sandbox | undefined;
  /** Which sandbox was chosen and why, or why there is none. */
  reason: string;
  /** Every kind tried, in order. */
  checks: SandboxCheck[];
}

const descriptions: Record<SandboxKind, string> = {
  bwrap: [
    'bubblewrap: no network, own pid/ipc/uts namespaces, read-only system, private /tmp, only the workspace writable',
    'unprivileged uid, seccomp filter (no namespaces, mounts, ptrace, keyctl), total-memory/process/file-size limits',
    'dies with crosstalk, timeout inside',
  ].join(', '),
  unshare: [
    'unshare: no network, own mount/pid/ipc/uts namespaces, read-only system built on a private root, private /tmp',
    'only the workspace writable, unprivileged uid, seccomp filter when python3 is present',
    'total-memory/process/file-size limits, dies with crosstalk, timeout inside',
  ].join(', '),
  'none-unsafe': 'NO SANDBOX: the program runs on the host with your permissions (only prlimit limits and a timeout)',
};

/** Values of the `CROSSTALK_SANDBOX` environment variable. */
export const sandboxEnvValues = ['bwrap', 'unshare', 'none'] as const;

/** The kind `CROSSTALK_SANDBOX` asks for; a bad value is a {@link SandboxError} (bad input). */
export function sandboxFromEnv(env: Record<string, string | undefined> = process.env): SandboxKind | undefined {
  const value = env.CROSSTALK_SANDBOX?.trim();
  if (!value) return undefined;
  if (!(sandboxEnvValues as readonly string[]).includes(value))
    throw new SandboxError({
      code: 'SANDBOX_OPTIONS',
      message: `CROSSTALK_SANDBOX must be one of ${sandboxEnvValues.join(', ')}, not ${JSON.stringify(
        value.slice(0, 40),
      )}`,
    });
  return value === 'none' ? 'none-unsafe' : (value as SandboxKind);
}

const probeCache = new Map<SandboxKind, SandboxCheck>();

function missingTools(kind: SandboxKind, tools: SandboxTools): string[] {
  const need: Array<keyof SandboxTools> =
    kind === 'bwrap' ? ['bwrap', 'prlimit'] : kind === 'unshare' ? ['unshare', 'prlimit'] : [];
  // as root the process limit needs a fresh unprivileged uid, which takes setpriv
  if (kind !== 'none-unsafe' && process.getuid?.() === 0) need.push('setpriv');
  return need.filter((t) => !tools[t]);
}

/** Builds and probes one kind of sandbox (cached per process). */
function tryKind(kind: SandboxKind, tools: SandboxTools): { check: SandboxCheck; sandbox?: Sandbox } {
  const sandbox = new ProcessSandbox(kind, descriptions[kind], tools);
  if (kind === 'none-unsafe') return { check: { kind, ok: true, detail: 'runs on the host' }, sandbox };
  let check = probeCache.get(kind);
  if (!check) {
    const missing = missingTools(kind, tools);
    if (missing.length > 0) check = { kind, ok: false, detail: `not installed: ${missing.join(', ')}` };
    else {
      const probe = sandbox.probe();
      check = probe.ok
        ? { kind, ok: true, detail: 'probe ran' }
        : { kind, ok: false, detail: `probe failed: ${probe.detail}` };
    }
    probeCache.set(kind, check);
  }
  return check.ok ? { check, sandbox } : { check };
}

/**
 * Picks the strongest sandbox this machine supports, by running a probe
 * program through each: bubblewrap, else the `unshare` fallback (same
 * isolation built with util-linux tools), else none. Without a sandbox,
 * generated code runs only when `allowUnsafe` (`--unsafe-no-sandbox`) is
 * set; otherwise `sandbox` is `undefined` and `reason` says why and how to
 * fix it. Probe results are cached for the life of the process.
 */
export function detectSandbox(options: DetectSandboxOptions = {}): SandboxChoice {
  const parsed = detectSandboxOptionsSchema.safeParse(options);
  if (!parsed.success)
    throw new SandboxError({
      code: 'SANDBOX_OPTIONS',
      message: `invalid sandbox options: ${parsed.error.message}`,
      cause: parsed.error,
    });
  const { allowUnsafe, env } = parsed.data;
  const fromEnv = parsed.data.prefer === undefined ? sandboxFromEnv(env ?? process.env) : undefined;
  const prefer = parsed.data.prefer ?? fromEnv;
  const tools = findTools();
  const order: SandboxKind[] = prefer ? [prefer] : ['bwrap', 'unshare'];
  const chosenBy = fromEnv ? `CROSSTALK_SANDBOX=${fromEnv === 'none-unsafe' ? 'none' : fromEnv}: ` : '';
  if (fromEnv === 'none-unsafe' && !allowUnsafe)
    return {
      sandbox: undefined,
      reason: `${chosenBy}generated code would run on the host, which needs --unsafe-no-sandbox; it was not run`,
      checks: [],
    };
  const checks: SandboxCheck[] = [];
  for (const kind of order) {
    if (kind === 'none-unsafe') break;
    const { check, sandbox } = tryKind(kind, tools);
    checks.push(check);
    if (sandbox) {
      const fallback = checks.length > 1 ? ` (bubblewrap unavailable: ${checks[0]!.detail})` : '';
      return {
        sandbox,
        reason: `${chosenBy}${kind === 'bwrap' ? 'bubblewrap' : 'unshare fallback'}${fallback}`,
        checks,
      };
    }
  }
  const why = checks.map((c) => `${c.kind}: ${c.detail}`).join('; ');
  if (allowUnsafe) {
    const { sandbox, check } = tryKind('none-unsafe', tools);
    checks.push(check);
    return {
      sandbox,
      reason: `${chosenBy}no sandbox available${why ? ` (${why})` : ''}; running generated code on the host because --unsafe-no-sandbox was given`,
      checks,
    };
  }
  return {
    sandbox: undefined,
    reason: `${chosenBy}no sandbox available${why ? ` (${why})` : ''}; generated code was not run. Install bubblewrap (apt-get install bubblewrap), or pass --unsafe-no-sandbox to run it on the host at your own risk`,
    checks,
  };
}

/** Like {@link detectSandbox}, but throws a {@link SandboxUnavailableError} when there is no sandbox. */
export function requireSandbox(options: DetectSandboxOptions = {}): Sandbox {
  const choice = detectSandbox(options);
  if (!choice.sandbox) throw new SandboxUnavailableError({ message: choice.reason });
  return choice.sandbox;
}

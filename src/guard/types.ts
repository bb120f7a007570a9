/**
 * What the scanner looks for. Each rule names one kind of harm a generated
 * program or file could do once something runs it (BadAgent: the defence
 * sits outside the model, on its actions).
 */
export const guardRules = [
  /** Sockets, HTTP clients, servers: any network use (the sandbox has none; the user's machine has). */
  'network',
  /** `curl … | sh`, fetching code and running it. */
  'download-execute',
  /** Starting other programs, worst with command text from outside. */
  'process-spawn',
  /** Deleting or changing permissions of files outside the workspace. */
  'destructive-fs',
  /** Reading credentials: ~/.ssh, ~/.aws, /etc/shadow, API keys in the environment. */
  'secret-read',
  /** eval/exec of decoded or obfuscated text. */
  'obfuscated-exec',
  /** eval/exec of text that is not a literal (not obviously obfuscated). */
  'dynamic-code',
  /** Cron, shell rc files, systemd units, autostart, authorized_keys. */
  'persistence',
  /** setuid, ptrace, namespaces, sudo, setuid bits. */
  'privilege',
  /** Symbolic or hard links pointing outside the workspace. */
  'symlink-escape',
  /** Processes detached to outlive the run (setsid, nohup, detached children). */
  'daemon',
  /** Signalling other processes: the parent, every process, by name. */
  'kill-process',
  /** Installing packages (pip/npm install …) when the program runs. */
  'package-install',
  /** Dependency files fetching from places other than the default registry (extra index, git+http, URLs). */
  'package-source',
  /** Code run by installing (package.json preinstall/postinstall, setup.py commands). */
  'install-hook',
  /** Files run without being asked: tasks run on folder open, .envrc, conftest.py. */
  'auto-run',
  /** File names built to be run by a shell or to read as options: `$(…)`, backticks, a leading `-`. */
  'runnable-file-name',
  /** More files or bytes than the policy allows. */
  'write-limit',
  /** A runtime the policy does not allow. */
  'runtime',
  /** The file could not be parsed; only a text scan was done. */
  'parse-error',
  /** An input (task, role file, --from file) addresses the agents: "ignore previous instructions", role overrides. */
  'agent-instruction',
  /** An input hides text from people: invisible Unicode, elements hidden by style, HTML comments. */
  'hidden-content',
] as const;

/** A rule of the scanner. */
export type GuardRule = (typeof guardRules)[number];

/** How bad a finding is: `high` is blocked by the default policy, `medium` asks, `low` is reported only. */
export type Severity = 'low' | 'medium' | 'high';

/** Severities, mildest first. */
export const severities: readonly Severity[] = ['low', 'medium', 'high'];

/** One thing the scanner found. */
export interface Finding {
  /** Path of the file in the codebase (or `task`, `roles`, a `--from` path for inputs). */
  file: string;
  /** 1-based line; 0 when the finding is about the whole file (its name, its kind). */
  line: number;
  rule: GuardRule;
  severity: Severity;
  /** The offending source text, one line, at most 160 characters. */
  snippet: string;
  /** What was found, in words. */
  message: string;
}

/** What the policy decides about an action: run it, refuse it, or ask a person first. */
export type Decision = 'allow' | 'block' | 'ask';

/** A finding with the policy's decision on it. */
export interface DecidedFinding extends Finding {
  decision: Decision;
  /** Why the policy decided so (the policy setting or the severity default). */
  because: string;
}

/** Cuts a snippet to one line of at most 160 characters. */
export function snippetOf(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/** The stricter of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return severities.indexOf(a) >= severities.indexOf(b) ? a : b;
}

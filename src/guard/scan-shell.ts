import { type Finding, type GuardRule, type Severity, snippetOf } from './types.js';

/**
 * Where shell-like text comes from, which sets how hard some rules are:
 * - `command`: run as a command (a spawn call's argument, a Makefile recipe, an npm script, .envrc);
 * - `string`: a string constant in a program (it may be run, written to a file, or be plain data);
 * - `docs`: a shell snippet in a README that a user may paste (installs and downloads are normal there).
 */
export type ShellContext = 'command' | 'string' | 'docs';

interface TextRule {
  rule: GuardRule;
  severity: Severity;
  re: RegExp;
  message: string;
  /** Contexts the rule applies in (default all), and severities that differ by context. */
  only?: ShellContext[];
  in?: Partial<Record<ShellContext, Severity>>;
}

// a command word: at the start, or after a shell separator, sudo, or an opening quote/paren
const cmd = String.raw`(?:^|[;&|({\x60'"]\s*|\bsudo\s+|\bthen\s+|\bdo\s+|\$\(\s*)`;
const shells = String.raw`(?:sudo\s+(?:-\S+\s+)*)?(?:/\S*/)?(?:ba|z|da|k|c|tc|fi)?sh\b|python[0-9.]*\b|perl\b|ruby\b|node\b|php\b`;
const home = String.raw`(?:~|\$HOME|\$\{HOME\}|/root|/home/[^/\s'"]+)`;

/** Paths whose reading is reading a secret. */
export const secretPath = new RegExp(
  [
    String.raw`\.ssh(?:/|\b)`,
    String.raw`\bid_(?:rsa|dsa|ecdsa|ed25519)\b`,
    String.raw`\.aws(?:/|\b)`,
    String.raw`/etc/(?:shadow|gshadow|sudoers|master\.passwd)\b`,
    String.raw`\.netrc\b`,
    String.raw`\.gnupg\b`,
    String.raw`\.git-credentials\b`,
    String.raw`\.docker/config\.json`,
    String.raw`\.kube/config\b`,
    String.raw`\.config/gcloud\b`,
    String.raw`\.npmrc\b`,
    String.raw`\.pypirc\b`,
    String.raw`/proc/(?:self|\d+|%[ds]|\{\w*\}|\$\w+|\$\{\w+\})/environ\b`,
    String.raw`\.(?:bash|zsh)_history\b`,
  ].join('|'),
);

/** Paths whose writing plants something that runs later. */
export const persistencePath = new RegExp(
  [
    String.raw`\bcrontab\b`,
    String.raw`/etc/cron`,
    String.raw`/var/spool/cron`,
    String.raw`\.(?:bashrc|bash_profile|bash_login|profile|zshrc|zprofile|zshenv|cshrc|tcshrc)\b`,
    String.raw`/etc/(?:profile|bash\.bashrc|environment|rc\.local|ld\.so\.preload)\b`,
    String.raw`systemd/(?:system|user)\b`,
    String.raw`\.config/systemd\b`,
    String.raw`\bsystemctl\s+(?:--user\s+)?enable\b`,
    String.raw`\.config/autostart\b`,
    String.raw`LaunchAgents|LaunchDaemons`,
    String.raw`authorized_keys\b`,
    String.raw`\.git/hooks/`,
    String.raw`\.config/fish/config\.fish`,
  ].join('|'),
);

/** Names of environment variables that hold secrets. */
export const secretName = /(?:KEY|TOKEN|SECRET|PASS(?:WORD|WD)?|CREDENTIALS?|AUTH|PRIVATE|SESSION|COOKIE)/i;

const textRules: TextRule[] = [
  {
    rule: 'download-execute',
    severity: 'high',
    re: new RegExp(String.raw`\b(?:curl|wget|fetch)\b[^\n|]*\|\s*(?:${shells})`),
    message: 'downloads a script and pipes it into an interpreter',
  },
  {
    rule: 'download-execute',
    severity: 'high',
    re: new RegExp(String.raw`(?:${shells})[^\n]*(?:<\(\s*|\$\(\s*|\x60\s*)(?:curl|wget)\b`),
    message: 'runs the output of a download',
  },
  {
    rule: 'download-execute',
    severity: 'high',
    re: /\b(?:curl|wget)\b[^\n]*(?:&&|;)\s*(?:chmod\s+\+x|(?:ba)?sh\s|\.\/|python[0-9.]*\s)/,
    message: 'downloads a file and then runs it',
  },
  {
    rule: 'obfuscated-exec',
    severity: 'high',
    re: new RegExp(
      String.raw`\b(?:base64\s+(?:-d|--decode|-D)|xxd\s+-r|openssl\s+(?:enc\s+)?-d|rev)\b[^\n]*\|\s*(?:${shells})`,
    ),
    message: 'decodes text and runs it',
  },
  {
    rule: 'obfuscated-exec',
    severity: 'high',
    re: /\beval\s+["']?\$\((?:[^)]*(?:base64|xxd|printf\s+["']?\\x))/,
    message: 'evaluates decoded text',
  },
  {
    rule: 'network',
    severity: 'high',
    re: /\/dev\/(?:tcp|udp)\/|\b(?:nc|ncat|netcat)\b[^\n]*\s-[a-z]*[ec]\b|\bsocat\b[^\n]*exec:/i,
    message: 'opens a raw network connection (reverse shell pattern)',
  },
  {
    rule: 'network',
    severity: 'medium',
    re: new RegExp(String.raw`${cmd}(?:curl|wget|nc|ncat|netcat|telnet|ssh|scp|sftp|rsync|ftp|socat)\s`),
    message: 'runs a network client',
    in: { docs: 'low' },
  },
  {
    rule: 'destructive-fs',
    severity: 'high',
    re: new RegExp(
      String.raw`\brm\s+(?:-{1,2}[\w-]+\s+)*(?:/(?:\s|\*|$|["'])|/(?:etc|usr|bin|boot|var|lib|opt|srv|root|home|dev|proc|sys)\b|${home}|\.\.(?:/|\s|$)|\*\s*$)`,
    ),
    message: 'deletes files outside the workspace',
  },
  {
    rule: 'destructive-fs',
    severity: 'high',
    re: new RegExp(
      String.raw`\b(?:chmod|chown|chgrp|chattr)\s+(?:-\S+\s+)*\S+\s+(?:/(?:\s|$|["'])|/(?:etc|usr|bin|boot|var|lib|opt|root|home|dev)\b|${home})`,
    ),
    message: 'changes permissions or owners outside the workspace',
  },
  {
    rule: 'destructive-fs',
    severity: 'high',
    re: /\b(?:mkfs(?:\.\w+)?|shred|wipefs)\s|\bdd\s[^\n]*\bof=\/dev\/|>\s*\/dev\/(?:sd|nvme|hd|vd)/,
    message: 'overwrites a disk or device',
  },
  {
    rule: 'secret-read',
    severity: 'high',
    re: secretPath,
    message: 'touches a credentials file',
  },
  {
    rule: 'secret-read',
    severity: 'high',
    re: new RegExp(String.raw`\$\{?\w*${secretName.source}\w*\}?`, 'i'),
    message: 'reads a secret from the environment',
    only: ['command', 'docs'],
    in: { docs: 'low' },
  },
  {
    rule: 'secret-read',
    severity: 'medium',
    re: new RegExp(String.raw`${cmd}(?:printenv|env|export\s+-p|set)\s*(?:$|[|>;&)])`),
    message: 'dumps the environment',
    only: ['command', 'string'],
  },
  {
    rule: 'persistence',
    severity: 'high',
    re: persistencePath,
    message: 'installs something that runs later (cron, shell start-up files, services, keys)',
  },
  {
    rule: 'privilege',
    severity: 'high',
    re: /\bchmod\s+(?:-\S+\s+)*(?:[ugoa]*\+[rwx]*s|[0-7]?[2467][0-7]{3})\b|\b(?:nsenter|unshare|setcap|capsh|pivot_root|chroot)\s|\/proc\/(?:\d+|self|\$\w+)\/mem\b|\bptrace\b|\bsudo\s+(?:-\S+\s+)*(?:su\b|-s\b|-i\b|bash|sh\b)|>>?\s*\/etc\/sudoers/,
    message: 'raises privileges or leaves its confinement',
  },
  {
    rule: 'kill-process',
    severity: 'high',
    re: /\bkill\s+(?:-\S+\s+)*(?:\$PPID|\$\{PPID\}|-1\b|1\b|\$\(\s*pgrep)|\b(?:pkill|killall)\s/,
    message: 'signals processes other than its own',
  },
  {
    rule: 'daemon',
    severity: 'high',
    re: new RegExp(String.raw`${cmd}(?:nohup|setsid|disown|daemonize|start-stop-daemon)\b|[^&|]&\s*(?:disown\s*)?$`),
    message: 'leaves a process running in the background',
    only: ['command', 'string'],
  },
  {
    rule: 'package-install',
    severity: 'medium',
    re: new RegExp(
      String.raw`${cmd}(?:pip[0-9.]*|python[0-9.]*\s+-m\s+pip|npm|pnpm|yarn|apt(?:-get)?|gem|cargo|go|brew|conda)\s+(?:-\S+\s+)*(?:install|i|add|get)\b`,
    ),
    message: 'installs packages',
    in: { docs: 'low' },
  },
];

/** One shell-like line scanned with the text rules. */
export function scanShellLine(
  text: string,
  where: { file: string; line: number; context: ShellContext; snippet?: string },
): Finding[] {
  const found: Finding[] = [];
  const seen = new Set<GuardRule>();
  for (const r of textRules) {
    if (r.only && !r.only.includes(where.context)) continue;
    if (seen.has(r.rule)) continue;
    if (!r.re.test(text)) continue;
    seen.add(r.rule);
    found.push({
      file: where.file,
      line: where.line,
      rule: r.rule,
      severity: r.in?.[where.context] ?? r.severity,
      snippet: snippetOf(where.snippet ?? text),
      message: r.message,
    });
  }
  return found;
}

/** Every line of a shell text (continuation lines joined), scanned. `firstLine` is the line number of its first line. */
export function scanShellText(text: string, file: string, context: ShellContext, firstLine = 1): Finding[] {
  const found: Finding[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    const start = i;
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]}`;
    if (/^\s*#/.test(line)) continue;
    found.push(...scanShellLine(line, { file, line: firstLine + start, context }));
  }
  return found;
}

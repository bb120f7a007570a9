import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatFirstIssue } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { type DecidedFinding, type Decision, type Finding, guardRules, snippetOf } from './types.js';

const decisionSchema = z.enum(['allow', 'block', 'ask']);
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are letters, digits and _');

/**
 * The guard's policy: what generated programs and the files agents write may
 * do. Declarative, from config `guard:` and `--guard-policy FILE` (the file
 * wins, key by key). Every default is the strict one.
 */
export const guardPolicySchema = z
  .object({
    /** Scan and enforce. Default true; false turns the guard off (findings are neither made nor enforced). */
    enabled: z.boolean().default(true),
    /** Runtimes a generated program may be run with. Default python3 and node. */
    runtimes: z.array(z.enum(['python3', 'node'])).default(['python3', 'node']),
    /** Programs a generated program may start with a literal command line. */
    commands: z
      .object({
        /** Command names allowed to be started (first word of a literal command), e.g. `git`. Default none. */
        allow: z.array(z.string().min(1)).default([]),
        /** Decision on any other literal command. Default `ask`. Computed commands are high severity: blocked. */
        default: decisionSchema.default('ask'),
      })
      .strict()
      .prefault({}),
    /** Network use by generated code: `none` (the default: findings are blocked) or `any`. */
    network: z.enum(['none', 'any']).default('none'),
    /** Where generated code may delete, chmod, link and write: `workspace` (default) or `any`. */
    filesystem: z.enum(['workspace', 'any']).default('workspace'),
    /** Most files a generated codebase may hold. Default 200. */
    maxFiles: z.number().int().positive().default(200),
    /** Most bytes a generated codebase may hold, all files together. Default 5 MiB. */
    maxBytes: z
      .number()
      .int()
      .positive()
      .default(5 * 1024 * 1024),
    packages: z
      .object({
        /** Installing packages from a running program (`pip install …`): `deny` (default), `ask` or `allow`. */
        install: z.enum(['deny', 'ask', 'allow']).default('deny'),
        /**
         * Packages dependency files may name. Empty (the default): any registry package; otherwise every
         * entry of requirements.txt and package.json must be listed.
         */
        allow: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .prefault({}),
    /**
     * Host environment variables visible to generated programs. Default none: the sandbox starts from an
     * empty environment (PATH, HOME, LANG and the like are set to its own values), so no API key reaches it.
     */
    env: z.array(envName).default([]),
    /** A decision per rule, over everything else, e.g. `{ dynamic-code: allow }`. */
    rules: z.partialRecord(z.enum(guardRules), decisionSchema).default({}),
    /** The decision for each severity when nothing more specific applies. Default high: block, medium: ask, low: allow. */
    severity: z
      .object({
        high: decisionSchema.default('block'),
        medium: decisionSchema.default('ask'),
        low: decisionSchema.default('allow'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** The guard policy, defaults filled in. */
export type GuardPolicy = z.output<typeof guardPolicySchema>;
/** A guard policy as written (every key optional). */
export type GuardPolicyInput = z.input<typeof guardPolicySchema>;

/** The default (strict) policy. */
export const defaultGuardPolicy: GuardPolicy = guardPolicySchema.parse({});

function parsePolicy(raw: unknown, where: string): GuardPolicy {
  const parsed = guardPolicySchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const { key, message } = formatFirstIssue(parsed.error, raw);
    throw new ConfigError({ key: `${where}${key ? `.${key}` : ''}`, message: `${where}: ${message}` });
  }
  return parsed.data;
}

/**
 * The policy in force: config `guard:` with the `--guard-policy` file's keys over it.
 * @throws ConfigError (exit 2) naming the file or key that is wrong.
 */
export function resolveGuardPolicy(options: { config?: unknown; file?: string; cwd: string }): GuardPolicy {
  const base = options.config === undefined ? {} : options.config;
  if (typeof base !== 'object' || base === null || Array.isArray(base))
    throw new ConfigError({ key: 'guard', message: "config 'guard' must be a mapping of policy settings" });
  if (!options.file) return parsePolicy(base, 'guard');
  const path = resolve(options.cwd, options.file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError({
      key: '--guard-policy',
      message: `--guard-policy: cannot read ${options.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError({
      key: '--guard-policy',
      message: `--guard-policy: ${options.file} is not YAML or JSON: ${(error as Error).message.split('\n')[0]}`,
    });
  }
  if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw)))
    throw new ConfigError({ key: '--guard-policy', message: `--guard-policy: ${options.file} must hold a mapping` });
  return parsePolicy({ ...(base as object), ...((raw as object | null) ?? {}) }, `--guard-policy ${options.file}`);
}

const firstWord = (snippet: string) => /["'`]([\w./-]+)/.exec(snippet)?.[1]?.split('/').pop() ?? '';

/** The policy's decision on one finding, with the setting that made it. */
export function decide(finding: Finding, policy: GuardPolicy): DecidedFinding {
  const at = (decision: Decision, because: string): DecidedFinding => ({ ...finding, decision, because });
  const rule = policy.rules[finding.rule];
  if (rule) return at(rule, `rules.${finding.rule}: ${rule}`);
  switch (finding.rule) {
    case 'network':
      if (policy.network === 'any') return at('allow', 'network: any');
      if (finding.severity !== 'low') return at('block', 'network: none');
      break;
    case 'destructive-fs':
    case 'symlink-escape':
      if (policy.filesystem === 'any') return at('allow', 'filesystem: any');
      break;
    case 'package-install': {
      const decision = ({ deny: 'block', ask: 'ask', allow: 'allow' } as const)[policy.packages.install];
      if (finding.severity !== 'low') return at(decision, `packages.install: ${policy.packages.install}`);
      break;
    }
    case 'process-spawn':
      if (finding.severity === 'medium') {
        const command = firstWord(finding.snippet);
        if (command && policy.commands.allow.includes(command)) return at('allow', `commands.allow has ${command}`);
        return at(policy.commands.default, `commands.default: ${policy.commands.default}`);
      }
      break;
    case 'secret-read': {
      const visible = policy.env.find((name) => new RegExp(`\\b${name}\\b`).test(finding.snippet));
      if (visible) return at('allow', `env lists ${visible}`);
      break;
    }
  }
  const decision = policy.severity[finding.severity];
  return at(decision, `severity ${finding.severity}: ${decision}`);
}

const dependencyName = /^([A-Za-z0-9][A-Za-z0-9._-]*)/;

/** Findings of the policy itself on a codebase: its size, the runtime, dependencies off the allow-list. */
export function policyFindings(
  files: Record<string, string>,
  policy: GuardPolicy,
  run?: { runtime: string; entry: string },
): Finding[] {
  const found: Finding[] = [];
  const count = Object.keys(files).length;
  const bytes = Object.values(files).reduce((n, text) => n + Buffer.byteLength(text), 0);
  if (count > policy.maxFiles)
    found.push({
      file: '.',
      line: 0,
      rule: 'write-limit',
      severity: 'high',
      snippet: `${count} files`,
      message: `the codebase has ${count} files; the policy allows ${policy.maxFiles}`,
    });
  if (bytes > policy.maxBytes)
    found.push({
      file: '.',
      line: 0,
      rule: 'write-limit',
      severity: 'high',
      snippet: `${bytes} bytes`,
      message: `the codebase has ${bytes} bytes; the policy allows ${policy.maxBytes}`,
    });
  if (run && !policy.runtimes.includes(run.runtime as 'python3' | 'node'))
    found.push({
      file: run.entry,
      line: 0,
      rule: 'runtime',
      severity: 'high',
      snippet: `${run.runtime} ${run.entry}`,
      message: `the policy allows the runtimes ${policy.runtimes.join(', ') || 'none'}`,
    });
  if (policy.packages.allow.length > 0) {
    const allowed = new Set(policy.packages.allow.map((p) => p.toLowerCase()));
    const unlisted = (file: string, line: number, name: string, text: string) => {
      if (!allowed.has(name.toLowerCase()))
        found.push({
          file,
          line,
          rule: 'package-source',
          severity: 'medium',
          snippet: snippetOf(text),
          message: `${name} is not on the policy's package allow-list`,
        });
    };
    for (const [file, text] of Object.entries(files)) {
      const base = file.split('/').pop()!.toLowerCase();
      if (/^requirements[\w.-]*\.(?:txt|in)$/.test(base))
        text.split('\n').forEach((raw, i) => {
          const line = raw.replace(/#.*$/, '').trim();
          const name = dependencyName.exec(line)?.[1];
          if (line && !line.startsWith('-') && name) unlisted(file, i + 1, name, raw);
        });
      else if (base === 'package.json') {
        try {
          const json = JSON.parse(text) as Record<string, Record<string, unknown> | undefined>;
          for (const field of ['dependencies', 'devDependencies', 'optionalDependencies'])
            for (const name of Object.keys(json[field] ?? {})) unlisted(file, 0, name, `"${name}"`);
        } catch {
          // not JSON: nothing to check
        }
      }
    }
  }
  return found;
}

/** The policy's verdict on a set of findings. */
export interface GuardVerdict {
  /** The strictest decision: block over ask over allow. */
  decision: Decision;
  findings: DecidedFinding[];
}

/** Decides every finding; the verdict is the strictest decision among them (allow when there are none). */
export function judge(findings: Finding[], policy: GuardPolicy): GuardVerdict {
  const decided = findings.map((f) => decide(f, policy));
  const decision = decided.some((f) => f.decision === 'block')
    ? 'block'
    : decided.some((f) => f.decision === 'ask')
      ? 'ask'
      : 'allow';
  return { decision, findings: decided };
}

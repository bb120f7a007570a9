import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors/index.js';
import { configSchema, type CrosstalkConfig } from './config-schema.js';
import { formatFirstIssue } from './format-issue.js';

/** Config file names looked up in the working directory, in order. */
export const configFileNames = ['crosstalk.config.yaml', 'crosstalk.config.yml', 'crosstalk.config.json'] as const;

/** Flags that override config values (already named as on the command line). */
export interface ConfigFlags {
  config?: string;
  model?: string;
  concurrency?: string;
  budgetUsd?: string;
  maxTokens?: string;
  seed?: string;
  timeoutMs?: string;
  store?: string;
  /** Per-role models, `role=model,role=model` (e.g. `programmer=openai:gpt-4o,critic=sim`). */
  roleModels?: string;
  /** Embedding model for the consistency metric (`--embedding-model`). */
  embeddingModel?: string;
  /** `true`: an OpenTelemetry span per model call (`--otel`); `false`: none, whatever the config says. */
  otel?: string;
}

/** The effective configuration and where it came from. */
export interface LoadedConfig {
  config: CrosstalkConfig;
  /** Path of the config file read, if any. */
  file: string | undefined;
  /** For each overridden setting, which environment variable or flag set it. */
  sources: Record<string, string>;
}

type Mutable = Record<string, unknown>;

function setPath(target: Mutable, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Mutable;
  }
  node[keys[keys.length - 1]!] = value;
}

/** Largest config file read, in bytes: a real one is a few hundred bytes; millions of keys would block for minutes. */
export const maxConfigFileBytes = 256 * 1024;

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > maxConfigFileBytes) {
      throw new ConfigError({
        key: path,
        message: `config file ${path} is ${size.toLocaleString('en-US')} bytes, above the maximum of ${maxConfigFileBytes.toLocaleString('en-US')}`,
      });
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (ConfigError.isInstance(error)) throw error;
    throw new ConfigError({
      key: path,
      message: `cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    });
  }
  try {
    const data: unknown = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (data === null || data === undefined) return {};
    if (typeof data !== 'object' || Array.isArray(data)) {
      throw new ConfigError({ key: path, message: `${path}: the top level must be a mapping of settings` });
    }
    return data;
  } catch (error) {
    if (ConfigError.isInstance(error)) throw error;
    const detail = (error as Error).message.split('\n')[0];
    throw new ConfigError({
      key: path,
      message: `${path}: not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${detail}`,
    });
  }
}

type Parser = (raw: string) => unknown;
const asInt: Parser = (raw) => (/^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN);
const asNumber: Parser = (raw) => (raw.trim() === '' ? Number.NaN : Number(raw));
const asString: Parser = (raw) => raw;

function checkNumber(name: string, raw: string, value: unknown, what: string): void {
  if (typeof value === 'number' && (!Number.isFinite(value) || value <= 0)) {
    throw new ConfigError({ key: name, message: `${name} must be ${what} (got ${JSON.stringify(raw)})` });
  }
}

const envBindings: Array<[env: string, path: string, parse: Parser, what: string]> = [
  ['CROSSTALK_MODEL', 'model', asString, 'a model string'],
  ['CROSSTALK_EMBEDDING_MODEL', 'embeddingModel', asString, 'a model string'],
  ['OPENAI_API_KEY', 'providers.openai.apiKey', asString, 'a key'],
  ['OPENAI_BASE_URL', 'providers.openai.baseURL', asString, 'a URL'],
  ['ANTHROPIC_API_KEY', 'providers.anthropic.apiKey', asString, 'a key'],
  ['ANTHROPIC_BASE_URL', 'providers.anthropic.baseURL', asString, 'a URL'],
  ['OLLAMA_BASE_URL', 'providers.ollama.baseURL', asString, 'a URL'],
  ['CROSSTALK_CONCURRENCY', 'limits.concurrency', asInt, 'a positive integer'],
  ['CROSSTALK_TIMEOUT_MS', 'limits.timeoutMs', asInt, 'a positive integer'],
  ['CROSSTALK_BUDGET_USD', 'budget.usd', asNumber, 'a positive number'],
  ['CROSSTALK_MAX_TOKENS', 'budget.tokens', asInt, 'a positive integer'],
  ['CROSSTALK_SEED', 'seed', asInt, 'an integer'],
  ['CROSSTALK_STORE', 'store', asString, 'a path'],
];

const flagBindings: Array<[flag: keyof ConfigFlags, name: string, path: string, parse: Parser, what: string]> = [
  ['model', '--model', 'model', asString, 'a model string'],
  ['embeddingModel', '--embedding-model', 'embeddingModel', asString, 'a model string'],
  ['concurrency', '--concurrency', 'limits.concurrency', asInt, 'a positive integer'],
  ['timeoutMs', '--timeout-ms', 'limits.timeoutMs', asInt, 'a positive integer'],
  ['budgetUsd', '--budget-usd', 'budget.usd', asNumber, 'a positive number'],
  ['maxTokens', '--max-tokens', 'budget.tokens', asInt, 'a positive integer'],
  ['seed', '--seed', 'seed', asInt, 'an integer'],
  ['store', '--store', 'store', asString, 'a path'],
];

function applyLayer(
  target: Mutable,
  sources: Record<string, string>,
  name: string,
  path: string,
  raw: string,
  parse: Parser,
  what: string,
): void {
  const value = parse(raw);
  if (typeof value === 'number' && Number.isNaN(value))
    throw new ConfigError({ key: name, message: `${name} must be ${what} (got ${JSON.stringify(raw)})` });
  if (path !== 'seed') checkNumber(name, raw, value, what);
  if (typeof value === 'string' && value.trim() === '')
    throw new ConfigError({ key: name, message: `${name} is set but empty (expected ${what})` });
  setPath(target, path, value);
  sources[path] = name;
}

/**
 * Loads the effective configuration: the config file (explicit `--config`,
 * else `CROSSTALK_CONFIG`, else `crosstalk.config.{yaml,yml,json}` in `cwd`),
 * then the environment, then flags; each later layer wins.
 * @throws ConfigError with a one-line message naming the offending key.
 */
export function loadConfig(options: { cwd: string; env: NodeJS.ProcessEnv; flags?: ConfigFlags }): LoadedConfig {
  const flags = options.flags ?? {};
  const explicit = flags.config ?? options.env.CROSSTALK_CONFIG;
  let file: string | undefined;
  if (explicit !== undefined) {
    file = resolve(options.cwd, explicit);
    if (!existsSync(file)) throw new ConfigError({ key: '--config', message: `config file not found: ${file}` });
  } else {
    file = configFileNames.map((n) => resolve(options.cwd, n)).find((p) => existsSync(p));
  }
  const merged: Mutable = {};
  if (file) {
    const data = readConfigFile(file);
    const checked = configSchema.safeParse(data);
    if (!checked.success) {
      const { key, message } = formatFirstIssue(checked.error, data);
      throw new ConfigError({ key, message: `${file}: ${message}` });
    }
    Object.assign(merged, structuredClone(checked.data));
  }
  const sources: Record<string, string> = {};
  for (const [env, path, parse, what] of envBindings) {
    const raw = options.env[env];
    if (raw !== undefined && raw !== '') applyLayer(merged, sources, env, path, raw, parse, what);
  }
  for (const [flag, name, path, parse, what] of flagBindings) {
    const raw = flags[flag];
    if (raw !== undefined) applyLayer(merged, sources, name, path, raw, parse, what);
  }
  if (flags.roleModels !== undefined) {
    for (const [role, model] of parseRoleModels(flags.roleModels)) {
      setPath(merged, `roleModels.${role}`, model);
      sources[`roleModels.${role}`] = '--role-models';
    }
  }
  const final = configSchema.safeParse(merged);
  if (!final.success) {
    const { key, message } = formatFirstIssue(final.error, merged);
    const source = sources[key];
    throw new ConfigError({ key, message: source ? `${source}: ${message}` : message });
  }
  return { config: final.data, file, sources };
}

/**
 * Parses `--role-models programmer=openai:gpt-4o,critic=sim`.
 * @throws ConfigError for an entry that is not `role=model`.
 */
export function parseRoleModels(text: string): Array<[role: string, model: string]> {
  const pairs: Array<[string, string]> = [];
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf('=');
    const role = entry.slice(0, eq).trim();
    const model = entry.slice(eq + 1).trim();
    if (eq <= 0 || !/^[a-z][a-z0-9-]*$/.test(role) || model === '') {
      throw new ConfigError({
        key: '--role-models',
        message: `--role-models: '${entry}' is not role=model (e.g. programmer=openai:gpt-4o-mini,critic=sim)`,
      });
    }
    pairs.push([role, model]);
  }
  return pairs;
}

/** Masks a secret for display: keeps the last four characters. */
export function maskSecret(secret: string): string {
  return secret.length <= 8 ? '****' : `****${secret.slice(-4)}`;
}

/** A copy of the config safe to print: API keys masked. */
export function maskConfig(config: CrosstalkConfig): CrosstalkConfig {
  const copy = structuredClone(config);
  for (const provider of Object.values(copy.providers ?? {})) {
    if (provider?.apiKey) provider.apiKey = maskSecret(provider.apiKey);
  }
  return copy;
}

import type { Command } from 'commander';
import type { ConfigFlags } from '../config/index.js';

/** Options every command accepts. */
export interface GlobalOptions extends Omit<ConfigFlags, 'otel'> {
  json?: boolean;
  /** `--otel` (a switch on the command line, stored as the `otel` flag). */
  otel?: boolean | string;
}

/** Registers the options shared by every command. */
export function addGlobalOptions(command: Command): Command {
  return command
    .option(
      '--model <model>',
      'model string: openai:<id>, anthropic:<id>, ollama:<id>, compatible:<url>#<id>, sim[?latency=50ms&…]',
    )
    .option(
      '--embedding-model <model>',
      'embedding model for the consistency metric (e.g. openai:text-embedding-3-small; default: TF-IDF fallback)',
    )
    .option('--config <file>', 'config file (default: crosstalk.config.yaml in the working directory)')
    .option('--seed <n>', 'seed for every random choice')
    .option('--concurrency <n>', 'maximum model calls in flight per model')
    .option('--budget-usd <usd>', 'stop before spending more than this (resumable)')
    .option('--max-tokens <n>', 'stop before using more than this many tokens (resumable)')
    .option('--timeout-ms <ms>', 'per-call timeout in milliseconds')
    .option('--store <path>', "run store path, or 'none' to keep nothing (default ./.crosstalk/runs.db)")
    .option('--role-models <list>', 'per-role models: role=model,… (e.g. programmer=openai:gpt-4o,critic=sim)')
    .option(
      '--otel',
      'an OpenTelemetry span per model call, for the SDK your process registers (see docs/telemetry.md)',
    )
    .option(
      '--guard-policy <file>',
      'guard policy (YAML/JSON) for generated code and written files (see docs/guard.md)',
    )
    .option(
      '--approve <mode>',
      'askable guard actions: never (refuse), risky (ask on a terminal, else refuse; default), always (allow)',
    )
    .option('--json', 'print one JSON document on stdout and nothing else there');
}

/** The config-relevant flags out of a command's merged options (every string option; the config loader picks its own). */
export function configFlags(options: GlobalOptions): ConfigFlags & Record<string, string> {
  const { json: _json, ...flags } = options;
  const strings = Object.fromEntries(
    Object.entries(flags).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
  return options.otel === true ? { ...strings, otel: 'true' } : strings;
}

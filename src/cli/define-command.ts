import type { Command } from 'commander';

/** A command as data: its name, what it does, its argument and its options as `[flags, description]`. */
export interface CommandSpec {
  name: string;
  description: string;
  /** `[name, description]`, e.g. `['<task>', 'what to build']`. */
  argument?: readonly [string, string];
  options?: ReadonlyArray<readonly [string, string]>;
  /** Options that must be given. */
  required?: ReadonlyArray<readonly [string, string]>;
}

/** Adds a command described by `spec` to `parent` and returns it (for its action). */
export function defineCommand(parent: Command, spec: CommandSpec): Command {
  const command = parent.command(spec.name).description(spec.description);
  if (spec.argument) command.argument(...spec.argument);
  for (const [flags, description] of spec.required ?? []) command.requiredOption(flags, description);
  for (const [flags, description] of spec.options ?? []) command.option(flags, description);
  return command;
}

/** The cross-team options `dev` and `story` share; `what` names what teams propose (proposals, texts). */
export function teamsOptions(what: string, teamsFile: string): Array<readonly [string, string]> {
  return [
    ['--prune <keep>', `teams: keep this share (0-1) or number (≥ 1) of ${what} at each decision point (default 0.5)`],
    [
      '--prune-above <n>',
      `teams: prune only when more than n ${what} reach a point; fewer are all merged (default 4, as the reference)`,
    ],
    ['--group-size <g>', `teams: ${what} merged per aggregation call (default 2)`],
    [
      '--team-models <list>',
      'teams: comma-separated model strings, one per team; an empty entry means the run model (K defaults to its length)',
    ],
    ['--teams-file <file>', `teams: YAML/JSON list of teams with ${teamsFile} (K defaults to its length)`],
  ];
}

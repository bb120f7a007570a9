import { ConfigError } from '../errors/index.js';
import { parseModelString } from '../model/index.js';
import { resolve } from 'node:path';
import { diversifyTeams, loadTeamsFile, type KeepRule, type TeamSpec } from '../teams/index.js';

/** A command's text argument, trimmed; an empty one is a one-line error naming what the command needs. */
export function nonEmptyText(raw: unknown, key: string, command: string): string {
  const text = String(raw ?? '').trim();
  if (text === '') throw new ConfigError({ key, message: `${command} needs a non-empty ${key}` });
  return text;
}

/** An age such as `30m`, `12h`, `7d` or `2w`, in milliseconds. */
export function parseAge(flag: string, raw: unknown): number {
  const match = /^(\d+(?:\.\d+)?)\s*(m|h|d|w)$/.exec(String(raw).trim());
  if (!match)
    throw new ConfigError({
      key: flag,
      message: `${flag} must be an age like 30m, 12h, 7d or 2w (got ${JSON.stringify(raw)})`,
    });
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as 'm' | 'h' | 'd' | 'w'];
  return Number(match[1]) * unit;
}

/** A whole-number flag within bounds, or the fallback when absent. */
export function wholeNumber(
  flag: string,
  raw: unknown,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (raw === undefined) return fallback;
  const text = String(raw);
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new ConfigError({
      key: flag,
      message: `${flag} must be a whole number${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : ''} (got ${JSON.stringify(text)})`,
    });
  }
  return value;
}

/** `--prune`: a share of proposals to keep (0–1) or a count (≥ 1). Default: keep half. */
export function parseKeepRule(raw: unknown): KeepRule {
  if (raw === undefined) return { ratio: 0.5 };
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (value > 1 && !Number.isInteger(value))) {
    throw new ConfigError({
      key: '--prune',
      message: `--prune must be a share between 0 and 1 or a whole number of proposals (got ${JSON.stringify(raw)})`,
    });
  }
  return value <= 1 ? { ratio: value } : { count: value };
}

/**
 * `--team-models a,b,c`: one model string per team, each checked. An empty
 * entry (`a,,c`) keeps its place: that team uses the run model.
 */
export function parseTeamModels(raw: unknown): string[] {
  if (typeof raw !== 'string' || raw.trim() === '') return [];
  const models = raw.split(',').map((m) => m.trim());
  models.forEach((m, i) => {
    if (m === '') return;
    try {
      parseModelString(m);
    } catch (error) {
      throw new ConfigError({
        key: '--team-models',
        message: `--team-models, team ${i + 1}: ${(error as Error).message}`,
      });
    }
  });
  return models;
}

/**
 * `--teams K`, `--teams-file F` and `--team-models a,b`: the number of teams
 * (default: as many as the file or the model list has, else `fallback`) and
 * each team's settings (from the file, its model from `--team-models` when given).
 * @throws ConfigError when the file or the model list has more teams than `--teams`.
 */
export function parseTeamsFlags(
  options: Record<string, unknown>,
  cwd: string,
  fallback: number,
): { teams: number; teamModels: string[]; profiles: TeamSpec[] } {
  const listed =
    typeof options.teamsFile === 'string' ? loadTeamsFile(resolve(cwd, options.teamsFile), options.teamsFile) : [];
  const teamModels = parseTeamModels(options.teamModels);
  const teams = wholeNumber('--teams', options.teams, Math.max(listed.length, teamModels.length) || fallback, 1, 64);
  if (listed.length > teams)
    throw new ConfigError({
      key: '--teams',
      message: `--teams ${teams} is fewer than the ${listed.length} teams in ${String(options.teamsFile)}`,
    });
  // extra models would go unused: the user meant more teams, or miscounted (without --teams, K is at least the list's length)
  if (teamModels.length > teams)
    throw new ConfigError({
      key: '--team-models',
      message: `--team-models lists ${teamModels.length} models for ${teams} teams (--teams ${teams})`,
    });
  const profiles = Array.from({ length: teams }, (_, i) => ({
    ...(listed[i] ?? {}),
    ...(teamModels[i] ? { model: teamModels[i] } : {}),
  }));
  // a listed id may equal the default id of another team (`id: team2` first): two teams would share one name in every report
  const ids = diversifyTeams(teams, 0, profiles).map((t) => t.id);
  const clash = ids.findIndex((id, i) => ids.indexOf(id) !== i);
  if (clash >= 0) {
    const first = ids.indexOf(ids[clash]!);
    const named = listed[first]?.id !== undefined ? first : clash;
    const other = named === first ? clash : first;
    throw new ConfigError({
      key: '--teams-file',
      message: `${String(options.teamsFile)}: team ${named + 1}: id '${ids[clash]}' is also the default id of team ${other + 1}; choose another id or name every team`,
    });
  }
  return { teams, teamModels, profiles };
}

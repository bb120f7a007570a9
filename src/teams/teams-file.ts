import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatFirstIssue } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { parseModelString } from '../model/model-spec.js';
import { supportedLanguages } from '../software/chain.js';
import type { TeamProfile } from './diversify.js';

const languageSchema = z.string().transform((s, ctx) => {
  const found = supportedLanguages.find((l) => l.toLowerCase() === s.toLowerCase());
  if (!found) ctx.addIssue({ code: 'custom', message: `must be one of ${supportedLanguages.join(', ')}` });
  return found ?? supportedLanguages[0];
});

const teamSchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/, 'must be 1–40 letters, digits, - or _')
      .optional(),
    temperature: z.number().min(0).max(2).optional(),
    persona: z.string().min(1).max(2000).optional(),
    model: z.string().min(1).optional(),
    language: languageSchema.optional(),
    reviewRounds: z.number().int().min(0).max(10).optional(),
    testRounds: z.number().int().min(0).max(10).optional(),
  })
  .strict();

const teamsFileSchema = z.object({ teams: z.array(teamSchema).min(1).max(64) }).strict();

/** One team as a teams file describes it; anything left out comes from the seeded defaults. */
export type TeamSpec = Partial<Omit<TeamProfile, 'personaNote'>> & { personaNote?: string };

/**
 * Parses the content of a teams file (YAML or JSON): a list of teams, or
 * `teams: [...]`, each with any of id, temperature, persona, model,
 * language, reviewRounds, testRounds.
 * @throws ConfigError in one line naming the file and the key.
 */
export function parseTeamsFile(text: string, source: string): TeamSpec[] {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new ConfigError({
      key: source,
      message: `${source}: not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`,
    });
  }
  if (data === null || data === undefined)
    throw new ConfigError({
      key: source,
      message: `${source}: the file is empty (expected a list of teams, or teams: [...])`,
    });
  if (typeof data !== 'object')
    throw new ConfigError({
      key: source,
      message: `${source}: expected a list of teams, or teams: [...] (got ${JSON.stringify(data)})`,
    });
  if (!Array.isArray(data) && !('teams' in data)) {
    throw new ConfigError({
      key: source,
      message: `${source}: expected a list of teams, or teams: [...] (found ${
        Object.keys(data).length
          ? `only ${Object.keys(data)
              .map((k) => `'${k}'`)
              .join(', ')}`
          : 'an empty mapping'
      })`,
    });
  }
  // a bare list is the same as `teams: [...]`
  const input = Array.isArray(data) ? { teams: data } : data;
  const parsed = teamsFileSchema.safeParse(input);
  if (!parsed.success)
    throw new ConfigError({ key: source, message: `${source}: ${formatFirstIssue(parsed.error, input).message}` });
  const list = parsed.data.teams;
  const ids = new Set<string>();
  return list.map((t, i) => {
    if (t.id !== undefined) {
      if (ids.has(t.id))
        throw new ConfigError({ key: source, message: `${source}: team ${i + 1}: duplicate id '${t.id}'` });
      ids.add(t.id);
    }
    if (t.model !== undefined) {
      try {
        parseModelString(t.model);
      } catch (error) {
        throw new ConfigError({ key: source, message: `${source}: team ${i + 1}: ${(error as Error).message}` });
      }
    }
    const { persona, ...rest } = t;
    return Object.fromEntries(
      Object.entries({ ...rest, personaNote: persona }).filter(([, v]) => v !== undefined),
    ) as TeamSpec;
  });
}

/**
 * Reads and parses a teams file; messages name it as `shownAs` (the path as
 * the user typed it). @throws ConfigError in one line.
 */
export function loadTeamsFile(path: string, shownAs = path): TeamSpec[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError({
      key: shownAs,
      message: `${shownAs}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message}`,
    });
  }
  return parseTeamsFile(text, shownAs);
}

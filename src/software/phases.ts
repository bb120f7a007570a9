import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatFirstIssue } from '../config/index.js';
import { ConfigError } from '../errors/index.js';

/** The phases of the software chain, in their default order. */
export const phaseNames = [
  'demand-analysis',
  'language-choice',
  'coding',
  'code-completion',
  'code-review',
  'testing',
  'environment-doc',
  'manual',
] as const;
/** A phase of the software chain. */
export type PhaseName = (typeof phaseNames)[number];

/** Settings of one phase. */
export const phaseSchema = z
  .object({
    name: z.enum(phaseNames),
    /** Role that gives the instructions (a key of the role book). */
    instructor: z.string().min(1).optional(),
    /** Role that does the work. */
    assistant: z.string().min(1).optional(),
    /** Maximum assistant replies in a dialogue phase. */
    maxTurns: z.number().int().positive().max(50).optional(),
    /** Maximum rounds of a looping phase (completion, review, testing). */
    rounds: z.number().int().min(0).max(50).optional(),
  })
  .strict();

/** Settings of one phase. */
export type PhaseConfig = z.infer<typeof phaseSchema>;

/**
 * Default roles and limits per phase: ChatDev's default chain (its `ChatChainConfig.json`). The two dialogue
 * phases get ChatDev's default turn limit (10); code completion up to 10 cycles (one unimplemented file per
 * cycle, each file tried at most 5 times); code review and testing up to 3 cycles each.
 */
export const defaultPhases: Required<Pick<PhaseConfig, 'name' | 'instructor' | 'assistant' | 'maxTurns' | 'rounds'>>[] =
  [
    { name: 'demand-analysis', instructor: 'ceo', assistant: 'cpo', maxTurns: 10, rounds: 1 },
    { name: 'language-choice', instructor: 'ceo', assistant: 'cto', maxTurns: 10, rounds: 1 },
    { name: 'coding', instructor: 'cto', assistant: 'programmer', maxTurns: 1, rounds: 1 },
    { name: 'code-completion', instructor: 'cto', assistant: 'programmer', maxTurns: 1, rounds: 10 },
    { name: 'code-review', instructor: 'reviewer', assistant: 'programmer', maxTurns: 1, rounds: 3 },
    { name: 'testing', instructor: 'tester', assistant: 'programmer', maxTurns: 1, rounds: 3 },
    { name: 'environment-doc', instructor: 'cto', assistant: 'programmer', maxTurns: 1, rounds: 1 },
    { name: 'manual', instructor: 'ceo', assistant: 'cpo', maxTurns: 1, rounds: 1 },
  ];

/** A fully resolved phase. */
export type ResolvedPhase = (typeof defaultPhases)[number];

const phasesFileSchema = z.object({ phases: z.array(phaseSchema).min(1) }).strict();

/** Fills a phase list with defaults. Coding is required: a chain without it cannot produce a program. */
export function resolvePhases(phases: PhaseConfig[] | undefined, source = 'phases'): ResolvedPhase[] {
  const list = phases ?? defaultPhases;
  const seen = new Set<string>();
  const resolved = list.map((p) => {
    if (seen.has(p.name)) throw new ConfigError({ key: source, message: `${source}: phase '${p.name}' appears twice` });
    seen.add(p.name);
    const base = defaultPhases.find((d) => d.name === p.name)!;
    return { ...base, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) } as ResolvedPhase;
  });
  if (!seen.has('coding'))
    throw new ConfigError({ key: source, message: `${source}: the chain needs a 'coding' phase` });
  return resolved;
}

/**
 * Loads `phases.yaml`: `phases: [{ name, instructor?, assistant?, maxTurns?, rounds? }, …]`.
 * @throws ConfigError naming the file and key.
 */
export function loadPhases(path: string): ResolvedPhase[] {
  let data: unknown;
  try {
    data = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError({
      key: path,
      message: `${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `not valid YAML: ${(error as Error).message.split('\n')[0]}`}`,
    });
  }
  const parsed = phasesFileSchema.safeParse(data);
  if (!parsed.success)
    throw new ConfigError({ key: path, message: `${path}: ${formatFirstIssue(parsed.error, data).message}` });
  return resolvePhases(parsed.data.phases, path);
}

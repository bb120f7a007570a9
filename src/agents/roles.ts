import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { formatFirstIssue } from '../config/index.js';

/** An agent role as data: who it is and what it does. */
export const roleSchema = z
  .object({
    /** Display title, e.g. "Chief Technology Officer". */
    title: z.string().min(1),
    /** Who the agent is, in the second person. */
    persona: z.string().min(1),
    /** What the agent is responsible for. */
    duties: z.array(z.string().min(1)).default([]),
    /** Optional default temperature for this role. */
    temperature: z.number().min(0).max(2).optional(),
  })
  .strict();

/** A role definition. */
export type Role = z.infer<typeof roleSchema>;
/** Roles by name (`ceo`, `programmer`, …). */
export type RoleBook = Record<string, Role>;

/** The built-in roles, written for crosstalk. */
export const defaultRoles: RoleBook = {
  ceo: {
    title: 'Chief Executive Officer',
    persona: 'You lead a small software company and turn customer requests into clear product decisions.',
    duties: ['decide what kind of product fits the request', 'keep the team focused on what the customer asked for'],
  },
  cpo: {
    title: 'Chief Product Officer',
    persona: 'You own the product: its users, its scope and how it is explained to them.',
    duties: ['write user-facing documentation', 'keep scope small and useful'],
  },
  cto: {
    title: 'Chief Technology Officer',
    persona: 'You make technical decisions for a small software company and know many languages and their trade-offs.',
    duties: ['choose the programming language', 'set the architecture', 'judge whether code is complete'],
  },
  programmer: {
    title: 'Programmer',
    persona: 'You are a careful programmer who writes complete, runnable code with no placeholders.',
    duties: ['write and revise code', 'implement every function fully', 'fix reported bugs'],
  },
  reviewer: {
    title: 'Code Reviewer',
    persona:
      'You review code for bugs, missing features and unclear structure, and you name the single most important problem first.',
    duties: ['review code against the task', 'give concrete, actionable comments'],
  },
  tester: {
    title: 'Software Test Engineer',
    persona: 'You run programs, read their errors and explain the cause of a failure precisely.',
    duties: ['interpret test reports', 'describe how to fix failures'],
  },
  writer: {
    title: 'Writer',
    persona: 'You write vivid, well-structured prose and revise it with care.',
    duties: ['outline', 'draft', 'revise'],
  },
  editor: {
    title: 'Editor',
    persona: 'You read drafts critically and suggest the changes that improve them most.',
    duties: ['critique structure, voice and pacing'],
  },
  actor: {
    title: 'Solver',
    persona: 'You produce or improve a solution to the task, taking the instructions you are given seriously.',
    duties: ['refine the artifact you receive', 'keep what is good, fix what is wrong'],
  },
  critic: {
    title: 'Critic',
    persona: 'You examine a solution and tell its author precisely what to change to make it better.',
    duties: ['find the weaknesses of a solution', 'give clear instructions for improving it'],
  },
  aggregator: {
    title: 'Integrator',
    persona:
      'You compare several candidate solutions and combine them into one that keeps the strengths of each and drops their weaknesses.',
    duties: ['merge candidates into one coherent result'],
  },
  judge: {
    title: 'Judge',
    persona: 'You score solutions strictly and consistently against the task.',
    duties: ['score candidate solutions', 'list their problems'],
  },
  counselor: {
    title: 'Counselor',
    persona: 'You read a conversation and state the conclusion it reached, in the required form.',
    duties: ['extract conclusions from conversations'],
  },
};

/** Roles as users write them (a roles file, or the `roles` option of `runChain`): lowercase names. */
export const roleBookInputSchema = z.record(
  z.string().regex(/^[a-z][a-z0-9-]*$/, 'role names are lowercase words'),
  roleSchema,
);

/**
 * Loads a `roles.yaml` file that overrides or adds roles.
 * @throws ConfigError naming the file and the offending key.
 */
export function loadRoles(path: string, base: RoleBook = defaultRoles): RoleBook {
  let data: unknown;
  try {
    data = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError({
      key: path,
      message: `${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `not valid YAML: ${(error as Error).message.split('\n')[0]}`}`,
    });
  }
  const parsed = roleBookInputSchema.safeParse(data ?? {});
  if (!parsed.success)
    throw new ConfigError({ key: path, message: `${path}: ${formatFirstIssue(parsed.error, data).message}` });
  return { ...base, ...parsed.data };
}

/** Renders a role as a system prompt. */
export function systemPrompt(role: Role, extra?: string): string {
  const duties = role.duties.length > 0 ? `\nYour responsibilities: ${role.duties.join('; ')}.` : '';
  return `You are the ${role.title}. ${role.persona}${duties}${extra ? `\n${extra}` : ''}`;
}

/** Edit distance between two short names (for "did you mean" suggestions). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** The closest of `candidates` to `name`, when it is close enough to be a likely typo. */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(name.length / 3)) ? best.name : undefined;
}

/**
 * Checks that every role a job names exists in its role book: a name that
 * matches nothing would otherwise fall back to a default role in silence.
 * @param used each role name with where it was given (`--role-models`, `phases.yaml: coding.assistant`, …).
 * @throws ConfigError naming the first unknown role, where it was given, and the closest known role.
 */
export function checkRoleNames(used: ReadonlyArray<{ role: string; where: string }>, book: RoleBook): void {
  for (const { role, where } of used) {
    if (book[role]) continue;
    const suggestion = closestName(role, Object.keys(book));
    throw new ConfigError({
      key: where,
      message: `${where}: unknown role '${role}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; known roles: ${Object.keys(book).join(', ')}`,
    });
  }
}
